"""Crash-safe index folders: generations plus an atomically swapped pointer.

Layout::

    index_dir/
      CURRENT          # one line: the name of the live generation
      gen-<id>/        # manifest.json, documents.json, chunks.json, vectors.bin, sentences.npy
      .lock            # held while writing, so two builders never interleave

A write fills ``gen-<id>.tmp/``, fsyncs every file, renames it to ``gen-<id>/``
and only then replaces ``CURRENT`` with ``os.replace`` (atomic on POSIX).
Killing the process at any point leaves ``CURRENT`` naming a complete
generation: the old one or the new one, never a half-written one.

Example:
    >>> import tempfile; d = tempfile.mkdtemp()
    >>> write_generation(d, {"manifest.json": b"{}"}); read_generation(d)["manifest.json"]
    b'{}'
"""
from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

from .errors import IndexStoreError

POINTER = "CURRENT"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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


def write_generation(index_dir: str | Path, files: dict[str, bytes]) -> str:
    """Write ``files`` as a new generation and make it live. Returns its name."""
    index_dir = Path(index_dir)
    with locked(index_dir):
        name = f"gen-{uuid.uuid4().hex[:12]}"
        tmp = index_dir / f"{name}.tmp"
        tmp.mkdir()
        for filename, data in files.items():
            with open(tmp / filename, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        _fsync_dir(tmp)
        os.rename(tmp, index_dir / name)
        pointer_tmp = index_dir / f"{POINTER}.tmp"
        with open(pointer_tmp, "w") as f:
            f.write(name + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(pointer_tmp, index_dir / POINTER)
        _fsync_dir(index_dir)
        _collect_garbage(index_dir, keep=name)
    return name


def _collect_garbage(index_dir: Path, keep: str) -> None:
    """Remove old generations and leftovers of killed writes."""
    for entry in index_dir.iterdir():
        if entry.is_dir() and entry.name.startswith("gen-") and entry.name != keep:
            shutil.rmtree(entry, ignore_errors=True)


def live_generation(index_dir: str | Path) -> Path | None:
    """Folder of the live generation, or None when no index was ever written."""
    pointer = Path(index_dir) / POINTER
    if not pointer.exists():
        return None
    name = pointer.read_text().strip()
    folder = Path(index_dir) / name
    if not name.startswith("gen-") or not folder.is_dir():
        raise IndexStoreError(f"index at {str(index_dir)!r} is corrupt: {POINTER} names {name!r}, which is missing. "
                              "Rebuild it with `rag index --rebuild`.")
    return folder


def read_generation(index_dir: str | Path, only: tuple[str, ...] | None = None) -> dict[str, bytes]:
    """Files of the live generation, by name: all of them, or those in ``only``
    that exist (checking a manifest should not read every vector)."""
    folder = live_generation(index_dir)
    if folder is None:
        raise IndexStoreError(f"no index at {str(index_dir)!r}; build it with `rag index`.")
    return {p.name: p.read_bytes() for p in folder.iterdir()
            if p.is_file() and (only is None or p.name in only)}
