"""Reading an index generation (:mod:`rag.index.generations` writes them): the ``CURRENT`` pointer,
the files of the live generation checked against their checksums, and one file parsed with its name
in any error.

Example:
    >>> import tempfile; from rag.index.generations import write_generation
    >>> d = tempfile.mkdtemp(); _ = write_generation(d, {"a.json": b"[1]"})
    >>> files = read_generation(d); files["a.json"], sorted(files.digests)
    (b'[1]', ['a.json'])
    >>> read_file(files, "a.json", lambda b: b.decode())
    '[1]'
"""
from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path
from typing import Mapping

from rag.errors import IndexFormatError, IndexStoreError
from rag.index.verified import Verified

POINTER = "CURRENT"
CHECKSUMS = "CHECKSUMS"
_POINTER_RE = re.compile(r"(gen-[0-9a-f]{12}) sha256:([0-9a-f]{64})\n?")
_RETRIES = 8
FIX = "rebuild it with `rag index --rebuild`"

class GenerationFiles(dict):
    """The files read, by name, with ``digests``: the sha256 of every file of the generation."""

    digests: dict[str, str] = {}


def _pointer(index_dir: Path) -> tuple[str, str] | None:
    """``(generation, checksum)`` named by ``CURRENT``, or None when no index was written."""
    try:
        raw = (index_dir / POINTER).read_bytes()
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        blocker = next(p for p in (index_dir, *index_dir.parents) if p.exists() and not p.is_dir())
        where = "is a file" if blocker == index_dir else f"is inside {str(blocker)!r}, which is a file"
        raise IndexStoreError(f"--index-dir {str(index_dir)!r} {where}, not a folder; pass a folder.") from None
    text = raw.decode("ascii", "replace")
    m = _POINTER_RE.fullmatch(text)
    if m:
        return m.group(1), m.group(2)
    if re.fullmatch(r"gen-[0-9a-f]{12}\n?", text):
        raise IndexFormatError(f"index at {str(index_dir)!r} was written by an older version of rag (no "
                               f"checksums); {FIX}.")
    raise IndexStoreError(f"index at {str(index_dir)!r} is corrupt: {POINTER} is garbled ({raw[:40]!r} is not "
                          f"'gen-<id> sha256:<digest>'); {FIX}.")


def live_generation(index_dir: str | Path) -> Path | None:
    """Folder of the live generation, or None when no index was ever written."""
    index_dir = Path(index_dir)
    pointer = _pointer(index_dir)
    if pointer is None:
        return None
    folder = index_dir / pointer[0]
    if not folder.is_dir():
        raise IndexStoreError(f"index at {str(index_dir)!r} is corrupt: {POINTER} names {pointer[0]!r}, which is "
                              f"missing; {FIX}.")
    return folder


def read_generation(index_dir: str | Path, only: tuple[str, ...] | None = None,
                    as_paths: tuple[str, ...] = ()) -> dict[str, bytes | Path]:
    """Files of the live generation, by name, each checked against its checksum:
    all of them, or those in ``only`` (checking a manifest should not read every vector).
    A file whose name ends with one of ``as_paths`` is checked and given as its path, for a reader that
    loads it itself (faiss reads its files faster than it parses bytes). A file checked before with the
    same stat is not hashed again (:mod:`rag.index.verified` says what that does and does not catch).

    Raises :class:`IndexStoreError` naming the missing or damaged file."""
    return consistent(index_dir, lambda pointer: _read_checked(Path(index_dir), *pointer, only, as_paths))


def consistent(index_dir: str | Path, read):
    """``read((generation, checksum))`` of the live generation; when it raises IndexStoreError after a writer
    switched generations (and removed the one being read), ``read`` of the new one: damage is only reported
    when the same generation is still live. A loader that opens files after :func:`read_generation` checked
    them (faiss reads its own) wraps its whole load in this."""
    index_dir = Path(index_dir)
    for attempt in range(_RETRIES):
        pointer = _pointer(index_dir)
        if pointer is None:
            raise IndexStoreError(f"no index at {str(index_dir)!r}; build it with `rag index`.")
        try:
            return read(pointer)
        except IndexStoreError:
            if _pointer(index_dir) == pointer:
                raise  # the same generation is still live: real damage, not a write in progress
            time.sleep(0.01 * attempt)  # a writer switched generations while we read: read the new one
    raise IndexStoreError(f"index at {str(index_dir)!r} kept changing while it was read ({_RETRIES} writes in a "
                          "row); stop the other writer and try again.")


def _read_checked(index_dir: Path, name: str, digest: str, only, as_paths=()) -> dict[str, bytes | Path]:
    folder = index_dir / name

    def damaged(what: str) -> IndexStoreError:
        return IndexStoreError(f"index at {str(index_dir)!r} is corrupt: {what}; {FIX}.")

    try:
        listing = (folder / CHECKSUMS).read_bytes()
    except FileNotFoundError:
        raise damaged(f"{name}/{CHECKSUMS} is missing" if folder.is_dir() else
                      f"{POINTER} names {name!r}, which is missing") from None
    except OSError as exc:
        raise damaged(f"{name}/{CHECKSUMS} cannot be read ({exc.strerror})") from None
    if hashlib.sha256(listing).hexdigest() != digest:
        raise damaged(f"{name}/{CHECKSUMS} has changed since it was written")
    try:
        expected = json.loads(listing)
    except ValueError:
        raise damaged(f"{name}/{CHECKSUMS} is not valid JSON") from None
    out, cache = GenerationFiles(), Verified(index_dir, name, digest)
    out.digests = {filename: want["sha256"] for filename, want in expected.items()}
    for filename, want in expected.items():
        if only is not None and filename not in only:
            continue
        path = folder / filename
        try:
            st = path.stat()  # before the read: a change after it gives another stat, never a trusted one
            trusted = st.st_size == want["bytes"] and cache.trusted(filename, st, want["sha256"])
            if filename.endswith(as_paths):
                data, size, sha = path, st.st_size, None if trusted else _file_sha256(path)
            else:
                data = path.read_bytes()
                size, sha = len(data), None if trusted else hashlib.sha256(data).hexdigest()
        except FileNotFoundError:
            raise damaged(f"{filename} is missing") from None
        except OSError as exc:
            raise damaged(f"{filename} cannot be read ({exc.strerror})") from None
        if size != want["bytes"] or not (trusted or sha == want["sha256"]):
            raise damaged(f"{filename} has changed since it was written ({size:,} bytes, "
                          f"{want['bytes']:,} expected, checksum mismatch)")
        if not trusted:
            cache.checked(filename, st, sha)
        out[filename] = data
    cache.save()
    return out


def _file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def read_file(files: Mapping[str, bytes], name: str, parse):
    """``parse(files[name])``; any failure becomes ValueError("<name> cannot be read (why)"),
    so a damaged index names its file instead of showing a traceback."""
    try:
        return parse(files[name])
    except (ValueError, KeyError, TypeError, IndexError, EOFError, OSError, RuntimeError) as exc:
        why = "missing" if isinstance(exc, KeyError) and exc.args == (name,) else f"{type(exc).__name__}: {exc}"
        raise ValueError(f"{name} cannot be read ({str(why)[:200]})") from None
