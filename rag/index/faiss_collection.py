"""One collection of :class:`~rag.index.faiss_store.FaissStore`: a faiss index plus its id and payload maps.

Labels are int64 numbers handed out in order and never reused, so a label
names one vector for the life of the collection; the caller's string ids and
payloads live here, beside faiss, while the vectors live only in faiss.

Example:
    >>> import numpy as np
    >>> c = Collection.empty("flat", 2, {})
    >>> c.upsert(["x", "y"], np.eye(2, dtype=np.float32), [{"doc_id": "a"}, {"doc_id": "b"}])
    >>> c.labels_where(Filter(doc_ids={"b"})).tolist(), c.vectors(["y"]).tolist()
    ([1], [[0.0, 1.0]])
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping, Sequence

import faiss
import numpy as np

from rag.index.faiss_overlay import Overlay, best
from rag.index.label_columns import LabelColumns
from rag.index.protocols import Filter

# Unit vectors have norm 1 up to float error; anything further off is a caller
# that forgot to normalise, and inner product would no longer be cosine.
_NORM_TOLERANCE = 1e-2
# An HNSW walk restricted to a small admitted set can stop before it finds k of
# them; below this many, scoring the admitted vectors exactly is cheap (20k x 384
# is one 30 MB read) and cannot miss.
EXACT_LIMIT = 20_000
_EMPTY = (np.empty(0, np.int64), np.empty(0, np.float32))
SMALL_ADD = 1_000  # vectors added on one thread (Collection.add)


def as_unit_matrix(array, dim: int) -> np.ndarray:
    """``array`` as C-contiguous float32 ``(n, dim)``; ValueError names a bad shape or a row that is not unit length."""
    a = np.asarray(array)
    if a.ndim != 2 or a.shape[1] != dim or a.dtype.kind not in "fiu":
        raise ValueError(f"vectors must be a float array of shape (n, {dim}); got shape {a.shape} and dtype "
                         f"{a.dtype}. Embed with the model that built the index, or rebuild it with `rag index`.")
    x = np.ascontiguousarray(a, dtype=np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", x, x))  # NaN/inf give a non-finite norm, caught here too
    bad = np.flatnonzero(~(np.abs(norms - 1.0) <= _NORM_TOLERANCE))
    if bad.size:
        raise ValueError(f"vector row {int(bad[0])} has norm {norms[bad[0]]:.4g} ({bad.size} bad rows in all); rows "
                         "must be finite and L2-normalised: x / np.linalg.norm(x, axis=1, keepdims=True).")
    return x


class Collection:
    """A faiss ``IndexIDMap2`` with string ids and payloads (:class:`~rag.index.label_columns.LabelColumns`),
    and HNSW tombstones."""

    def __init__(self, kind: str, index: faiss.Index, settings: Mapping) -> None:
        self.kind, self.index, self.settings = kind, index, settings
        self.columns = LabelColumns()
        self.tombstones: set[int] = set()        # deleted HNSW labels still in the graph
        self.next_label = 0
        # Since the files this collection was loaded from (rag.index.faiss_delta): their checksums (None when
        # there are none to build on), the labels added since and the labels of those files deleted since.
        self.base: dict[str, str] | None = None
        self.added: set[int] = set()
        self.removed: set[int] = set()
        self.mapped_from: Path | None = None  # the file the index is memory-mapped from (read-only), if any
        self.overlay: Overlay | None = None  # vectors added to a mapped HNSW graph, held apart (see add)
        self.ids_file: str | None = None  # the name of the id map's file it was loaded from (.ids.cols or .ids.json)

    # id -> label, label -> id, label -> payload (read-only views but label_of)
    label_of = property(lambda self: self.columns.label_of)
    id_of = property(lambda self: self.columns.id_of)
    payload = property(lambda self: self.columns.payload)

    @classmethod
    def empty(cls, kind: str, dim: int, settings: Mapping) -> Collection:
        if kind == "flat":
            base = faiss.IndexFlatIP(dim)
        else:
            base = faiss.IndexHNSWFlat(dim, settings.get("hnsw_m", 32), faiss.METRIC_INNER_PRODUCT)
            base.hnsw.efConstruction = settings.get("hnsw_ef_construction", 40)
            base.hnsw.efSearch = settings.get("hnsw_ef_search", 128)
        return cls(kind, faiss.IndexIDMap2(base), settings)

    def __len__(self) -> int:
        return len(self.label_of)

    def owned(self) -> faiss.Index:
        """The faiss index, first copied into memory when it is mapped from its file: faiss aborts the
        process (an assertion, not an exception) when a mapped index is changed. Read again from the file
        (0.13 s for bench_open's 236 MB); from the mapped copy when the file was removed meanwhile (0.9 s).
        The vectors of the ``overlay`` join it then."""
        if self.mapped_from is not None:
            try:
                index = faiss.read_index(str(self.mapped_from))
            except RuntimeError:
                index = faiss.deserialize_index(faiss.serialize_index(self.index))
            if self.kind == "hnsw":
                faiss.downcast_index(index.index).hnsw.efSearch = self.settings.get("hnsw_ef_search", 128)
            self.index, self.mapped_from = index, None
        if self.overlay is not None:
            overlay, self.overlay = self.overlay, None
            self.add(*overlay.drain())
        return self.index

    def upsert(self, ids: Sequence[str], x: np.ndarray, payloads: Sequence[Mapping[str, str]]) -> None:
        self.delete([i for i in ids if i in self.label_of])  # replacing = delete + add under a new label
        labels = np.arange(self.next_label, self.next_label + len(ids), dtype=np.int64)
        self.next_label += len(ids)
        self.add(x, labels)
        if self.base is not None:  # a journal only where a delta can be saved (a fresh build writes whole)
            self.added.update(labels.tolist())
        self.remember(ids, labels.tolist(), [{str(k): str(v) for k, v in p.items() if v is not None}
                                             for p in payloads])

    def add(self, x: np.ndarray, labels: np.ndarray) -> None:
        """``add_with_ids`` into the owned index; a few vectors on one OpenMP thread: HNSW's insertion splits
        even 15 vectors over every thread, which then wait on each other (bench_open's update, 130,000
        sentences, load 5: 0.19 s on 2 threads, 0.006 s on 1).

        A graph that is memory-mapped is not copied to take them: they go to its
        :class:`~rag.index.faiss_overlay.Overlay` until a save writes the collection whole (:meth:`owned`)."""
        if self.kind == "hnsw" and self.mapped_from is not None:
            if self.overlay is None:
                self.overlay = Overlay(self.index.d, int(labels.min()) if len(labels) else self.next_label)
            index = self.overlay.index
        else:
            index = self.owned()
        threads = faiss.omp_get_max_threads()
        if len(labels) < SMALL_ADD:
            faiss.omp_set_num_threads(1)  # OpenMP keeps this per calling thread
        try:
            index.add_with_ids(x, labels)
        finally:
            faiss.omp_set_num_threads(threads)

    def remember(self, ids: Sequence[str], labels: Sequence[int], payloads: Sequence[dict]) -> None:
        """Map new ``labels`` (already in faiss) to their ids and payloads."""
        self.columns.add(ids, labels, payloads)

    def delete(self, ids: Iterable[str]) -> None:
        labels = [self.label_of.pop(i) for i in dict.fromkeys(ids) if i in self.label_of]
        if not labels:
            return
        if self.base is not None:
            for label in labels:
                (self.added.discard if label in self.added else self.removed.add)(label)
        self.columns.drop(labels)
        if self.kind == "flat":  # flat compacts its rows in place; nothing is re-added
            self.owned().remove_ids(faiss.IDSelectorBatch(np.array(labels, np.int64)))
        else:  # HNSW cannot remove: tombstone, and rebuild once the dead outnumber the living
            if self.overlay is not None:  # the overlay's own are removed from it
                labels = self.overlay.remove(labels)
            self.tombstones.update(labels)
            if len(self.tombstones) > max(len(self), 1_000):
                self._compact()

    def _compact(self) -> None:
        live = self.columns.live()
        vectors = self.reconstruct(live) if live.size else None
        self.index, self.mapped_from = Collection.empty(self.kind, self.index.d, self.settings).index, None
        self.overlay = None
        if vectors is not None:
            self.index.add_with_ids(vectors, live)
        self.tombstones.clear()
        self.base, self.added, self.removed = None, set(), set()  # a new graph: the next save writes it whole

    def labels_where(self, where: Filter) -> np.ndarray:
        """Labels whose payload ``where`` admits (one test per distinct payload, not per vector)."""
        return self.columns.where(lambda p: where.admits({"doc_id": p.get("doc_id"), "date": p.get("date")}))

    def vectors(self, ids: Sequence[str]) -> np.ndarray:
        """The stored vectors of ``ids``, read back from faiss; KeyError names an unknown id."""
        try:
            labels = np.array([self.label_of[i] for i in ids], np.int64)
        except KeyError as exc:
            raise KeyError(f"id {exc.args[0]!r} is not in this collection; pass ids that were upserted "
                           "(a stale id means the index changed under the caller).") from None
        return self.reconstruct(labels)

    def reconstruct(self, labels: np.ndarray) -> np.ndarray:
        """The vectors of ``labels`` (int64), from the graph or the overlay."""
        if self.overlay is None:
            return self.index.reconstruct_batch(labels)
        out, new = np.empty((len(labels), self.index.d), np.float32), self.overlay.mine(labels)
        for index, rows in ((self.index, ~new), (self.overlay.index, new)):
            if rows.any():
                out[rows] = index.reconstruct_batch(labels[rows])
        return out

    def search(self, q: np.ndarray, k: int, where: Filter | None) -> tuple[np.ndarray, np.ndarray]:
        """Labels and scores of the best ``k`` admitted vectors for one query row ``q``."""
        subset = None if where is None or where.is_open else self.labels_where(where)
        if subset is not None and subset.size == 0:
            return _EMPTY
        k = min(k, len(self) if subset is None else subset.size)
        if subset is not None and self.kind == "hnsw" and subset.size <= EXACT_LIMIT:
            return self._exact(q, subset, k)
        if subset is not None:
            sel = faiss.IDSelectorBatch(subset)
        elif self.tombstones:
            sel = faiss.IDSelectorNot(faiss.IDSelectorBatch(np.array(sorted(self.tombstones), np.int64)))
        else:
            sel = None
        params = None if sel is None else (
            faiss.SearchParametersHNSW(sel=sel) if self.kind == "hnsw" else faiss.SearchParameters(sel=sel))
        reach = k  # what the graph alone must return: its own live vectors, the overlay's are searched apart
        if self.overlay is not None:
            in_graph = self.index.ntotal - len(self.tombstones) if subset is None else \
                int((~self.overlay.mine(subset)).sum())
            reach = min(k, in_graph)
        scores, labels = self.index.search(q, reach, params=params) if reach else (np.empty((1, 0)),) * 2
        found = labels[0] >= 0
        if found.sum() < reach:  # an approximate walk fell short of k reachable vectors: answer exactly
            return self._exact(q, subset if subset is not None else self.columns.live(), k)
        found = labels[0][found].astype(np.int64), scores[0][found].astype(np.float32)
        return found if self.overlay is None else best(found, self.overlay.search(q, k, subset), k)

    def _exact(self, q: np.ndarray, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = self.reconstruct(labels) @ q[0]
        top = np.argsort(-scores, kind="stable")[:k]
        return labels[top], scores[top].astype(np.float32)

    # -- persistence ------------------------------------------------------------
    def state(self) -> dict:
        """The maps as columns (:meth:`LabelColumns.columns`): a load rebuilds them without a call per item."""
        return {"kind": self.kind, "next_label": self.next_label, "tombstones": sorted(self.tombstones),
                **self.columns.columns()}

    @classmethod
    def restore(cls, index: faiss.Index, state: dict, dim: int, settings: Mapping) -> Collection:
        """Rebuild the maps around a deserialised faiss index; ValueError when the two disagree."""
        kind = state.get("kind")
        if not isinstance(index, faiss.IndexIDMap2) or kind not in ("flat", "hnsw") or index.d != dim:
            raise ValueError(f"a collection file holds a {type(index).__name__} of dimension {index.d} and kind "
                             f"{kind!r}; expected an IndexIDMap2 of dimension {dim}")
        c = cls(kind, index, settings)
        c.next_label, c.tombstones = int(state["next_label"]), set(state["tombstones"])
        if "items" in state:  # the row-per-item layout written before the columns
            items = state["items"]
            c.columns.restore_rows([int(x[0]) for x in items], [x[1] for x in items], [x[2] for x in items])
        else:
            c.columns.restore(state["labels"], state["ids"], state["payloads"], state["payload_of"])
        if index.ntotal != len(c) + len(c.tombstones):
            raise ValueError(f"the faiss index holds {index.ntotal} vectors, the id map {len(c)} (+{len(c.tombstones)} "
                             "deleted)")
        if kind == "hnsw":
            faiss.downcast_index(index.index).hnsw.efSearch = settings.get("hnsw_ef_search", 128)
        return c
