"""Read a folder of articles into :class:`Document` records.

Files are decoded exactly as ``open(path, encoding="utf-8").read()`` would
(universal newlines), so offsets into ``Document.text`` are offsets into what
a reader of the file sees. Bad files never stop ingestion: they are skipped
or repaired and reported in :attr:`Corpus.warnings`, naming the file and the fix.

Decisions, stated once:
- binary files (a NUL byte in the first 8 KB) and empty files are skipped;
- non-UTF-8 text is decoded with U+FFFD replacement characters (one per bad
  byte sequence), so it stays searchable; offsets then refer to
  ``open(path, encoding="utf-8", errors="replace").read()``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .clean import article_lines, is_furniture, sections
from .docmeta import read_meta
from .html import html_blocks, to_plain
from .meta import display_path, parse_date
from .types import Document, Span
from .errors import CorpusError

SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm"}
SIDECAR = "metadata.json"
MAX_BYTES = 20_000_000


@dataclass
class Corpus:
    """The documents of one folder plus what was skipped and why."""

    root: str
    documents: list[Document]
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_dir(cls, root: str | Path, uploads: str | Path | None = None) -> "Corpus":
        return read_folder(root, uploads)

    def get(self, doc_id: str) -> Document:
        for doc in self.documents:
            if doc.id == doc_id:
                return doc
        raise KeyError(f"unknown document id {doc_id!r}; known ids: {[d.id for d in self.documents]}")


def read_text(path: Path) -> tuple[str | None, str | None]:
    """Decode one file. Returns ``(text, warning)``; text is None when skipped."""
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        return None, f"{path}: skipped, {len(data):,} bytes is over the {MAX_BYTES:,}-byte limit; split the file."
    if b"\x00" in data[:8192]:
        return None, f"{path}: skipped, looks binary (NUL bytes); save the article as UTF-8 text, Markdown or HTML."
    try:
        with open(path, encoding="utf-8", newline=None) as f:
            text, warning = f.read(), None
    except UnicodeDecodeError as exc:
        with open(path, encoding="utf-8", errors="replace", newline=None) as f:
            text = f.read()
        warning = (f"{path}: not valid UTF-8 (byte {exc.start}); decoded with U+FFFD replacement "
                   "characters. Re-save it as UTF-8 for exact text.")
    if not text.strip():
        return None, f"{path}: skipped, the file is empty."
    return text, warning


def _load_sidecar(root: Path) -> tuple[dict, str | None]:
    path = root / SIDECAR
    if not path.exists():
        return {}, None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("top level must be an object mapping file names to metadata")
        return data, None
    except (ValueError, UnicodeDecodeError) as exc:
        return {}, f"{path}: ignored, not valid JSON metadata ({exc}); fix or delete it."


def parse_document(doc_id: str, path: Path, text: str, meta: dict | None = None) -> Document | None:
    """Clean one decoded file into a Document; None when no article text is left."""
    meta = meta or {}
    is_html = path.suffix.lower() in {".html", ".htm"}
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


def _article_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
                  and not any(part.startswith(".") for part in p.relative_to(root).parts))


def _read_files(root: Path, files: list[Path], sidecar: dict, warnings: list[str], taken: set[str] = frozenset(),
                prefix: str = "") -> list[Document]:
    """Documents of ``files`` under ``root``; an id already ``taken`` gets ``prefix``."""
    stems = [p.relative_to(root).with_suffix("").as_posix() for p in files]
    docs = []
    for path, stem in zip(files, stems):
        rel = path.relative_to(root).as_posix()
        doc_id = stem if stems.count(stem) == 1 else rel  # a.txt + a.md: keep both, ids by full name
        doc_id = prefix + doc_id if doc_id in taken else doc_id
        text, warning = read_text(path)
        if warning:
            warnings.append(warning)
        if text is None:
            continue
        doc = parse_document(doc_id, path, text, sidecar.get(rel))
        if doc is None:
            warnings.append(f"{path}: skipped, no article text left after removing page furniture.")
            continue
        docs.append(doc)
    return docs


def read_folder(root: str | Path, uploads: str | Path | None = None) -> Corpus:
    """Ingest every .txt/.md/.html file under ``root`` (hidden folders skipped), then
    those under ``uploads`` (the user's added articles, kept outside ``root``) if it exists."""
    root = Path(root)
    if not root.exists():
        raise CorpusError(f"articles folder {str(root)!r} does not exist; pass a folder of .txt, .md or .html files.")
    if not root.is_dir():
        raise CorpusError(f"{str(root)!r} is a file, not a folder; pass the folder that holds the articles.")
    sidecar, warning = _load_sidecar(root)
    warnings = [warning] if warning else []
    files = _article_files(root)
    if not files:
        raise CorpusError(f"no .txt, .md or .html files in {str(root)!r}; add articles or pass another folder.")
    docs = _read_files(root, files, sidecar, warnings)
    if uploads is not None and Path(uploads).is_dir():
        docs += _read_files(Path(uploads), _article_files(Path(uploads)), {}, warnings,
                            taken={d.id for d in docs}, prefix="uploads/")
    if not docs:
        raise CorpusError(f"no readable article in {str(root)!r}: " + " ".join(warnings))
    return Corpus(root=str(root), documents=docs, warnings=warnings)
