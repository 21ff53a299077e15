"""Hybrid retrieval: dense (a VectorStore) + lexical (a LexicalIndex) with score fusion.

Example:
    >>> r = Retriever.open("seeds")                                    # doctest: +SKIP
    >>> [p.doc_id for p in r.search("how many soldiers from Turkey lost their lives?", k=3)]  # doctest: +SKIP
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.embedding.protocol import Embedder

from rag.embedding.sentence_embedder import SentenceTransformerEmbedder
from rag.retrieval.fusion import Weights, cap_per_document, fuse
from rag.index.chunk_index import Index
from rag.index.protocols import CHUNKS, SENTENCES, Filter
from rag.errors import QueryError
from rag.retrieval.query import check_filters, clean_query
from rag.records import Passage, SentenceHit

MODES = ("hybrid", "dense", "lexical")


@dataclass
class Signals:
    """Per-candidate scores: ``ids`` are chunk ids; arrays align with them."""

    ids: list[str]
    doc_ids: list[str]
    dense: np.ndarray       # cosine of query and chunk
    sentence: np.ndarray    # best cosine of query and any sentence of the chunk
    lexical: np.ndarray     # raw BM25
    query_vector: np.ndarray | None


class Retriever:
    """Search an :class:`Index` through its stores' protocols. Settings here; the question goes to :meth:`search`."""

    def __init__(self, index: Index, embedder: Embedder, *, weights: Weights | None = None,
                 candidates: int = 100, sentence_lexical_weight: float = 0.4):
        if candidates < 1:
            raise ValueError(f"candidates must be at least 1; got {candidates}.")
        self.index = index
        self.embedder = embedder
        self.weights = weights or Weights()
        self.candidates = candidates
        self.sentence_lexical_weight = sentence_lexical_weight
        self._sentence_terms: dict[str, set[str]] = {}  # sentence id -> its BM25 terms, filled as passages are built

    @classmethod
    def open(cls, corpus_dir: str | Path = "seeds", *, index_dir: str | Path | None = None,
             model: str | None = None, embedder: Embedder | None = None, **kwargs) -> "Retriever":
        """Load the index of ``corpus_dir``, building or updating it when needed."""
        from rag.index.open_index import open_index

        embedder = embedder or SentenceTransformerEmbedder(model)
        index, _ = open_index(corpus_dir, index_dir=index_dir, embedder=embedder)
        return cls(index, embedder, **kwargs)

    def embed_query(self, query: str) -> np.ndarray:
        return self.embedder.embed([query])[0]

    def search(self, query: str, k: int = 5, *, doc_ids: list[str] | None = None, date_from: str | None = None,
               date_to: str | None = None, per_doc_cap: int | None = None, mode: str = "hybrid",
               query_vector: np.ndarray | None = None) -> list[Passage]:
        """Top ``k`` passages for ``query``.

        Filters: ``doc_ids`` keeps only those documents; ``date_from``/``date_to``
        (ISO dates, inclusive) keep documents whose date is known and in range.
        ``per_doc_cap`` limits passages per document (default ``ceil(k / 2)``
        for k >= 3) so one article cannot fill every slot while others match.
        """
        query = clean_query(query)
        f = check_filters(k, doc_ids, date_from, date_to)  # QueryError names a bad k, date or id list
        k = f.k
        if mode not in MODES:
            raise QueryError(f"mode must be one of {MODES}; got {mode!r}.")
        sig = self.signals(query, k=k, doc_ids=f.doc_ids, date_from=f.date_from, date_to=f.date_to, mode=mode,
                           query_vector=query_vector)
        if not sig.ids:
            return []
        if mode == "dense":
            scores = sig.dense
        elif mode == "lexical":
            scores = sig.lexical
        else:
            scores = fuse(sig.dense, sig.sentence, sig.lexical, self.weights)
        order = [int(i) for i in np.argsort(-scores, kind="stable")]
        cap = per_doc_cap or (math.ceil(k / 2) if k >= 3 else k)
        chosen = cap_per_document(order, sig.doc_ids, k, cap)
        terms = set(self.index.lexical.terms(query))  # once per search, not per passage
        return [self._passage(sig.ids[i], float(scores[i]), sig.query_vector, terms) for i in chosen]

    def signals(self, query: str, *, k: int = 10, doc_ids=None, date_from=None, date_to=None,
                mode: str = "hybrid", query_vector: np.ndarray | None = None) -> "Signals":
        """The raw evidence behind a ranking: for each candidate chunk, its cosine,
        best-sentence cosine and BM25 score. Candidates are the top chunks of each
        store under the filter (pushed into the stores); each is then scored by both.
        ``search`` fuses these; benchmarks use them to tune fusion weights."""
        where = self._where(doc_ids, date_from, date_to)
        q = query_vector if query_vector is not None else (None if mode == "lexical" else self.embed_query(query))
        want = min(max(self.candidates, 4 * k), len(self.index.chunks))
        if where is False or want == 0:
            empty = np.zeros(0, np.float32)
            return Signals([], [], empty, empty, empty, q)
        pool = [h.id for h in self.index.vectors.search(CHUNKS, q, want, where=where)] if q is not None else []
        if mode != "dense":
            pool += [h.id for h in self.index.lexical.search(query, want, where=where)]
        ids = list(dict.fromkeys(pool))  # dense rank first: ties keep it
        zeros = np.zeros(len(ids), np.float32)
        dense = self.index.vectors.score(CHUNKS, q, ids) if q is not None and ids else zeros
        lexical = self.index.lexical.score(query, ids) if mode != "dense" and ids else zeros
        sentence = self._best_sentences(q, ids) if q is not None and ids else zeros
        return Signals(ids, [self.index.chunk_by_id[i].doc_id for i in ids], dense, sentence, lexical, q)

    def in_scope(self, doc_ids: list[str] | None = None, date_from: str | None = None,
                 date_to: str | None = None) -> list[str]:
        """Ids of the documents that :meth:`search` with these filters looks at."""
        docs = self.index.doc_by_id
        if doc_ids is not None:
            unknown = [d for d in doc_ids if d not in docs]
            if unknown:
                raise QueryError(f"unknown document id(s) {unknown[:5]}; `rag docs` lists the ids.")
        where = Filter(None if doc_ids is None else frozenset(doc_ids), date_from, date_to)
        return [d.id for d in self.index.docs if where.admits({"doc_id": d.id, "date": d.date or ""})]

    def _where(self, doc_ids, date_from, date_to) -> Filter | None | bool:
        """The store filter; None for none, False when no document passes (nothing to search)."""
        if doc_ids is None and date_from is None and date_to is None:
            return None
        if not self.in_scope(doc_ids, date_from, date_to):  # also names unknown ids
            return False
        return Filter(None if doc_ids is None else frozenset(doc_ids), date_from, date_to)

    def _best_sentences(self, q: np.ndarray, ids: list[str]) -> np.ndarray:
        """Best sentence cosine per chunk, from one read of the sentences' stored vectors."""
        chunks = [self.index.chunk_by_id[i] for i in ids]
        sentence_ids = list(dict.fromkeys(s.id for c in chunks for s in c.sentences))
        cos = dict(zip(sentence_ids, self.index.vectors.score(SENTENCES, q, sentence_ids).tolist()))
        return np.array([max((cos[s.id] for s in c.sentences), default=0.0) for c in chunks], np.float32)

    def _terms(self, sentences) -> list[set[str]]:
        for s in sentences:
            if s.id not in self._sentence_terms:
                self._sentence_terms[s.id] = set(self.index.lexical.terms(s.text))
        return [self._sentence_terms[s.id] for s in sentences]

    def _passage(self, chunk_id: str, score: float, q, terms: set[str]) -> Passage:
        chunk = self.index.chunk_by_id[chunk_id]
        doc = self.index.doc_by_id[chunk.doc_id]
        overlap = np.array([len(terms & t) / len(terms) if terms else 0.0 for t in self._terms(chunk.sentences)],
                           np.float32)
        cos = self.index.vectors.score(SENTENCES, q, [s.id for s in chunk.sentences]) if q is not None \
            else np.zeros(len(chunk.sentences), np.float32)
        w = self.sentence_lexical_weight
        sims = (1 - w) * cos + w * overlap
        best = np.argsort(-sims, kind="stable")  # every sentence, best match first
        hits = tuple(SentenceHit(chunk.sentences[b].text, chunk.sentences[b].start, chunk.sentences[b].end,
                                 round(float(sims[b]), 4)) for b in best)
        return Passage(doc_id=doc.id, title=doc.title, source=doc.source, date=doc.date, source_path=doc.path,
                       chunk_id=chunk.id, text=chunk.text, start=chunk.start, end=chunk.end,
                       score=round(score, 6), sentences=hits)
