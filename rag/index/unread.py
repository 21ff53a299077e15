"""Updating an index without reading the articles that did not change (issue 14).

An update used to read and clean every article again, to hash them all and find the changed ones
(1.7 s of the 5 s it took to update one article of 10,000). :func:`known_documents` says, for each
file, whether the index already holds its document as it is: the file's stat is the one recorded
beside the index (:func:`rag.ingest.stamps.same_files`: size, modification time and inode, taken when
the file was read or hashed), the previous index holds a document of the same id from the same path,
and no warning was recorded for the file. Such a file is not read: a :class:`KnownDocument` built from
the previous record stands in for it, carrying that record's hash, so the build keeps its chunks and
vectors. Any other file (new, edited, with a warning, or all of them when a sidecar changed or no
record exists) is read and cleaned as before.

Example:
    >>> from rag.index.chunk_index import DocRecord, doc_hash
    >>> rec = DocRecord("a", "A", "corpus/a.txt", None, "2024-01-02", "ab12", 3)
    >>> doc = KnownDocument.of(rec); doc.id, doc.date, doc_hash(doc)
    ('a', '2024-01-02', 'ab12')
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rag.index.chunk_index import DocRecord, Index
from rag.ingest.corpus import Known
from rag.ingest.stamps import Stat, same_files
from rag.paths import display_path
from rag.records import Document
from rag.text.printable import printable


@dataclass(frozen=True)
class KnownDocument(Document):
    """A document the previous index holds unchanged: its metadata and hash, not its text
    (``text`` is empty; nothing chunks it, since its hash says it is unchanged)."""

    sha256: str = ""

    @classmethod
    def of(cls, record: DocRecord) -> KnownDocument:
        return cls(id=record.id, title=record.title, path=record.path, text="", blocks=(), sections=(),
                   source=record.source, date=record.date, sha256=record.sha256)


def known_documents(stamp_file: str | Path, folders: list[str | Path], now: dict[str, Stat],
                    previous: Index) -> Known:
    """For :meth:`Corpus.from_dir`: the :class:`KnownDocument` of an unchanged file, else None (read it)."""
    same, warnings = same_files(stamp_file, folders, now)
    by_path = {d.path: d for d in previous.docs}
    shown_folder: dict[str, str] = {}  # display_path resolves every component: once per folder, not per file

    def known(path: Path, doc_id: str) -> KnownDocument | None:
        whole = str(path)
        if whole not in same:
            return None
        parent, name = os.path.split(whole)  # strings, not Path calls: this runs for every article
        folder = shown_folder.get(parent) or shown_folder.setdefault(parent, display_path(path.parent))
        # a listed file is never a symbolic link (rag.ingest.files), so its name resolves to itself
        record = by_path.get(f"{folder}/{name}" if folder != "." else name)
        shown = printable(whole)
        if record is None or record.id != doc_id or any(w.startswith(shown) for w in warnings):
            return None
        return KnownDocument.of(record)

    return known
