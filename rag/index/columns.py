"""Columnar files: named numpy arrays in one file that opens without parsing (issue 14).

An index generation used to keep its records as JSON (``chunks.json``: 17.7 MB at bench_open's 10,000
articles, 0.11 s of every open to decode, then an object per record). Here a file is::

    rag-columns 1\\n                 # MAGIC
    {"meta": {...}, "arrays": {name: [dtype, shape, offset]}}\\n
    <zero padding to 8 bytes> <array bytes, each at an 8-aligned offset from here> ...

:func:`decode` reads the two lines and makes a numpy view per array over the file's bytes (read, or
memory-mapped by :func:`open_mapped`): nothing else is decoded until a record is used. Strings are a
:class:`Texts` column: one UTF-8 blob plus int64 byte offsets, a string decoded when it is read.
The file is checksummed by its generation like any other (:mod:`rag.index.generations`); :func:`decode`
still checks every offset and length it is given, so a damaged file is a ValueError, never a crash.

Example:
    >>> data = encode({"n": np.arange(3), **pack_texts("name", ["a", "é", None])}, {"v": 1})
    >>> arrays, meta = decode(data); arrays["n"].tolist(), meta
    ([0, 1, 2], {'v': 1})
    >>> names = Texts.of(arrays, "name"); names[1], names.tolist(), len(names)
    ('é', ['a', 'é', None], 3)
"""
from __future__ import annotations

import json
import mmap
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

MAGIC = b"rag-columns 1\n"
_KINDS = "biuf"  # numbers only: a file never makes Python objects (np.load's pickles) or strings by dtype


def _aligned(n: int) -> int:
    return -(-n // 8) * 8


def encode(arrays: Mapping[str, np.ndarray], meta: Mapping | None = None) -> bytes:
    """One file of ``arrays`` (numbers) and a small JSON ``meta``."""
    specs, parts, offset = {}, [], 0
    for name, a in arrays.items():
        a = np.ascontiguousarray(a)
        if a.dtype.kind not in _KINDS:
            raise TypeError(f"column {name!r} has dtype {a.dtype}; store numbers (strings with pack_texts).")
        raw = a.tobytes()
        specs[name] = [a.dtype.str, list(a.shape), offset]
        parts += [raw, b"\0" * (_aligned(len(raw)) - len(raw))]
        offset += _aligned(len(raw))
    head = MAGIC + json.dumps({"meta": dict(meta or {}), "arrays": specs}, ensure_ascii=False).encode() + b"\n"
    return b"".join([head, b"\0" * (_aligned(len(head)) - len(head)), *parts])


def decode(data) -> tuple[dict[str, np.ndarray], dict]:
    """``(arrays, meta)`` of :func:`encode`'s bytes (or a memory map of them): read-only views, no copy.
    ValueError says what does not fit."""
    if bytes(data[:len(MAGIC)]) != MAGIC:
        raise ValueError(f"not a rag columns file (it starts with {bytes(data[:len(MAGIC)])!r})")
    end = data.find(b"\n", len(MAGIC))
    if end < 0:
        raise ValueError("its header line is cut off")
    header = json.loads(bytes(data[len(MAGIC):end]))
    start, arrays = _aligned(end + 1), {}
    for name, (dtype, shape, offset) in header["arrays"].items():
        dtype = np.dtype(dtype)
        count = int(np.prod(shape, dtype=np.int64))
        if dtype.kind not in _KINDS or offset < 0 or start + offset + count * dtype.itemsize > len(data):
            raise ValueError(f"column {name!r} ({dtype}, {shape} at {offset}) does not fit in {len(data):,} bytes")
        arrays[name] = np.frombuffer(data, dtype, count, start + offset).reshape(shape)
    return arrays, header["meta"]


def open_mapped(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    """:func:`decode` of a file, memory-mapped: its pages are the page cache's, read when a column is used.
    rag never changes a file once written (a generation's files are only added or removed whole)."""
    with open(path, "rb") as f:
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)  # ValueError for an empty file
    return decode(mapped)


def read_columns(data: bytes | Path) -> tuple[dict[str, np.ndarray], dict]:
    """:func:`decode` of a file's bytes, or :func:`open_mapped` of its (checked) path."""
    return open_mapped(data) if isinstance(data, Path) else decode(data)


def pack_texts(name: str, texts: Sequence[str | None]) -> dict[str, np.ndarray]:
    """The arrays of a :class:`Texts` column ``name`` (None allowed: a mask is stored then)."""
    raw = [(t or "").encode("utf-8", "surrogatepass") for t in texts]
    offsets = np.zeros(len(raw) + 1, np.int64)
    np.cumsum([len(r) for r in raw], out=offsets[1:])
    out = {name: np.frombuffer(b"".join(raw), np.uint8), f"{name}@at": offsets}
    if any(t is None for t in texts):
        out[f"{name}@none"] = np.array([t is None for t in texts], np.bool_)
    return out


def gather_texts(name: str, texts: Texts, rows: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`pack_texts` of ``texts[rows]``, copied as bytes in numpy (nothing decoded): a rewrite of a
    large column moves its bytes, not a string per row."""
    start, end = texts.offsets[rows], texts.offsets[rows + 1]
    offsets = np.zeros(len(rows) + 1, np.int64)
    np.cumsum(end - start, out=offsets[1:])
    byte = np.arange(offsets[-1], dtype=np.int64) + np.repeat(start - offsets[:-1], end - start)
    out = {name: texts.blob[byte], f"{name}@at": offsets}
    if texts.none is not None and texts.none[rows].any():
        out[f"{name}@none"] = texts.none[rows]
    return out


class Texts(Sequence):
    """A column of strings over a UTF-8 blob and its byte offsets; ``texts[i]`` decodes one."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray, none: np.ndarray | None = None) -> None:
        n = len(offsets) - 1
        if (n < 0 or offsets[0] != 0 or offsets[-1] != len(blob) or (n and (np.diff(offsets) < 0).any())
                or (none is not None and len(none) != n)):
            raise ValueError(f"a text column of {len(blob):,} bytes whose {len(offsets):,} offsets do not fit it")
        self.blob, self.offsets, self.none, self._n = blob, offsets, none, n

    @classmethod
    def of(cls, arrays: Mapping[str, np.ndarray], name: str) -> Texts:
        try:
            return cls(arrays[name], arrays[f"{name}@at"], arrays.get(f"{name}@none"))
        except KeyError as exc:
            raise ValueError(f"column {exc.args[0]!r} is missing") from None

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._n))]
        if not -self._n <= i < self._n:
            raise IndexError(f"text {i} of {self._n}")
        i %= self._n
        if self.none is not None and self.none[i]:
            return None
        return self.blob[self.offsets[i]:self.offsets[i + 1]].tobytes().decode("utf-8", "surrogatepass")

    def tolist(self) -> list[str | None]:
        """Every string, decoded in one pass when the blob is ASCII (ids are)."""
        whole = self.blob.tobytes().decode("utf-8", "surrogatepass")
        if len(whole) != len(self.blob) or self.none is not None:
            return [self[i] for i in range(self._n)]
        at = self.offsets.tolist()
        return [whole[at[i]:at[i + 1]] for i in range(self._n)]
