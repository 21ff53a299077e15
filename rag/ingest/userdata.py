"""Where the user's own files live: outside the project, one uploads folder per corpus.

Articles added in the chat are user data, so they never go into the corpus
folder (``seeds/`` is tracked by git and its tests count its articles). They
go to ``<data home>/uploads/<corpus name>-<hash of its path>/``, where the data
home is ``$RAG_DATA_DIR``, else ``$XDG_DATA_HOME/rag``, else
``~/.local/share/rag``. Every command that opens the index of a corpus reads
that folder too (``--uploads-dir`` picks another), so the chat and ``rag ask``
see the same articles.

Example:
    >>> folder = uploads_dir("/home/me/news")
    >>> folder.parent == data_home() / "uploads", folder.name.startswith("news-")
    (True, True)
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path


def data_home() -> Path:
    """The folder for this user's rag data (nothing is created here)."""
    if os.environ.get("RAG_DATA_DIR"):
        return Path(os.environ["RAG_DATA_DIR"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base).expanduser() / "rag"


def uploads_dir(corpus_dir: str | Path) -> Path:
    """The default uploads folder of ``corpus_dir``: named after it, unique to its absolute path."""
    corpus = Path(corpus_dir).resolve()
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", corpus.name).strip("-") or "corpus"
    return data_home() / "uploads" / f"{name}-{hashlib.sha256(str(corpus).encode()).hexdigest()[:8]}"
