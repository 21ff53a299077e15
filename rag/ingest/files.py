"""Finding and decoding article files without ever leaving the articles folder.

Symbolic links are never followed, to a file or to a folder, wherever they
point: a link dropped into the folder would otherwise expose any file the
server can read (``ln -s /etc/passwd CORPUS/passwd.txt``). Each one is named
in the listing's ``skipped`` notes. Files are opened with ``O_NOFOLLOW``, so a
file swapped for a link between listing and reading is refused too.

Decoding, stated once (offsets into ``Document.text`` are offsets into this):
- a UTF-32 or UTF-16 byte-order mark selects that encoding; a UTF-8 one is removed;
- otherwise UTF-8; invalid bytes become U+FFFD (one per bad sequence), with a warning;
- newlines are universal (``\\r\\n`` and ``\\r`` read as ``\\n``), as ``open()`` reads text;
- NUL bytes in the first 8 KB of a file with no UTF-16/32 mark mean binary: skipped.

Example:
    >>> decode("\\ufeffHeadline\\r\\nText".encode("utf-8"))
    ('Headline\\nText', None)
    >>> decode("Headline".encode("utf-16"))[0]
    'Headline'
"""
from __future__ import annotations

import codecs
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from rag.text.printable import printable

HTML_SUFFIXES = (".html", ".htm")
# The one list of accepted article files: the corpus folder reads these and upload accepts the same ones
# (rag.ui.upload imports it), so whatever works in the folder can be added in the chat. Ordered, for messages.
SUFFIXES = (".txt", ".md", ".markdown", *HTML_SUFFIXES)
MAX_BYTES = 20_000_000
# Longest marks first: the UTF-32-LE mark begins with the UTF-16-LE one.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF8, "utf-8"))
_NEWLINES = re.compile(r"\r\n?")


class Unreadable(Exception):
    """One file cannot be used; the message says why and what to do."""


def decode(data: bytes, strict: bool = False) -> tuple[str, str | None]:
    """Text of ``data`` and a warning (None when the bytes were clean text).

    Raises :class:`Unreadable` for binary data, and with ``strict`` for bytes
    that are not valid in their encoding (an upload is refused rather than repaired)."""
    encoding = "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            data, encoding = data[len(bom):], name
            break
    else:
        if b"\x00" in data[:8192]:
            raise Unreadable("looks binary (NUL bytes); save the article as UTF-8 text, Markdown or HTML.")
    try:
        text, warning = data.decode(encoding), None
    except UnicodeDecodeError as exc:
        if strict:
            raise Unreadable(f"is not {encoding.upper()} text (bad byte at position {exc.start}); re-save it as "
                             "UTF-8.") from None
        text = data.decode(encoding, errors="replace")
        warning = (f"not valid {encoding.upper()} (byte {exc.start}); decoded with U+FFFD replacement "
                   "characters. Re-save it as UTF-8 for exact text.")
    return _NEWLINES.sub("\n", text), warning


def read_bytes(path: str | Path, limit: int = MAX_BYTES) -> bytes:
    """The bytes of ``path``, refusing a symbolic link and anything over ``limit`` bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        if Path(path).is_symlink():
            raise Unreadable(_link(Path(path))) from None
        raise Unreadable(f"cannot be read ({exc.strerror}); check its permissions.") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # checked before fdopen, which refuses a folder with its own error
        os.close(fd)
        raise Unreadable("is not a regular file (a folder, a pipe or a device); only article files are read.")
    with os.fdopen(fd, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise Unreadable(f"over the {limit:,}-byte limit; split the file.")
    return data


def _link(path: Path) -> str:
    return (f"a symbolic link (to {printable(os.readlink(path))}); links are never followed. Copy the article "
            "into the folder instead.")


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 come back from the OS as lone surrogates
        return False
    return True


@dataclass
class Listing:
    """Article files under a folder, in a stable order, and the links that were skipped."""

    files: list[Path] = field(default_factory=list)  # str paths from article_paths
    skipped: list[str] = field(default_factory=list)


def is_html(path: str | Path) -> bool:
    """Whether the file is read as an HTML page (by its suffix, in any case); the one rule for ingest,
    index and the UI.

    >>> is_html("seeds/a.HTM"), is_html("seeds/a.md")
    (True, False)
    """
    return str(path).lower().endswith(HTML_SUFFIXES)


def list_articles(root: str | Path, suffixes=SUFFIXES) -> Listing:
    """Every file with an article suffix under ``root``; hidden files and folders
    (``.rag-index``, ``.upload-*``) are not articles, and links are never entered.

    Folders are visited depth first in name order, as ``os.walk`` would; the listing reads
    ``os.scandir`` entries, which know whether they are links without a call per file (opening an
    index lists its whole corpus: pathlib's calls per file were 0.26 s of it at 10,000 articles)."""
    out = article_paths(root, suffixes)
    out.files = [Path(p) for p in out.files]
    return out


def article_paths(root: str | Path, suffixes=SUFFIXES) -> Listing:
    """:func:`list_articles` with the files as ``str`` paths: a caller that only stats them makes no
    ``Path`` per file (10,000 of them cost ~40 ms of every open, rag.ingest.stamps)."""
    out, root = Listing(), str(Path(root))  # "./news/" -> "news": paths as pathlib writes them
    _list(root, len(root.rstrip(os.sep)) + 1, tuple(suffixes), out)
    out.files.sort(key=lambda p: p.replace(os.sep, "\0"))  # as pathlib orders paths: by their parts
    return out


def _list(folder: str, cut: int, suffixes: tuple[str, ...], out: Listing) -> None:
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:  # a folder that is gone or unreadable holds no article (as os.walk skips it)
        return
    dirs, files = [], []
    for entry in entries:
        try:
            is_dir = entry.is_dir()  # follows a link, as os.walk sorts its entries
        except OSError:
            is_dir = False
        (dirs if is_dir else files).append(entry)
    for entry in dirs:
        if entry.is_symlink() and not entry.name.startswith("."):
            out.skipped.append(f"{printable(entry.path)}: skipped, a symbolic link to a folder "
                               f"({printable(os.readlink(entry.path))}); links are never followed.")
    for entry in files:
        name = entry.name
        if name.startswith(".") or os.path.splitext(name)[1].lower() not in suffixes:
            continue
        if entry.is_symlink():
            out.skipped.append(f"{printable(entry.path)}: skipped, {_link(Path(entry.path))}")
        elif not _utf8(entry.path[cut:]):
            out.skipped.append(f"{printable(entry.path)}: skipped, the file name is not valid UTF-8; rename "
                               "the file.")
        else:
            out.files.append(entry.path)
    for entry in dirs:
        if not entry.name.startswith(".") and not entry.is_symlink():
            _list(entry.path, cut, suffixes, out)
