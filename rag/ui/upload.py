"""Put uploaded articles into the user's uploads folder, safely, and take them out again.

Uploads are user data: they go to their own folder (:mod:`rag.ingest.userdata`,
outside the project), never into the corpus folder, and the index reads both.
An upload is checked completely before anything lands in the folder: suffix,
size, text encoding and that some article text survives cleaning. The file
name is rebuilt from scratch (:func:`safe_name`), so "../../etc/passwd.txt"
or "C:\\\\evil\\\\x.md" can only ever become a plain name inside the folder.
The bytes go to a hidden temporary file first and are then hard-linked to the
final name, which fails instead of overwriting when the name is taken.

:meth:`Uploader.add` then runs the index refresh; if that fails, the new
files are removed again, so the folder matches the index still loaded (the
index on disk is only ever replaced whole, by :mod:`rag.index.generations`).
:meth:`Uploader.delete` takes an uploaded article out the same way: the
file goes, the index is refreshed, and a failed refresh puts the file back.

Example:
    >>> safe_name("../../etc/passwd.txt"), safe_name("C:\\\\Users\\\\me\\\\Mon article (1).MD")
    ('passwd.txt', 'Mon-article-1.md')
"""
from __future__ import annotations

import os
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from rag.errors import CorpusError
from rag.ingest.files import SUFFIXES, Unreadable, decode, list_articles
from rag.index.chunk_index import Step
from rag.ingest.corpus import parse_document
from rag.ui.journal import UploadJournal

MAX_UPLOAD_BYTES = 2_000_000
_MAX_STEM = 80


class UploadError(CorpusError):
    """One uploaded file was refused; the message names it and says why."""


def safe_name(name: str, *, suffixes: tuple[str, ...] = SUFFIXES) -> str:
    """A plain file name for ``name``: last path part only, ASCII letters,
    digits, '.', '-', '_'; no leading dot (hidden files are not indexed)."""
    base = re.split(r"[\\/]", str(name))[-1]
    base = "".join(c for c in unicodedata.normalize("NFKD", base) if not unicodedata.combining(c))  # ğ -> g
    stem, dot, suffix = base.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in suffixes:
        shown = suffix or "no suffix"
        raise UploadError(f"{name!r}: {shown} files are not accepted; upload {', '.join(suffixes)} files.")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-_")[:_MAX_STEM].strip(".-_")
    return f"{stem or 'article'}{suffix}"


@dataclass
class AddResult:
    """What :meth:`Uploader.add` did: files added to the index, files refused."""

    added: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class Uploader:
    """Saves uploads into ``folder`` (created on the first upload). Settings here;
    files go to :meth:`save`. ``corpus_dir`` is the corpus indexed alongside: an
    upload may not repeat one of its articles or take one of its names."""

    def __init__(self, folder: str | Path, *, corpus_dir: str | Path | None = None,
                 max_bytes: int = MAX_UPLOAD_BYTES, suffixes: tuple[str, ...] = SUFFIXES):
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be positive; got {max_bytes}.")
        self.folder = Path(folder).expanduser().resolve()
        if self.folder.exists() and not self.folder.is_dir():
            raise CorpusError(f"uploads folder {str(folder)!r} is a file; pass a folder (--uploads-dir).")
        self.corpus = Path(corpus_dir).resolve() if corpus_dir is not None else None
        self.max_bytes = max_bytes
        self.suffixes = suffixes
        self.journal = UploadJournal(self.folder)  # what a kill during add() left; see recover()
        self._journaling = False

    def _articles(self) -> list[Path]:
        """Article files already there: uploads and the corpus's own."""
        folders = [f for f in (self.folder, self.corpus) if f is not None and f.is_dir()]
        return [p for f in folders for p in list_articles(f, self.suffixes).files]  # links never followed

    def owns(self, path: str | Path) -> bool:
        """True when ``path`` is an uploaded article (one :meth:`delete` may remove)."""
        return Path(path).resolve().parent == self.folder

    def check(self, data: bytes, shown: str, name: str) -> None:
        """Refuse content the index would skip, with the reason and the fix."""
        if not data.strip():
            raise UploadError(f"{shown!r} is empty; upload a file with article text.")
        try:
            text, _ = decode(data, strict=True)  # as ingest reads it: byte-order marks, universal newlines
        except Unreadable as exc:
            raise UploadError(f"{shown!r} {exc} Then upload it again.") from None
        if parse_document(Path(name).stem, self.folder / name, text) is None:
            raise UploadError(f"{shown!r} has no article text left after removing page furniture "
                              "(menus, bylines, share buttons); upload the article itself.")
        for existing in self._articles():
            if existing.stat().st_size == len(data) and existing.read_bytes() == data:
                raise UploadError(f"{shown!r} is already indexed as {existing.name!r}; nothing to add.")

    def save(self, src: str | Path, original_name: str | None = None) -> Path:
        """Copy the uploaded file ``src`` into the folder; returns the new path.

        ``original_name`` is the name the user's file had (default: ``src``'s).
        Raises :class:`UploadError` and leaves the folder untouched on refusal.
        """
        src = Path(src)
        shown = original_name or src.name
        name = safe_name(shown, suffixes=self.suffixes)
        size = src.stat().st_size
        if size > self.max_bytes:
            raise UploadError(f"{shown!r} is {size:,} bytes, over the {self.max_bytes:,}-byte upload limit; "
                              "split the article or upload the text only.")
        with open(src, "rb") as f:
            data = f.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:  # grew after stat
            raise UploadError(f"{shown!r} is over the {self.max_bytes:,}-byte upload limit.")
        self.check(data, shown, name)
        return self._write(data, name)

    def _write(self, data: bytes, name: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        taken = {p.stem.casefold() for p in self._articles() if p.parent != self.folder}  # the corpus's ids
        tmp = self.folder / f".upload-{uuid.uuid4().hex}.tmp"  # hidden: never indexed, even if left behind
        try:
            with open(tmp, "xb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            stem, suffix = name.rsplit(".", 1)
            for i in range(1, 1000):
                dest = self.folder / (name if i == 1 else f"{stem}-{i}.{suffix}")
                if dest.stem.casefold() in taken:
                    continue
                if dest.resolve().parent != self.folder:  # belt and braces: safe_name already ensures it
                    raise UploadError(f"{name!r} would leave the articles folder; rename the file.")
                if self._journaling:
                    self.journal.plan(dest.name, data)  # before the file appears: a kill now is recoverable
                try:
                    os.link(tmp, dest)  # atomic and never overwrites an existing article
                    return dest
                except FileExistsError:
                    if self._journaling:
                        self.journal.unplan()
                    continue
            raise UploadError(f"too many files named like {name!r}; rename the file and upload again.")
        finally:
            tmp.unlink(missing_ok=True)

    def remove(self, paths: Iterable[Path]) -> None:
        """Undo :meth:`save` (only files inside the folder are touched)."""
        for path in paths:
            path = Path(path)
            if self.owns(path):
                path.unlink(missing_ok=True)

    def delete(self, path: str | Path, refresh: Callable[[], object]) -> None:
        """Take the uploaded article ``path`` out of the folder, then ``refresh()`` the
        index; if the refresh fails the file is put back and the error re-raised."""
        path = Path(path)
        if not self.owns(path):
            raise UploadError(f"{path.name!r} is part of the articles folder, not an upload; to drop it, move the "
                              "file out of that folder and restart `rag serve`.")
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            data = None  # already gone: the refresh below drops it from the index
        path.unlink(missing_ok=True)
        try:
            refresh()
        except BaseException:
            if data is not None:
                self._restore(path, data)
            raise

    def _restore(self, path: Path, data: bytes) -> None:
        tmp = self.folder / f".upload-{uuid.uuid4().hex}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def add(self, files: Iterable[str | Path | tuple[str | Path, str]], refresh: Callable[[], object],
            report: Callable[[Step], None] | None = None) -> AddResult:
        """Save every acceptable file, then ``refresh()`` the index once.

        ``files`` are paths or ``(path, original_name)`` pairs. Refused files
        are reported in ``problems``; the others are indexed together. If
        ``refresh`` raises, the saved files are removed and the error re-raised.
        ``report`` receives a "checking" :class:`~rag.index.chunk_index.Step` per file.
        """
        result = AddResult()
        self._journaling = True
        try:
            self._add(list(files), refresh, result, report)
        finally:  # done or undone; only a kill leaves the journal for recover()
            self._journaling = False
            self.journal.clear()
        return result

    def _add(self, files: list, refresh, result: AddResult, report) -> None:
        for i, item in enumerate(files):
            src, original = item if isinstance(item, tuple) else (item, None)
            if report:
                report(Step("checking", i, len(files), original or Path(src).name))
            try:
                result.added.append(self.save(src, original))
            except UploadError as exc:
                result.problems.append(str(exc))
            except OSError as exc:
                result.problems.append(f"{original or Path(src).name!r} could not be stored ({exc.strerror}); "
                                       "check that the uploads folder is writable and has space, then retry.")
        if result.added:
            try:
                refresh()
            except BaseException:
                self.remove(result.added)
                raise

    def recover(self, indexed: set[Path]) -> list[str]:
        """After a start: notices about an upload a crash interrupted (see :mod:`.journal`)."""
        return self.journal.recover(indexed)
