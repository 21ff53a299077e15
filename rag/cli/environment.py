"""The one place the environment is read (and written): the edge of the ``rag`` command.

Library code takes every setting as an argument (``model=``, ``backend=``, ``cache_dir=``,
``data_dir=``) and never looks at ``os.environ``; a test scans ``rag/`` outside ``rag/cli`` for it.
For users, the command keeps honouring these variables, each the default of a flag:

| variable | flag | default |
|---|---|---|
| ``RAG_MODEL`` | ``--model`` | the bundled all-MiniLM-L6-v2 |
| ``RAG_EMBED_BACKEND`` | ``--embed-backend`` | ``auto`` |
| ``RAG_CACHE``, else ``$XDG_CACHE_HOME/rag`` | ``--cache-dir`` | ``~/.cache/rag`` |
| ``RAG_DATA_DIR``, else ``$XDG_DATA_HOME/rag`` | (``--uploads-dir`` picks the uploads folder itself) | ``~/.local/share/rag`` |

:func:`offline` is the only write: it switches off what would reach the network
(``HF_HUB_OFFLINE``, onnxruntime's telemetry) and Gradio's analytics, before those libraries are
imported, unless the user set them.

Example:
    >>> cache_dir({"XDG_CACHE_HOME": "/x/cache"}).as_posix(), cache_dir({"RAG_CACHE": "/r", "XDG_CACHE_HOME": "/x"}).name
    ('/x/cache/rag', 'r')
    >>> data_dir({"XDG_DATA_HOME": "relative"}) == Path.home() / ".local" / "share" / "rag"   # XDG: absolute only
    True
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from rag.paths import default_cache_dir, default_data_dir

OFFLINE = {"HF_HUB_OFFLINE": "1",             # huggingface_hub: no request for a model name or its updates
           "ORT_DISABLE_TELEMETRY": "1",      # onnxruntime >= 1.29 phones home from Linux unless told before it starts
           "GRADIO_ANALYTICS_ENABLED": "False"}  # read by gradio on import


def _xdg(env: Mapping[str, str], name: str) -> Path | None:
    """``$name/rag`` when ``$name`` is an absolute path (the XDG spec ignores relative ones)."""
    value = env.get(name, "")
    return Path(value) / "rag" if os.path.isabs(value) else None


def cache_dir(env: Mapping[str, str] = os.environ) -> Path:
    """``$RAG_CACHE``, else ``$XDG_CACHE_HOME/rag``, else ``~/.cache/rag``."""
    if env.get("RAG_CACHE"):
        return Path(env["RAG_CACHE"]).expanduser()
    return _xdg(env, "XDG_CACHE_HOME") or default_cache_dir()


def data_dir(env: Mapping[str, str] = os.environ) -> Path:
    """``$RAG_DATA_DIR``, else ``$XDG_DATA_HOME/rag``, else ``~/.local/share/rag``."""
    if env.get("RAG_DATA_DIR"):
        return Path(env["RAG_DATA_DIR"]).expanduser()
    return _xdg(env, "XDG_DATA_HOME") or default_data_dir()


def embed_model(env: Mapping[str, str] = os.environ) -> str | None:
    """``$RAG_MODEL``, or None for the bundled model."""
    return env.get("RAG_MODEL") or None


def embed_backend(env: Mapping[str, str] = os.environ) -> str:
    """``$RAG_EMBED_BACKEND``, else ``auto``."""
    return env.get("RAG_EMBED_BACKEND") or "auto"


def offline(env=os.environ) -> None:
    """Set :data:`OFFLINE`'s variables the user has not set; called first thing by ``rag`` and ``python -m eval``."""
    for name, value in OFFLINE.items():
        env.setdefault(name, value)
