"""Where the user's own files live: outside the project, one uploads folder per corpus.

Articles added in the chat are user data, so they never go into the corpus
folder (``seeds/`` is tracked by git and its tests count its articles). They
go to ``<data dir>/uploads/<corpus name>-<hash of its path>/``, where the data
dir is an explicit argument, by default ``~/.local/share/rag``
(:func:`rag.paths.default_data_dir`; the command line passes ``$RAG_DATA_DIR``
or ``$XDG_DATA_HOME/rag`` when set, see :mod:`rag.cli.environment`). Every command that opens the index of a corpus reads
that folder too (``--uploads-dir`` picks another), so the chat and ``rag ask``
see the same articles.

Example:
    >>> folder = uploads_dir("/home/me/news", data_dir="/srv/rag")
    >>> folder.parent.as_posix(), folder.name.startswith("news-")
    ('/srv/rag/uploads', True)
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from rag.paths import default_data_dir


def uploads_dir(corpus_dir: str | Path, *, data_dir: str | Path | None = None) -> Path:
    """The default uploads folder of ``corpus_dir`` under ``data_dir`` (default
    :func:`rag.paths.default_data_dir`): named after the corpus, unique to its absolute path.
    Nothing is created here."""
    corpus = Path(corpus_dir).resolve()
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", corpus.name).strip("-") or "corpus"
    home = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
    return home / "uploads" / f"{name}-{hashlib.sha256(str(corpus).encode()).hexdigest()[:8]}"
