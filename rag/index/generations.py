"""Crash-safe index folders: checksummed generations and an atomically swapped pointer.

Layout::

    index_dir/
      CURRENT          # one line: "<generation> sha256:<digest of its CHECKSUMS>"
      gen-<id>/        # the files of one index, plus CHECKSUMS: {name: {"bytes": n, "sha256": hex}}
      .lock            # held while writing, so two writers never interleave

A write fills ``gen-<id>.tmp/``, fsyncs every file, renames it to ``gen-<id>/``
and only then replaces ``CURRENT`` with ``os.replace`` (atomic on POSIX).
Killing the process at any step leaves ``CURRENT`` naming a complete
generation: the old one or the new one (``tests/index/test_generations.py`` kills a writer
at each step). Every file is covered by a checksum, and ``CURRENT`` by the
checksum of the list, so damage to any byte is found on load and named.

Readers take no lock. The writer keeps the generation it replaced (removing
older ones), and a reader whose generation vanished or changed under it
reads ``CURRENT`` again, so a load that overlaps a write gets the old or the
new index, never a false "corrupt".

Example:
    >>> import tempfile; d = tempfile.mkdtemp()
    >>> name = write_generation(d, {"manifest.json": b"{}"}); read_generation(d)["manifest.json"]
    b'{}'
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Mapping

from rag.errors import IndexFormatError, IndexStoreError

POINTER = "CURRENT"
CHECKSUMS = "CHECKSUMS"
_POINTER_RE = re.compile(r"(gen-[0-9a-f]{12}) sha256:([0-9a-f]{64})\n?")
_RETRIES = 8
FIX = "rebuild it with `rag index --rebuild`"


def _checkpoint(step: str) -> None:
    """Called before each step of a write. A no-op; the crash tests replace it
    in a child process to kill the writer at exactly that step."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


@contextmanager
def locked(index_dir: str | Path):
    """Exclusive lock on the index folder for the duration of a write."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def checksums(files: dict[str, bytes]) -> bytes:
    return json.dumps({n: {"bytes": len(d), "sha256": hashlib.sha256(d).hexdigest()}
                       for n, d in sorted(files.items())}, indent=1).encode()


def write_generation(index_dir: str | Path, files: dict[str, bytes]) -> str:
    """Write ``files`` as a new generation and make it live. Returns its name.

    Raises :class:`IndexStoreError` when the folder cannot be written (a file in
    its place, no permission, no space); the previous generation stays live."""
    if CHECKSUMS in files or POINTER in files:
        raise ValueError(f"{CHECKSUMS} and {POINTER} are the store's own file names; rename the file.")
    index_dir = Path(index_dir)
    try:
        with locked(index_dir):
            return _write_locked(index_dir, files)
    except OSError as exc:
        raise IndexStoreError(f"cannot write the index at {str(index_dir)!r} ({exc.strerror or exc}); free some "
                              "space, or pass --index-dir with a writable folder.") from None


def _write_locked(index_dir: Path, files: dict[str, bytes]) -> str:
    previous = _pointer_name(index_dir)
    name = f"gen-{uuid.uuid4().hex[:12]}"
    tmp = index_dir / f"{name}.tmp"
    _checkpoint("mkdir")
    tmp.mkdir()
    listing = checksums(files)
    for filename, data in [*files.items(), (CHECKSUMS, listing)]:
        _checkpoint(f"write {filename}")
        _write_file(tmp / filename, data)
    _checkpoint("fsync generation")
    _fsync_dir(tmp)
    _checkpoint("rename generation")
    os.rename(tmp, index_dir / name)
    _checkpoint("write pointer")
    _write_file(index_dir / f"{POINTER}.tmp", f"{name} sha256:{hashlib.sha256(listing).hexdigest()}\n".encode())
    _checkpoint("swap pointer")
    os.replace(index_dir / f"{POINTER}.tmp", index_dir / POINTER)
    _checkpoint("fsync folder")
    _fsync_dir(index_dir)
    _checkpoint("collect garbage")
    _collect_garbage(index_dir, keep={name, previous})
    return name


def _pointer_name(index_dir: Path) -> str | None:
    try:
        return (index_dir / POINTER).read_bytes().decode("ascii", "replace").split(" ")[0].strip() or None
    except OSError:
        return None


def _collect_garbage(index_dir: Path, keep: set) -> None:
    """Remove generations older than the one just replaced, and leftovers of killed writes."""
    for entry in index_dir.iterdir():
        if entry.is_dir() and entry.name.startswith("gen-") and entry.name not in keep:
            shutil.rmtree(entry, ignore_errors=True)


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


def read_generation(index_dir: str | Path, only: tuple[str, ...] | None = None) -> dict[str, bytes]:
    """Files of the live generation, by name, each checked against its checksum:
    all of them, or those in ``only`` (checking a manifest should not read every vector).

    Raises :class:`IndexStoreError` naming the missing or damaged file."""
    index_dir = Path(index_dir)
    for attempt in range(_RETRIES):
        pointer = _pointer(index_dir)
        if pointer is None:
            raise IndexStoreError(f"no index at {str(index_dir)!r}; build it with `rag index`.")
        try:
            return _read_checked(index_dir, *pointer, only)
        except IndexStoreError:
            if _pointer(index_dir) == pointer:
                raise  # the same generation is still live: real damage, not a write in progress
            time.sleep(0.01 * attempt)  # a writer switched generations while we read: read the new one
    raise IndexStoreError(f"index at {str(index_dir)!r} kept changing while it was read ({_RETRIES} writes in a "
                          "row); stop the other writer and try again.")


def _read_checked(index_dir: Path, name: str, digest: str, only) -> dict[str, bytes]:
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
    out = {}
    for filename, want in expected.items():
        if only is not None and filename not in only:
            continue
        try:
            data = (folder / filename).read_bytes()
        except FileNotFoundError:
            raise damaged(f"{filename} is missing") from None
        except OSError as exc:
            raise damaged(f"{filename} cannot be read ({exc.strerror})") from None
        if len(data) != want["bytes"] or hashlib.sha256(data).hexdigest() != want["sha256"]:
            raise damaged(f"{filename} has changed since it was written ({len(data):,} bytes, "
                          f"{want['bytes']:,} expected, checksum mismatch)")
        out[filename] = data
    return out


def read_file(files: Mapping[str, bytes], name: str, parse):
    """``parse(files[name])``; any failure becomes ValueError("<name> cannot be read (why)"),
    so a damaged index names its file instead of showing a traceback."""
    try:
        return parse(files[name])
    except (ValueError, KeyError, TypeError, IndexError, EOFError, OSError, RuntimeError) as exc:
        why = "missing" if isinstance(exc, KeyError) and exc.args == (name,) else f"{type(exc).__name__}: {exc}"
        raise ValueError(f"{name} cannot be read ({str(why)[:200]})") from None
