"""``metadata.json``: titles, outlets and dates the files themselves do not state.

The file maps article file names (relative to the folder) to objects::

    {"sputnik-kremlin.txt": {"source": "Sputnik News", "date": "2020-03-01", "_why": "a comment"}}

Every problem is reported and only the bad part is ignored: a file that is
not JSON loses the whole sidecar, an entry that is not an object loses that
entry, a field of the wrong type or a date that is no calendar day
("yesterday", "2020-02-30") loses that field. Keys starting with "_" are comments.

Example:
    >>> meta, notes = parse_sidecar('{"a.txt": {"title": "T", "date": "2020-02-30"}, "b.txt": "oops"}', "m.json")
    >>> meta
    {'a.txt': {'title': 'T'}}
    >>> len(notes)
    2
"""
from __future__ import annotations

import json
from pathlib import Path

from rag.ingest.files import Unreadable, decode, read_bytes
from rag.text.dates import parse_date
from rag.text.printable import printable

SIDECAR = "metadata.json"
FIELDS = ("title", "source", "date")
_SHAPE = '{"title": "...", "source": "...", "date": "YYYY-MM-DD"}'
_MAX_BYTES = 5_000_000


def load_sidecar(root: Path) -> tuple[dict[str, dict], list[str]]:
    """The usable metadata of ``root/metadata.json`` and one note per problem."""
    path = root / SIDECAR
    if not (path.exists() or path.is_symlink()):
        return {}, []
    try:
        text, _ = decode(read_bytes(path, limit=_MAX_BYTES))
    except Unreadable as exc:
        return {}, [f"{printable(str(path))}: ignored, {exc}"]
    return parse_sidecar(text, printable(str(path)))


def parse_sidecar(data: str | bytes, shown: str) -> tuple[dict[str, dict], list[str]]:
    try:
        raw = json.loads(data)
    except (ValueError, RecursionError) as exc:
        return {}, [f"{shown}: ignored, not valid JSON ({str(exc)[:200]}); fix or delete it."]
    if not isinstance(raw, dict):
        return {}, [f"{shown}: ignored, the top level is a {type(raw).__name__}; it must be an object mapping "
                    f"file names to metadata like {_SHAPE}."]
    meta, notes = {}, []
    for name, entry in raw.items():
        if name.startswith("_"):
            continue
        if not isinstance(entry, dict):
            notes.append(f"{shown}: entry {name!r} ignored, it is a {type(entry).__name__}, not an object "
                         f"like {_SHAPE}.")
            continue
        good = {}
        for key, value in entry.items():
            if key.startswith("_"):
                continue
            if key not in FIELDS:
                notes.append(f"{shown}: entry {name!r}: unknown field {key!r} ignored; known fields: "
                             f"{', '.join(FIELDS)}.")
            elif not isinstance(value, str) or not " ".join(value.split()):
                notes.append(f"{shown}: entry {name!r}: {key} ignored, it must be non-empty text; "
                             f"got {type(value).__name__} {str(value)[:60]!r}.")
            elif key == "date":
                iso = parse_date(value) if len(value) < 100 else None
                if iso is None:
                    notes.append(f"{shown}: entry {name!r}: date {value[:60]!r} ignored, it is not a calendar "
                                 "date; write it as YYYY-MM-DD, e.g. 2020-02-28.")
                else:
                    good[key] = iso
            else:
                good[key] = " ".join(value.split())
        meta[name] = good
    return meta, notes
