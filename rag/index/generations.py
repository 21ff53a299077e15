"""Crash-safe index folders: checksummed generations and an atomically swapped pointer.

Layout::

    index_dir/
      CURRENT          # one line: "<generation> sha256:<digest of its CHECKSUMS>"
      gen-<id>/        # the files of one index, plus CHECKSUMS: {name: {"bytes": n, "sha256": hex}}
      .lock            # held while writing, so two writers never interleave

A write fills ``gen-<id>.tmp/``, fsyncs every file, renames it to ``gen-<id>/``
and only then replaces ``CURRENT`` with ``os.replace`` (atomic on POSIX). A file the
live generation already holds (:class:`Reuse`, by checksum) is hard-linked, not rewritten:
files are never changed once written, so both generations can share it, and removing
the old folder leaves the new one's link.
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
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from rag.errors import IndexStoreError
# The reading side, and the names the rest of the index imports from here:
from rag.index.generation_files import (CHECKSUMS, FIX, POINTER, _pointer,  # noqa: F401
                                        live_generation, read_file, read_generation)

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


@dataclass(frozen=True)
class Reuse:
    """A file of the new generation that the live one holds with this checksum: linked, not rewritten."""

    sha256: str


class StaleGeneration(ValueError):
    """A :class:`Reuse` names a file the live generation does not hold (another writer replaced it):
    the caller writes the file in full instead."""


def checksums(files: dict[str, bytes], kept: Mapping[str, dict] | None = None) -> bytes:
    entries = {n: {"bytes": len(d), "sha256": hashlib.sha256(d).hexdigest()} for n, d in files.items()}
    return json.dumps(dict(sorted({**entries, **(kept or {})}.items())), indent=1).encode()


def write_generation(index_dir: str | Path, files: Mapping[str, bytes | Reuse]) -> str:
    """Write ``files`` as a new generation and make it live. Returns its name.

    Raises :class:`IndexStoreError` when the folder cannot be written (a file in
    its place, no permission, no space), :class:`StaleGeneration` when a :class:`Reuse`
    does not match the live generation; the previous generation stays live."""
    if CHECKSUMS in files or POINTER in files:
        raise ValueError(f"{CHECKSUMS} and {POINTER} are the store's own file names; rename the file.")
    index_dir = Path(index_dir)
    try:
        with locked(index_dir):
            return _write_locked(index_dir, files)
    except OSError as exc:
        raise IndexStoreError(f"cannot write the index at {str(index_dir)!r} ({exc.strerror or exc}); free some "
                              "space, or pass --index-dir with a writable folder.") from None


def _write_locked(index_dir: Path, files: Mapping[str, bytes | Reuse]) -> str:
    previous = _pointer_name(index_dir)
    reuse = {n: r.sha256 for n, r in files.items() if isinstance(r, Reuse)}
    kept = _kept(index_dir, reuse)
    files = {n: d for n, d in files.items() if n not in reuse}
    name = f"gen-{uuid.uuid4().hex[:12]}"
    tmp = index_dir / f"{name}.tmp"
    _checkpoint("mkdir")
    tmp.mkdir()
    for filename in kept:
        _checkpoint(f"link {filename}")
        _link(index_dir / str(previous) / filename, tmp / filename)
    listing = checksums(files, kept)
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


def _kept(index_dir: Path, reuse: Mapping[str, str]) -> dict[str, dict]:
    """The live generation's checksum entries of the files in ``reuse``, each checked against the
    checksum the caller expects (the file it loaded); StaleGeneration when one differs."""
    if not reuse:
        return {}
    pointer = _pointer(index_dir)
    try:
        listing = (index_dir / pointer[0] / CHECKSUMS).read_bytes() if pointer else b""
        entries = json.loads(listing) if pointer and hashlib.sha256(listing).hexdigest() == pointer[1] else {}
    except (OSError, ValueError):
        entries = {}
    stale = [n for n, digest in reuse.items() if entries.get(n, {}).get("sha256") != digest]
    if stale:
        raise StaleGeneration(f"the live generation no longer holds {', '.join(sorted(stale))} as loaded; "
                              "write them in full.")
    return {n: entries[n] for n in reuse}


def _link(source: Path, target: Path) -> None:
    """A hard link; a copy where the file system has none."""
    try:
        os.link(source, target)
    except OSError:
        _write_file(target, source.read_bytes())


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
