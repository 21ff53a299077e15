"""The in-process :class:`~rag.index.protocols.VectorStore`: FAISS, keyed by string ids.

Each collection is a ``faiss.IndexIDMap2`` around an exact ``IndexFlatIP`` or an
approximate ``IndexHNSWFlat`` (``kind="auto"``: exact up to
``approx_threshold`` vectors in the first upsert, the crossover measured with
:mod:`rag.index.vector_index` in benchmarks/bench_faiss.py). Our string ids map
to int64 labels that never change, so:

- ``upsert``/``delete`` touch only the given ids (flat removes rows in place;
  HNSW cannot remove, so deleted labels become tombstones excluded from every
  search, and the graph is rebuilt once they outnumber the live vectors);
- filters are pushed into faiss as an ``IDSelector`` over the labels the
  :class:`Filter` admits, found by testing each distinct payload once and one
  numpy pass over the labels' payload numbers (:mod:`rag.index.label_columns`;
  no vector is read); a small admitted set on HNSW
  is scored exactly instead, where a graph walk could miss it;
- ``score(ids)`` reads the vectors back from faiss (``reconstruct_batch``):
  there is no second copy of the matrix beside faiss.

Threads: a single query runs on one OpenMP thread; on a busy 2-core machine a
split flat scan waits for a descheduled thread (bench_faiss: 18 ms p50 on 1
thread vs 52 ms on 2 at 100k rows while other jobs ran).

Example:
    >>> import numpy as np
    >>> store = FaissStore(dim=3)
    >>> store.upsert("chunks", ["a", "b", "c"], np.eye(3, dtype=np.float32),
    ...              [{"doc_id": "d1"}, {"doc_id": "d1"}, {"doc_id": "d2"}])
    >>> [(h.id, round(h.score, 2)) for h in store.search("chunks", np.array([0.6, 0.8, 0.0]), 2)]
    [('b', 0.8), ('a', 0.6)]
    >>> [h.id for h in store.search("chunks", np.array([0.6, 0.8, 0.0]), 2, where=Filter(doc_ids={"d2"}))]
    ['c']
    >>> store.delete("chunks", ["b"]); store.score("chunks", np.array([0.6, 0.8, 0.0]), ["c", "a"]).round(2)
    array([0. , 0.6], dtype=float32)
    >>> FaissStore.from_files(store.to_files()).count("chunks")
    2
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import faiss
import numpy as np

from rag.index.columns import Texts, encode, pack_texts, read_columns
from rag.index.faiss_collection import Collection, as_unit_matrix
from rag.index.faiss_delta import apply_delta, delta_name, encode_delta, worth_a_delta
from rag.index.generations import Reuse, read_file
from rag.index.protocols import COLLECTIONS, Filter, Hit

KINDS = ("auto", "flat", "hnsw")
# From benchmarks/bench_faiss.py on this 2-core box (384-dim, one query):
# exact search took 0.4-0.5 ms p50 at 5k rows and ~1 ms at 10k (0.99 ms idle,
# 1.5 ms with other jobs running; 18 ms at 100k, 310 ms at 1M), while HNSW
# (M=32, efSearch=128) beat it from 5k on in every run and held 0.3-0.7 ms
# with recall@10 >= 0.978 up to 1M. So exact up to 5k, where it is fast and
# cannot miss, and approximate above, where it is faster.
DEFAULT_APPROX_THRESHOLD = 5_000


class FaissStore:
    """Collections of unit vectors by id; see the module docstring."""

    def __init__(self, *, dim: int, kind: str = "auto", approx_threshold: int = DEFAULT_APPROX_THRESHOLD,
                 hnsw_m: int = 32, hnsw_ef_construction: int = 40, hnsw_ef_search: int = 128,
                 single_query_threads: int = 1) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}; got {kind!r}. Use 'auto' unless benchmarking.")
        for name, value, low in (("dim", dim, 1), ("approx_threshold", approx_threshold, 0), ("hnsw_m", hnsw_m, 2),
                                 ("hnsw_ef_construction", hnsw_ef_construction, 1),
                                 ("hnsw_ef_search", hnsw_ef_search, 1), ("single_query_threads", single_query_threads, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}; got {value!r}.")
        self.dim = dim
        self.settings = {"kind": kind, "approx_threshold": approx_threshold, "hnsw_m": hnsw_m,
                         "hnsw_ef_construction": hnsw_ef_construction, "hnsw_ef_search": hnsw_ef_search,
                         "single_query_threads": single_query_threads}
        self._collections: dict[str, Collection] = {}

    # -- the VectorStore protocol ---------------------------------------------
    def upsert(self, collection: str, ids: Sequence[str], vectors: np.ndarray,
               payloads: Sequence[Mapping[str, str]]) -> None:
        ids = list(ids)
        x = as_unit_matrix(vectors, self.dim)
        if not len(ids) == len(x) == len(payloads):
            raise ValueError(f"upsert needs one vector and one payload per id; got {len(ids)} ids, {len(x)} vectors "
                             f"and {len(payloads)} payloads.")
        if len(set(ids)) != len(ids):
            raise ValueError("upsert got the same id twice in one call; pass each id once.")
        if ids:
            self._collection(collection, create_for=len(ids)).upsert(ids, x, payloads)

    def delete(self, collection: str, ids: Iterable[str]) -> None:
        c = self._collections.get(self._check_name(collection))
        if c is not None:
            c.delete(ids)

    def search(self, collection: str, query: np.ndarray, k: int, *, where: Filter | None = None) -> list[Hit]:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be an integer >= 1; got {k!r}.")
        q = as_unit_matrix(np.asarray(query).reshape(1, -1), self.dim)
        c = self._collections.get(self._check_name(collection))
        if c is None or not len(c):
            return []
        threads, single = faiss.omp_get_max_threads(), self.settings["single_query_threads"]
        if single:  # see "Threads" in the module docstring; OpenMP keeps this per calling thread
            faiss.omp_set_num_threads(single)
        try:
            labels, scores = c.search(q, int(k), where)
        finally:
            faiss.omp_set_num_threads(threads)
        return [Hit(c.id_of[int(label)], float(s), c.payload[int(label)]) for label, s in zip(labels, scores)]

    def score(self, collection: str, query: np.ndarray, ids: Sequence[str]) -> np.ndarray:
        q = as_unit_matrix(np.asarray(query).reshape(1, -1), self.dim)[0]
        ids = list(ids)
        if not ids:
            return np.empty(0, np.float32)
        c = self._collections.get(self._check_name(collection))
        if c is None:
            raise KeyError(f"id {ids[0]!r} is not in collection {collection!r} (it is empty); rebuild the index "
                           "with `rag index --rebuild` if this persists.")
        return (c.vectors(ids) @ q).astype(np.float32)

    def count(self, collection: str) -> int:
        c = self._collections.get(self._check_name(collection))
        return 0 if c is None else len(c)

    def __len__(self) -> int:
        return sum(len(c) for c in self._collections.values())

    # -- beyond the protocol: ids and persistence ------------------------------
    def ids(self, collection: str) -> set[str]:
        """Every id stored in ``collection``."""
        c = self._collections.get(self._check_name(collection))
        return set() if c is None else set(c.label_of)

    def kind(self, collection: str) -> str | None:
        """"flat" or "hnsw" for a collection that exists, else None."""
        c = self._collections.get(self._check_name(collection))
        return None if c is None else c.kind

    def to_files(self, *, incremental: bool = False) -> dict[str, bytes | Reuse]:
        """``{"vectors.json": settings, "<collection>.faiss": index, "<collection>.ids.cols": ids and payloads}``;
        the index generation checksums each file, so faiss only ever parses checked bytes. ``incremental``: a
        collection changed little since it was loaded keeps its files (:class:`Reuse`) beside a
        ``<collection>.delta.npz`` (:mod:`rag.index.faiss_delta`)."""
        files: dict[str, bytes | Reuse] = {"vectors.json": json.dumps(
            {"dim": self.dim, "settings": self.settings, "collections": sorted(self._collections)}).encode()}
        for name, c in self._collections.items():
            if incremental and worth_a_delta(c):
                files[f"{name}.faiss"], files[c.ids_file] = Reuse(c.base["faiss"]), Reuse(c.base["ids"])
                files[delta_name(name)] = encode_delta(c)
                continue
            index = c.index if c.overlay is None else c.owned()  # an overlay joins its graph (a mapped one is copied)
            files[f"{name}.faiss"] = faiss.serialize_index(index).tobytes()
            files[f"{name}.ids.cols"] = _encode_state(c.state())
        return files

    @classmethod
    def from_files(cls, files: Mapping[str, bytes | Path]) -> FaissStore:
        """Inverse of :meth:`to_files`; ValueError("<file> cannot be read (why)") names a damaged file.
        A ``.faiss`` file may be given as its path (``read_generation(..., as_paths=(".faiss",))``)."""
        meta = read_file(files, "vectors.json", json.loads)
        store = read_file(files, "vectors.json", lambda _: cls(dim=int(meta["dim"]), **meta["settings"]))
        for name in read_file(files, "vectors.json", lambda _: [store._check_name(n) for n in meta["collections"]]):
            index = read_file(files, f"{name}.faiss", _read_index)
            ids_file = f"{name}.ids.json" if f"{name}.ids.json" in files else f"{name}.ids.cols"  # .json: format 3
            state = read_file(files, ids_file, json.loads if ids_file.endswith(".json") else _decode_state)
            c = store._collections[name] = read_file(
                files, ids_file, lambda _: Collection.restore(index, state, store.dim, store.settings))
            c.mapped_from = files[f"{name}.faiss"] if isinstance(files[f"{name}.faiss"], Path) else None
            c.base, c.ids_file = {"faiss": _digest(files, f"{name}.faiss"), "ids": _digest(files, ids_file)}, ids_file
            if delta_name(name) in files:
                read_file(files, delta_name(name), lambda b: apply_delta(c, b, c.base))
        return store

    def _check_name(self, collection: str) -> str:
        if collection not in COLLECTIONS:
            raise ValueError(f"unknown collection {collection!r}; use one of {COLLECTIONS}.")
        return collection

    def _collection(self, name: str, create_for: int) -> Collection:
        if self._check_name(name) not in self._collections:
            s = self.settings
            kind = s["kind"] if s["kind"] != "auto" else "hnsw" if create_for > s["approx_threshold"] else "flat"
            self._collections[name] = Collection.empty(kind, self.dim, s)
        return self._collections[name]


def _read_index(data: bytes | Path) -> faiss.Index:
    """A faiss index from its bytes, or memory-mapped from its (checked) file: bench_open's 236 MB of sentence
    vectors and graph take 0.01 s to map, 0.13 s to read and 0.6-1.0 s to parse from bytes in memory. A mapped
    index is read-only: :meth:`Collection.owned` copies it into memory before its first change. Its pages are
    the file's in the page cache, read as searches touch them, and no copy of the file is held beside it.
    rag never changes a file once written (a generation's files are only added or removed whole); a file changed
    in place by another program while a process has it mapped is seen by that process unchecked."""
    if isinstance(data, Path):
        return faiss.read_index(str(data), faiss.IO_FLAG_MMAP_IFC)
    return faiss.deserialize_index(np.frombuffer(data, np.uint8))


def _encode_state(state: dict) -> bytes:
    """A collection's :meth:`~Collection.state` as a columns file (:mod:`rag.index.columns`): its labels and
    payload numbers are arrays, its ids one text column, and a load decodes no JSON but the distinct payloads."""
    arrays = {"labels": np.array(state["labels"], np.int64), "payload_of": np.array(state["payload_of"], np.int32),
              "tombstones": np.array(state["tombstones"], np.int64), **pack_texts("id", state["ids"])}
    return encode(arrays, {k: state[k] for k in ("kind", "next_label", "payloads")})


def _decode_state(data: bytes | Path) -> dict:
    arrays, meta = read_columns(data)
    return {**meta, "labels": arrays["labels"].tolist(), "payload_of": arrays["payload_of"].tolist(),
            "tombstones": arrays["tombstones"].tolist(), "ids": Texts.of(arrays, "id").tolist()}


def _digest(files: Mapping[str, bytes], name: str) -> str:
    """The checksum of ``files[name]``: the one the generation checked it against, if it says."""
    known = getattr(files, "digests", {}).get(name)
    return known or hashlib.sha256(files[name]).hexdigest()
