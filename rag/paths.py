"""Where the project lives, where the user's caches and data go by default, and file paths as
shown to the user (relative to the project when inside it).

Library code never reads the environment: the defaults here are the plain home-folder ones, and
the command line passes others (``--cache-dir``, ``$RAG_CACHE``, ``$XDG_CACHE_HOME``, ...: see
:mod:`rag.cli.environment`) as explicit arguments.

Example:
    >>> resolve_path(display_path(PROJECT_ROOT / "seeds" / "a.txt")) == PROJECT_ROOT / "seeds" / "a.txt"
    True
"""
from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def default_cache_dir() -> Path:
    """``~/.cache/rag``: the exported ONNX graphs (``onnx/``), the model-identity cache
    (``model-ids.json``) and the local language models (``models/``)."""
    return Path.home() / ".cache" / "rag"


def default_data_dir() -> Path:
    """``~/.local/share/rag``: the user's own data (articles added in the chat, under ``uploads/``)."""
    return Path.home() / ".local" / "share" / "rag"


def display_path(path: str | Path) -> str:
    """Path relative to the project root when inside it, else absolute."""
    path = Path(path).resolve()
    try:
        return path.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)


def resolve_path(shown: str) -> Path:
    """Inverse of :func:`display_path`: an absolute path to open."""
    path = Path(shown)
    return path if path.is_absolute() else PROJECT_ROOT / path
