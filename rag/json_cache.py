"""A small JSON object kept as a best-effort cache file: read as {} when missing or damaged, written atomically.

Two caches use it: model identities by file stats (``rag.embedding.model_id``) and corpus stamps
beside an index (``rag.ingest.stamps``). A cache that cannot be read or written only costs the work
it would have saved, so neither operation raises.

Example:
    >>> import tempfile; from pathlib import Path; p = Path(tempfile.mkdtemp()) / "sub" / "c.json"
    >>> read_object(p)
    {}
    >>> write_object(p, {"a": 1}); read_object(p)
    {'a': 1}
    >>> _ = p.write_text("[1, 2]"); read_object(p)
    {}
"""
from __future__ import annotations

import json
import os
from pathlib import Path


def read_object(path: str | Path) -> dict:
    """The JSON object in ``path``; {} when the file is missing, unreadable, not JSON or not an object."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def write_object(path: str | Path, data: dict) -> None:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename; a folder that cannot be
    written is left alone."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
