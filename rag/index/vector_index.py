"""Nearest-neighbour search over L2-normalised vectors, exact or approximate, by row number.

The index itself uses :class:`~rag.index.faiss_store.FaissStore` (ids, filters,
no second copy). This is the row-numbered reference that benchmarks/bench_faiss.py
measures flat, HNSW and IVF with; its crossover sets FaissStore's ``approx_threshold``.

Scores are inner products, which equal cosine similarity because every vector
is unit length (normalising is the embedder's job: this module never sees a
model, only numbers). Row ``i`` of the fitted matrix is id ``i`` everywhere.
Up to ``approx_threshold`` rows ``kind="auto"`` builds an exact
``IndexFlatIP``; above it, an approximate index (HNSW unless told otherwise).

It keeps its own float32 copy of the vectors beside faiss's (to re-answer
short approximate rows exactly): FaissStore does without one.

Threads: a single query runs on one OpenMP thread (``single_query_threads``; the
measurement is in FaissStore's docstring); builds and batches keep every thread.

Example:
    >>> import numpy as np
    >>> index = VectorIndex().fit(np.eye(3, dtype=np.float32))
    >>> scores, ids = index.search(np.array([0.6, 0.8, 0.0]), k=2)
    >>> ids, scores.round(2)
    (array([[1, 0]]), array([[0.8, 0.6]], dtype=float32))
    >>> VectorIndex.from_bytes(index.to_bytes()).kind
    'flat'
"""
from __future__ import annotations

import json
import math
import zlib

import faiss
import numpy as np

from rag.index.faiss_store import DEFAULT_APPROX_THRESHOLD

MAGIC = b"rag-vectors v1\n"
KINDS = ("auto", "flat", "hnsw", "ivf")
# Unit vectors have norm 1 up to float error; anything further off is a caller
# that forgot to normalise, and inner product would no longer be cosine.
_NORM_TOLERANCE = 1e-2


def _corrupt(why: str) -> ValueError:
    return ValueError(f"The vector index file is corrupt ({why}). Rebuild it with `rag index`.")


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def _as_unit_matrix(array, name: str, fix: str, *, copy: bool) -> np.ndarray:
    a = np.asarray(array)
    if a.ndim != 2 or a.shape[1] == 0 or a.dtype.kind not in "fiu":
        raise ValueError(f"{name} must be a 2-D float array of shape (n, dim) with dim > 0; "
                         f"got shape {a.shape} and dtype {a.dtype}. {fix}")
    x = np.array(a, dtype=np.float32, order="C", copy=copy or None)
    # einsum makes one pass with no full-size temporary, and NaN/inf give a
    # non-finite norm, so this one check also catches them.
    norms = np.sqrt(np.einsum("ij,ij->i", x, x))
    bad = np.flatnonzero(~(np.abs(norms - 1.0) <= _NORM_TOLERANCE))
    if bad.size:
        i = int(bad[0])
        what = f"norm {norms[i]:.4g}" if np.isfinite(x[i]).all() else "non-finite values"
        raise ValueError(f"{name} row {i} has {what} ({bad.size} bad rows in all); rows must be finite "
                         "and L2-normalised. Normalise them: x / np.linalg.norm(x, axis=1, keepdims=True).")
    return x


class VectorIndex:
    """Top-k inner-product search over unit vectors; see the module docstring."""

    def __init__(self, *, kind: str = "auto", approx_threshold: int = DEFAULT_APPROX_THRESHOLD,
                 approx_kind: str = "hnsw", hnsw_m: int = 32, hnsw_ef_construction: int = 40,
                 hnsw_ef_search: int = 128, ivf_nlist: int | None = None,
                 ivf_nprobe: int | None = None, single_query_threads: int = 1) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}; got {kind!r}. Use 'auto' unless benchmarking.")
        if approx_kind not in KINDS[2:]:
            raise ValueError(f"approx_kind must be one of {KINDS[2:]}; got {approx_kind!r}.")
        self._settings = {
            "kind": kind, "approx_kind": approx_kind,
            "approx_threshold": _check_int("approx_threshold", approx_threshold, 0),
            "hnsw_m": _check_int("hnsw_m", hnsw_m, 2),
            "hnsw_ef_construction": _check_int("hnsw_ef_construction", hnsw_ef_construction, 1),
            "hnsw_ef_search": _check_int("hnsw_ef_search", hnsw_ef_search, 1),
            # None = derive from the number of vectors at fit time.
            "ivf_nlist": None if ivf_nlist is None else _check_int("ivf_nlist", ivf_nlist, 1),
            "ivf_nprobe": None if ivf_nprobe is None else _check_int("ivf_nprobe", ivf_nprobe, 1),
            # 0 = leave OpenMP's thread count alone for single queries too.
            "single_query_threads": _check_int("single_query_threads", single_query_threads, 0),
        }
        self._index: faiss.Index | None = None
        self._vectors: np.ndarray | None = None
        self._kind: str | None = None

    def fit(self, vectors: np.ndarray) -> VectorIndex:
        """Index ``vectors`` (n, dim), replacing any previous contents; returns self."""
        # Copy, so a caller mutating its array later cannot desync faiss and us.
        x = _as_unit_matrix(vectors, "vectors", "Pass a matrix with one row per chunk.", copy=True)
        x.flags.writeable = False
        s, (n, dim) = self._settings, x.shape
        kind = s["kind"] if s["kind"] != "auto" else s["approx_kind"] if n > s["approx_threshold"] else "flat"
        if kind == "flat":
            index = faiss.IndexFlatIP(dim)
        elif kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, s["hnsw_m"], faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = s["hnsw_ef_construction"]
        else:
            # faiss suggests 4-16 sqrt(n) lists, but 4096 lists took 13 min to
            # build at 1M on 2 cores; 2 sqrt(n) = 2000 took 3 min. n // 40 keeps
            # 40 training rows per centroid, just above where faiss warns (39).
            nlist = s["ivf_nlist"] or max(1, min(round(2 * math.sqrt(n)), n // 40))
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
            if n:  # train on a fixed-size sample: k-means time is linear in it
                rows = np.random.default_rng(0).choice(n, min(n, 40 * nlist), replace=False)
                index.train(x[np.sort(rows)])
        if n:
            index.add(x)
        self._index, self._vectors, self._kind = index, x, kind
        return self.tune()

    def tune(self, *, hnsw_ef_search: int | None = None, ivf_nprobe: int | None = None,
             single_query_threads: int | None = None) -> VectorIndex:
        """Set query-time knobs without rebuilding (for recall/latency sweeps); returns self."""
        for name, value, minimum in (("hnsw_ef_search", hnsw_ef_search, 1), ("ivf_nprobe", ivf_nprobe, 1),
                                     ("single_query_threads", single_query_threads, 0)):
            if value is not None:
                self._settings[name] = _check_int(name, value, minimum)
        if self._kind == "hnsw":
            self._index.hnsw.efSearch = self._settings["hnsw_ef_search"]
        elif self._kind == "ivf":
            # Default: probe 1/64 of the lists, at least 8: the bench sweep gave
            # recall@10 >= 0.97 from 10k to 1M, and 3.6 ms p50 at 1M (nprobe 31).
            nlist = self._index.nlist
            self._index.nprobe = min(nlist, self._settings["ivf_nprobe"] or max(8, nlist // 64))
        return self

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Best ``min(k, len(self))`` scores (descending) and ids per row; 1-D = one row."""
        q = self._queries(queries)
        k = min(_check_int("k", k, 1), len(self))
        if k == 0 or len(q) == 0:
            return np.empty((len(q), k), np.float32), np.empty((len(q), k), np.int64)
        threads, single = faiss.omp_get_max_threads(), self._settings["single_query_threads"]
        if len(q) == 1 and single:  # see "Threads" in the module docstring
            faiss.omp_set_num_threads(single)  # OpenMP keeps this per calling thread
        try:
            scores, ids = self._index.search(q, k)
        finally:
            faiss.omp_set_num_threads(threads)
        # An approximate index pads with id -1 when it reached fewer than k
        # vectors (IVF probing short lists, HNSW on a tiny graph). Re-answer
        # those rows exactly, so every row has k real hits.
        short = (ids < 0).any(axis=1)
        if short.any():
            scores[short], ids[short] = faiss.knn(q[short], self._vectors, k, metric=faiss.METRIC_INNER_PRODUCT)
        return scores, ids

    def _queries(self, queries: np.ndarray) -> np.ndarray:
        if self._vectors is None:
            raise RuntimeError("VectorIndex is not fitted: call fit(vectors) or VectorIndex.from_bytes(data) first.")
        a = np.asarray(queries)
        a = a.reshape(1, -1) if a.ndim == 1 else a
        if a.ndim == 2 and a.shape[1] != self.dim:
            raise ValueError(f"query dim {a.shape[1]} does not match index dim {self.dim}. Embed queries "
                             "with the model that built the index, or rebuild it with `rag index`.")
        return _as_unit_matrix(a, "queries", "Pass one query vector or a matrix of them.", copy=False)

    @property
    def vectors(self) -> np.ndarray | None:
        """The indexed float32 matrix (read-only), or None before fit."""
        return self._vectors

    @property
    def kind(self) -> str | None:
        """The kind actually built: "flat", "hnsw" or "ivf" (None before fit)."""
        return self._kind

    @property
    def dim(self) -> int | None:
        return None if self._vectors is None else self._vectors.shape[1]

    @property
    def params(self) -> dict:
        """The faiss parameters in force, e.g. {"nlist": 2000, "nprobe": 31} for IVF."""
        if self._kind == "hnsw":
            h = self._index.hnsw
            return {"M": self._settings["hnsw_m"], "efConstruction": h.efConstruction, "efSearch": h.efSearch}
        return {"nlist": self._index.nlist, "nprobe": self._index.nprobe} if self._kind == "ivf" else {}

    def __len__(self) -> int:
        return 0 if self._vectors is None else len(self._vectors)

    def to_bytes(self) -> bytes:
        """One self-describing blob: magic line, JSON line, faiss index, raw vectors."""
        if self._vectors is None:
            raise RuntimeError("Nothing to save: call fit(vectors) first.")
        # A flat index is just its vectors and rebuilding it on load is a
        # memcpy, so storing faiss's copy too would only double the file.
        blob = np.empty(0, np.uint8) if self._kind == "flat" else faiss.serialize_index(self._index)
        vec = self._vectors.astype("<f4", copy=False)
        meta = {"kind": self._kind, "n": len(self), "dim": self.dim, "settings": self._settings,
                "index_nbytes": int(blob.nbytes), "vectors_nbytes": int(vec.nbytes),
                # Checked before faiss parses anything, because faiss trusts its input.
                "crc32": zlib.crc32(vec, zlib.crc32(blob))}
        return b"".join([MAGIC, json.dumps(meta).encode() + b"\n", blob, vec])

    @classmethod
    def from_bytes(cls, data: bytes) -> VectorIndex:
        """Inverse of ``to_bytes``; raises ValueError naming the damage if ``data`` is corrupt."""
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"from_bytes takes bytes; got {type(data).__name__}.")
        if not data.startswith(MAGIC):
            raise _corrupt(f"expected header {MAGIC.strip()!r}, found {bytes(data[:len(MAGIC)]).strip()!r}")
        end = data.find(b"\n", len(MAGIC), len(MAGIC) + 65536)
        try:
            meta = json.loads(data[len(MAGIC) : end]) if end > 0 else None
            kind, n, dim = meta["kind"], int(meta["n"]), int(meta["dim"])
            ib, vb, crc = int(meta["index_nbytes"]), int(meta["vectors_nbytes"]), int(meta["crc32"])
            obj = cls(**meta["settings"])
        except (ValueError, KeyError, TypeError) as e:
            raise _corrupt(f"unreadable metadata line: {e}") from None
        start = end + 1
        if kind not in KINDS[1:] or min(n, dim, ib) < 0 or vb != n * dim * 4 or len(data) != start + ib + vb:
            raise _corrupt(f"expected {start + ib + vb} bytes for {n} x {dim} {kind!r}, found {len(data)}")
        blob = np.frombuffer(data, np.uint8, ib, start)
        vec = np.frombuffer(data, "<f4", n * dim, start + ib)
        if zlib.crc32(vec, zlib.crc32(blob)) != crc:
            raise _corrupt("checksum mismatch")
        vectors = vec.astype(np.float32).reshape(n, dim)  # an owned copy in native byte order
        vectors.flags.writeable = False
        if kind == "flat":
            index = faiss.IndexFlatIP(dim)
            index.add(vectors)
        else:
            try:
                index = faiss.deserialize_index(blob)
            except RuntimeError as e:
                raise _corrupt(f"faiss could not read it: {e}") from None
            if index.ntotal != n or index.d != dim:
                raise _corrupt(f"faiss index holds {index.ntotal} x {index.d}, metadata says {n} x {dim}")
        obj._index, obj._vectors, obj._kind = index, vectors, kind
        return obj.tune()
