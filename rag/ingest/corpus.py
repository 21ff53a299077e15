"""Read a folder of articles into :class:`Document` records.

Files are found and decoded by :mod:`rag.ingest.files` (symbolic links are never
followed; UTF-8, or UTF-16/32 with a byte-order mark; universal newlines), so
offsets into ``Document.text`` are offsets into the file's text as decoded
there: for a UTF-8 file without a byte-order mark, exactly what
``open(path, encoding="utf-8").read()`` returns. Bad files never stop
ingestion: whatever one file holds, the others are read, and every file
skipped or repaired is reported in :attr:`Corpus.warnings`, naming the file
and the fix.

Example:
    >>> corpus = Corpus.from_dir("seeds")                         # doctest: +SKIP
    >>> [d.id for d in corpus.documents][:1], corpus.warnings     # doctest: +SKIP
    (['erdogan-putin-agree-to-meet'], [])
"""
from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rag.ingest.furniture import article_lines, is_furniture, sections
from rag.ingest.byline import read_meta
from rag.errors import CorpusError
from rag.ingest.files import Unreadable, decode, list_articles, read_bytes
from rag.ingest.files import is_html as is_html_file
from rag.ingest.html_text import html_blocks, to_plain
from rag.paths import display_path
from rag.text.dates import parse_date
from rag.text.printable import printable
from rag.ingest.sidecar import SIDECAR, load_sidecar
from rag.records import Document

log = logging.getLogger("rag.ingest.corpus")
# (file, the id it would get) -> a Document already known for it, not read again (rag.index.unread), or None
Known = Callable[[Path, str], "Document | None"]


@dataclass
class Corpus:
    """The documents of one folder plus what was skipped and why."""

    root: str
    documents: list[Document]
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_dir(cls, root: str | Path, uploads: str | Path | None = None, known: Known | None = None) -> "Corpus":
        return read_folder(root, uploads, known)

    def get(self, doc_id: str) -> Document:
        for doc in self.documents:
            if doc.id == doc_id:
                return doc
        raise KeyError(f"unknown document id {doc_id!r}; known ids: {[d.id for d in self.documents]}")


def read_text(path: Path) -> tuple[str | None, str | None]:
    """Decode one file. Returns ``(text, warning)``; text is None when skipped
    (the warning then says why). A symbolic link is never read."""
    shown = printable(str(path))
    try:
        text, warning = decode(read_bytes(path))
    except Unreadable as exc:
        return None, f"{shown}: skipped, {exc}"
    if not text.strip():
        return None, f"{shown}: skipped, the file is empty."
    return text, f"{shown}: {warning}" if warning else None


def parse_document(doc_id: str, path: Path, text: str, meta: dict | None = None) -> Document | None:
    """Clean one decoded file into a Document; None when no article text is left."""
    meta = meta or {}
    is_html = is_html_file(path)
    if is_html:
        page = html_blocks(text)
        shown = [(to_plain(text[b.start : b.end]), b) for b in page.blocks]
        kept = [b for line, b in shown if not is_furniture(line)]
        found = read_meta([(line, not is_furniture(line)) for line, _ in shown])
        groups = sections(text, kept, visible=to_plain)
        title = meta.get("title") or page.meta.get("og:title") or page.title
        source = meta.get("source") or page.meta.get("og:site_name") or found.source
        date = meta.get("date") or parse_date(page.meta.get("article:published_time", "")) or found.date
    else:
        kept = article_lines(text)
        groups = sections(text, kept)
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        found = read_meta([(line, not is_furniture(line)) for line in lines])
        title = meta.get("title")
        source, date = meta.get("source") or found.source, meta.get("date") or found.date
    if source and kept and text[kept[0].start : kept[0].end].strip().casefold() == source.casefold():
        kept = kept[1:]  # the outlet's name printed above the headline is not article text
        groups = sections(text, kept, visible=to_plain if is_html else None)
    if not kept:
        return None
    if not title:
        first = text[kept[0].start : kept[0].end]
        title = to_plain(first) if is_html else first.lstrip("# ").strip()
    return Document(id=doc_id, title=" ".join(title.split()), path=display_path(path), text=text,
                    blocks=tuple(kept), sections=tuple(groups), source=source, date=date)


def _listing(root: Path, warnings: list[str]) -> list[Path]:
    """The article files under ``root``; the links skipped are added to ``warnings``."""
    try:
        listing = list_articles(root)
    except OSError as exc:
        raise CorpusError(f"cannot list the articles folder {str(root)!r} ({exc.strerror}); check its "
                          "permissions.") from None
    warnings += listing.skipped
    return listing.files


def _relative(root: Path, path: Path) -> str:
    """``path.relative_to(root).as_posix()``, cut from the string when it starts with the root's (the listing
    gives such paths): ``relative_to`` per file was ~0.1 s of an update at 10,000 articles."""
    whole, head = str(path), str(root).rstrip(os.sep) + os.sep
    if whole.startswith(head):
        return whole[len(head):].replace(os.sep, "/")
    return path.relative_to(root).as_posix()


def _read_files(root: Path, files: list[Path], sidecar: dict, warnings: list[str], taken: set[str] = frozenset(),
                prefix: str = "", known: Known | None = None) -> list[Document]:
    """Documents of ``files`` under ``root``; an id already ``taken`` gets ``prefix``; a file ``known`` gives
    a document for is not read. Whatever one file holds, the others are read; each one skipped is named in
    ``warnings``."""
    rels = [_relative(root, p) for p in files]
    stems = [rel.rsplit(".", 1)[0] for rel in rels]
    uses = Counter(stems)
    docs = []
    for path, rel, stem in zip(files, rels, stems):
        doc_id = stem if uses[stem] == 1 else rel  # a.txt + a.md: keep both, ids by full name
        doc_id = prefix + doc_id if doc_id in taken else doc_id
        doc = known(path, doc_id) if known else None
        if doc is not None:
            docs.append(doc)
            continue
        text, warning = read_text(path)
        if warning:
            warnings.append(warning)
        if text is None:
            continue
        try:
            doc = parse_document(doc_id, path, text, sidecar.get(rel))
        except Exception as exc:  # noqa: BLE001 - whatever one file holds, the others are read
            log.exception("cannot parse %s", printable(str(path)))
            warnings.append(f"{printable(str(path))}: skipped, it could not be parsed ({type(exc).__name__}: "
                            f"{str(exc)[:200]}). Save it as plain text; report the file if it is a valid article.")
            continue
        if doc is None:
            warnings.append(f"{printable(str(path))}: skipped, no article text left after removing page "
                            "furniture.")
            continue
        docs.append(doc)
    return docs


def read_folder(root: str | Path, uploads: str | Path | None = None, known: Known | None = None) -> Corpus:
    """Ingest every .txt/.md/.html file under ``root`` (hidden files and folders and
    symbolic links skipped), then those under ``uploads`` (the user's added articles,
    kept outside ``root``) if it exists. One bad file never stops the others. ``known``:
    documents that need not be read again (files unchanged since an index was built)."""
    root = Path(root)
    if not root.exists():
        raise CorpusError(f"articles folder {str(root)!r} does not exist; pass a folder of .txt, .md or .html files.")
    if not root.is_dir():
        raise CorpusError(f"{str(root)!r} is a file, not a folder; pass the folder that holds the articles.")
    sidecar, warnings = load_sidecar(root)
    files = _listing(root, warnings)
    if not files:
        detail = (" " + " ".join(warnings)) if warnings else ""
        raise CorpusError(f"no .txt, .md or .html files in {str(root)!r}; add articles or pass another folder."
                          + detail)
    rels = {_relative(root, p) for p in files}
    warnings += [f"{printable(str(root / SIDECAR))}: entry {name!r} names no article file in the folder; fix "
                 "the name or remove the entry." for name in sidecar if name not in rels]
    docs = _read_files(root, files, sidecar, warnings, known=known)
    if uploads is not None and Path(uploads).is_dir():
        docs += _read_files(Path(uploads), _listing(Path(uploads), warnings), {}, warnings,
                            taken={d.id for d in docs}, prefix="uploads/", known=known)
    if not docs:
        raise CorpusError(f"no readable article in {str(root)!r}: " + " ".join(warnings))
    return Corpus(root=str(root), documents=docs, warnings=warnings)
