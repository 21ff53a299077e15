"""Milvus behind the index protocols: :class:`MilvusStore` (a VectorStore) and
:class:`MilvusLexical` (a LexicalIndex whose BM25 runs inside the engine).

A store URI (see :mod:`rag.index.milvus_client`) holds, per namespace, the
collections ``rag_chunks`` and ``rag_sentences`` (vectors) and ``rag_lexical``
(BM25 texts); :mod:`rag.index.milvus_collections` has their schema.

BM25: Milvus analyses our own analyser's output (stemmed, stop words removed:
the terms :meth:`MilvusLexical.terms` returns) joined by spaces, so Milvus
Lite's word tokenizer, and a server's, see the same terms as the in-process
index. Milvus Lite keeps BM25 statistics per segment, so its scores drift a
little from a global BM25 as segments accumulate; a server aggregates them.

The manifest (model, dimension, chunking: whatever the caller passes, with a
``dim``) is kept as a property of each collection and checked on open; this
module never sees a model.

Example:
    >>> import numpy as np, tempfile
    >>> uri = f"milvus-lite:{tempfile.mkdtemp()}/ix.db"
    >>> store = MilvusStore.open(uri, manifest={"model": "m", "dim": 2})
    >>> store.upsert("chunks", ["c1", "c2"], np.array([[1, 0], [0, 1]], np.float32),
    ...              [{"doc_id": "a", "date": "2020-01-02", "start": "0"}, {"doc_id": "b"}])
    >>> [(h.id, round(h.score, 2)) for h in store.search("chunks", np.array([0.6, 0.8]), k=2)]
    [('c2', 0.8), ('c1', 0.6)]
    >>> store.search("chunks", np.array([0.6, 0.8]), 2, where=Filter(date_from="2020-01-01"))[0].payload
    {'doc_id': 'a', 'date': '2020-01-02', 'start': '0'}
    >>> lexical = MilvusLexical(store.session)
    >>> lexical.upsert(["c1"], ["Soldiers sailed home"], [{"doc_id": "a"}])
    >>> [h.id for h in lexical.search("a soldier", k=3)], lexical.terms("How many soldiers?")
    (['c1'], ['soldier'])
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import numpy as np

from rag.errors import IndexMismatchError
from rag.index.milvus_client import MilvusSession, expression
from rag.index.milvus_collections import BATCH, Collections, split_payloads, to_hit
from rag.index.protocols import COLLECTIONS, Filter, Hit

LEXICAL = "lexical"
_NORM_TOLERANCE = 1e-2


def _check_k(k) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be an integer >= 1; got {k!r}.")
    return int(k)


def _empty(where: Filter | None) -> bool:
    """A filter on an empty set of documents: nothing can match, no need to ask."""
    return where is not None and where.doc_ids is not None and not where.doc_ids


class MilvusStore:
    """A :class:`~rag.index.protocols.VectorStore` on Milvus; see the module docstring."""

    def __init__(self, session: MilvusSession, *, manifest: Mapping, namespace: str = "rag", fresh: bool = False):
        dim = manifest.get("dim")
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise ValueError(f"the manifest must give the vector dimension as a positive 'dim'; got {manifest!r}.")
        self.session, self.manifest, self.dim = session, dict(manifest), dim
        self.collections = Collections(session, namespace)
        if fresh:  # a rebuild: whatever was there, built with whatever, goes
            for collection in (*COLLECTIONS, LEXICAL):
                self.collections.drop(collection)
        for collection in COLLECTIONS:
            self.collections.create(collection, dim=dim, manifest=self.manifest)
            self._check_manifest(collection)

    @classmethod
    def open(cls, store: str, *, manifest: Mapping, timeout: float | None = None, namespace: str = "rag",
             fresh: bool = False) -> "MilvusStore":
        """Connect to ``store`` (a ``milvus-lite:`` or ``milvus://`` URI) and check its manifest;
        ``fresh=True`` empties the namespace first (a rebuild)."""
        session = MilvusSession(store) if timeout is None else MilvusSession(store, timeout=timeout)
        return cls(session, manifest=manifest, namespace=namespace, fresh=fresh)

    def _check_manifest(self, collection: str) -> None:
        stored = self.collections.manifest(collection)
        differ = sorted(k for k in set(stored) | set(self.manifest) if stored.get(k) != self.manifest.get(k))
        if differ:
            said = ", ".join(f"{k}={stored.get(k)!r} (now {self.manifest.get(k)!r})" for k in differ)
            raise IndexMismatchError(f"the collection {self.collections.name(collection)!r} in {self.session.store!r}"
                                     f" was built with {said}; rebuild it with `rag index --rebuild --store "
                                     f"{self.session.store}` or pick another --store.")

    def close(self) -> None:
        self.session.close()

    # -- the VectorStore protocol ---------------------------------------------
    def upsert(self, collection: str, ids: Sequence[str], vectors: np.ndarray,
               payloads: Sequence[Mapping[str, str]]) -> None:
        x = self._unit_rows(vectors, len(ids))
        if len(payloads) != len(ids):
            raise ValueError(f"upsert needs one payload per id; got {len(ids)} ids and {len(payloads)} payloads.")
        rows = split_payloads(payloads)
        for row, id_, v in zip(rows, ids, x):
            row.update(id=str(id_), vector=v)
        self.collections.write(self._known(collection), rows)

    def delete(self, collection: str, ids: Iterable[str]) -> None:
        self.collections.delete(self._known(collection), ids)

    def search(self, collection: str, query: np.ndarray, k: int, *, where: Filter | None = None) -> list[Hit]:
        k, q = _check_k(k), self._unit_rows(np.asarray(query).reshape(1, -1), 1)[0]
        if _empty(where):
            return []
        raw = self.collections.search(self._known(collection), q, k, "vector", expression(where))
        return [to_hit(r, r["distance"]) for r in raw]

    def score(self, collection: str, query: np.ndarray, ids: Sequence[str]) -> np.ndarray:
        q = self._unit_rows(np.asarray(query).reshape(1, -1), 1)[0]
        found = self.collections.get(self._known(collection), ids, ["vector"])
        missing = next((i for i in ids if i not in found), None)
        if missing is not None:
            raise KeyError(f"id {missing!r} is not in the {collection!r} collection; pass ids that were upserted.")
        if not len(ids):
            return np.empty(0, np.float32)
        return np.asarray([found[i]["vector"] for i in ids], np.float32) @ q

    def count(self, collection: str) -> int:
        return self.collections.count(self._known(collection))

    def __len__(self) -> int:
        return sum(self.count(c) for c in COLLECTIONS)

    def _known(self, collection: str) -> str:
        if collection not in COLLECTIONS:
            raise ValueError(f"unknown collection {collection!r}; use one of {COLLECTIONS}.")
        return collection

    def _unit_rows(self, vectors, n: int) -> np.ndarray:
        x = np.asarray(vectors, dtype=np.float32)
        if x.shape != (n, self.dim):
            raise ValueError(f"expected {n} vector(s) of dimension {self.dim}; got shape {x.shape}. Embed with the "
                             "model the store was built with, or rebuild it with `rag index --rebuild`.")
        norms = np.linalg.norm(x, axis=1)
        bad = np.flatnonzero(~(np.abs(norms - 1.0) <= _NORM_TOLERANCE))  # NaN fails too
        if bad.size:
            raise ValueError(f"vector row {int(bad[0])} has norm {norms[bad[0]]:.4g}; rows must be finite and "
                             "L2-normalised: x / np.linalg.norm(x, axis=1, keepdims=True).")
        return x


class MilvusLexical:
    """A :class:`~rag.index.protocols.LexicalIndex`: BM25 inside Milvus, over our analyser's terms."""

    def __init__(self, session: MilvusSession, *, namespace: str = "rag"):
        from rag.index.bm25 import Bm25Index

        self.session, self.collections = session, Collections(session, namespace)
        self._analyser = Bm25Index()  # its analyser only: the same terms as the in-process index, by construction
        self.collections.create(LEXICAL, dim=None)

    def terms(self, text: str) -> list[str]:
        return self._analyser.terms(text)

    def upsert(self, ids: Sequence[str], texts: Sequence[str], payloads: Sequence[Mapping[str, str]]) -> None:
        if not len(ids) == len(texts) == len(payloads):
            raise ValueError(f"upsert needs one text and one payload per id; got {len(ids)} ids, {len(texts)} texts "
                             f"and {len(payloads)} payloads.")
        rows = split_payloads(payloads)
        for row, id_, terms in zip(rows, ids, self._analyser.terms_many(texts)):
            row.update(id=str(id_), text=" ".join(terms))
        self.collections.write(LEXICAL, rows)

    def delete(self, ids: Iterable[str]) -> None:
        self.collections.delete(LEXICAL, ids)

    def search(self, query: str, k: int, *, where: Filter | None = None, ids: Sequence[str] | None = None) -> list[Hit]:
        """Top ``k`` by BM25; ``ids`` restricts the search to those ids (for :meth:`score`)."""
        k, terms = _check_k(k), self.terms(query)
        if not terms or _empty(where):
            return []
        raw = self.collections.search(LEXICAL, " ".join(terms), k, "sparse", expression(where, ids))
        # Lite reports -BM25 as a distance, a server the score itself: BM25 is never negative.
        hits = [to_hit(r, abs(r["distance"])) for r in raw]
        return [h for h in hits if h.score > 0]

    def score(self, query: str, ids: Sequence[str]) -> np.ndarray:
        ids, got = list(ids), {}
        for start in range(0, len(ids), BATCH):  # bounded filter expressions and top-k
            batch = ids[start:start + BATCH]
            got.update((h.id, h.score) for h in self.search(query, len(batch), ids=batch))
        unscored = [i for i in ids if i not in got]
        known = self.collections.get(LEXICAL, unscored, ["id"]) if unscored else {}
        missing = next((i for i in unscored if i not in known), None)
        if missing is not None:
            raise KeyError(f"id {missing!r} is not in the lexical index; pass ids that were upserted.")
        return np.array([got.get(i, 0.0) for i in ids], np.float32)

    def __len__(self) -> int:
        return self.collections.count(LEXICAL)
