"""The two seams of the index layer: a vector store and a lexical index, keyed by stable ids.

Everything above the index (retrieval, evidence scoring) talks to these
protocols only, so a server store (Milvus, Elasticsearch) can replace the
in-process ones (:mod:`rag.index.faiss_store`, :mod:`rag.index.bm25`) without
the retriever noticing. Rules every implementation keeps:

- ids are strings chosen by the caller (chunk and sentence ids are content
  hashes), never row numbers: they survive upserts, deletes and reloads;
- a payload is a flat ``{str: str}`` map; the stores filter on ``doc_id`` and
  ``date`` (ISO ``YYYY-MM-DD``; a payload without a date never passes a date
  filter), and sentence payloads carry ``chunk_id``;
- ``upsert`` of a known id replaces it, ``delete`` of an unknown id is a no-op,
  so replaying an update is harmless;
- filters are applied inside the store, before the top ``k`` is cut, so a
  filtered search still returns ``k`` hits whenever ``k`` match.

Two collections are used: :data:`CHUNKS` and :data:`SENTENCES`.

Adjustments to the sketch in docs/LAYOUT-PLAN.md, with their reasons:

- ``VectorStore.count(collection)`` beside ``__len__`` (total over
  collections): with two collections "how many" needs a collection name.
- ``LexicalIndex.score(query, ids)``: fusion needs the BM25 score of the dense
  candidates that BM25's own top ``k`` missed (they would otherwise count as 0,
  which the SQuAD benchmark shows costs recall); a server can answer it with an
  id filter. Like ``VectorStore.score`` it reads the stored index, no copy.
- ``Filter.admits(payload)``: the one definition of what a filter means, so
  every store (and its tests) agrees on the edge cases.

Worked example (what a filter admits; every store must agree):

    >>> f = Filter(doc_ids=frozenset({"a"}), date_from="2020-01-01")
    >>> f.admits({"doc_id": "a", "date": "2020-03-01"}), f.admits({"doc_id": "a"})
    (True, False)
    >>> f.admits({"doc_id": "b", "date": "2020-03-01"})
    False
    >>> Filter().admits({"doc_id": "b"}), Filter().is_open
    (True, True)
    >>> Hit("c1", 0.5, {"doc_id": "a"}).payload["doc_id"]
    'a'
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Protocol, Sequence, runtime_checkable

import numpy as np

CHUNKS = "chunks"
SENTENCES = "sentences"
COLLECTIONS = (CHUNKS, SENTENCES)


@dataclass(frozen=True)
class Filter:
    """Which payloads a search may return: documents by id and a date range.

    ``None`` means "no restriction" for each field. Dates are ISO strings and
    both ends are inclusive; comparing ISO strings compares dates.
    """

    doc_ids: frozenset[str] | None = None
    date_from: str | None = None
    date_to: str | None = None

    def __post_init__(self):
        if self.doc_ids is not None and not isinstance(self.doc_ids, frozenset):
            object.__setattr__(self, "doc_ids", frozenset(self.doc_ids))

    @property
    def is_open(self) -> bool:
        """True when the filter lets everything through (a store can skip it)."""
        return self.doc_ids is None and self.date_from is None and self.date_to is None

    def admits(self, payload: Mapping[str, str]) -> bool:
        if self.doc_ids is not None and payload.get("doc_id") not in self.doc_ids:
            return False
        date = payload.get("date") or None
        if self.date_from is not None and (date is None or date < self.date_from):
            return False
        return self.date_to is None or (date is not None and date <= self.date_to)


@dataclass(frozen=True)
class Hit:
    """One search result: the caller's id, its score (higher is better) and its payload."""

    id: str
    score: float
    payload: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class VectorStore(Protocol):
    """Unit vectors by id in named collections; scores are inner products (= cosine)."""

    def upsert(self, collection: str, ids: Sequence[str], vectors: np.ndarray,
               payloads: Sequence[Mapping[str, str]]) -> None:
        """Add or replace ``ids`` (row ``i`` of ``vectors`` and ``payloads[i]`` belong to ``ids[i]``)."""

    def delete(self, collection: str, ids: Iterable[str]) -> None:
        """Remove ``ids``; unknown ids are ignored. Other vectors are not rewritten."""

    def search(self, collection: str, query: np.ndarray, k: int, *,
               where: Filter | None = None) -> list[Hit]:
        """Best ``k`` hits for one query vector, best first, among payloads ``where`` admits."""

    def score(self, collection: str, query: np.ndarray, ids: Sequence[str]) -> np.ndarray:
        """Exact scores of ``query`` against ``ids``, in their order (float32); KeyError names an unknown id."""

    def count(self, collection: str) -> int:
        """Number of vectors in ``collection``."""

    def __len__(self) -> int:
        """Number of vectors over all collections."""


@runtime_checkable
class LexicalIndex(Protocol):
    """Keyword search (BM25 or a server's equivalent) over texts by id."""

    def upsert(self, ids: Sequence[str], texts: Sequence[str], payloads: Sequence[Mapping[str, str]]) -> None:
        """Add or replace ``ids``."""

    def delete(self, ids: Iterable[str]) -> None:
        """Remove ``ids``; unknown ids are ignored."""

    def search(self, query: str, k: int, *, where: Filter | None = None) -> list[Hit]:
        """Top ``k`` hits with a positive score, best first, among payloads ``where`` admits."""

    def score(self, query: str, ids: Sequence[str]) -> np.ndarray:
        """Scores of ``query`` against ``ids``, in their order (0 for no shared term); KeyError names an unknown id."""

    def terms(self, text: str) -> list[str]:
        """The analyser: the terms (stemmed, stop words removed) the index matches ``text`` on."""

    def __len__(self) -> int:
        """Number of texts indexed."""
