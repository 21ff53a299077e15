"""Hybrid retrieval: dense (FAISS) + lexical (BM25) with score fusion.

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
from rag.errors import QueryError
from rag.retrieval.query import check_filters, clean_query
from rag.records import Passage, SentenceHit

MODES = ("hybrid", "dense", "lexical")


@dataclass
class Signals:
    """Per-candidate scores: ``rows`` index ``index.chunks``; arrays align with rows."""

    rows: np.ndarray
    doc_ids: list[str]
    dense: np.ndarray       # cosine of query and chunk
    sentence: np.ndarray    # best cosine of query and any sentence of the chunk
    lexical: np.ndarray     # raw BM25
    lexical_max: float      # best BM25 over the allowed corpus, for normalisation
    query_vector: np.ndarray | None


class Retriever:
    """Search an :class:`Index`. Settings here; the question goes to :meth:`search`."""

    def __init__(self, index: Index, embedder: Embedder, *, weights: Weights | None = None,
                 candidates: int = 100, sentence_lexical_weight: float = 0.4):
        if candidates < 1:
            raise ValueError(f"candidates must be at least 1; got {candidates}.")
        self.index = index
        self.embedder = embedder
        self.weights = weights or Weights()
        self.candidates = candidates
        self.sentence_lexical_weight = sentence_lexical_weight
        self._sentence_terms = None

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
        if not len(sig.rows):
            return []
        if mode == "dense":
            scores = sig.dense
        elif mode == "lexical":
            scores = sig.lexical
        else:
            scores = fuse(sig.dense, sig.sentence, sig.lexical, self.weights, lexical_max=sig.lexical_max)
        cand, q = sig.rows, sig.query_vector
        order = [int(cand[i]) for i in np.argsort(-scores, kind="stable")]
        score_of = {int(c): float(s) for c, s in zip(cand, scores)}
        cap = per_doc_cap or (math.ceil(k / 2) if k >= 3 else k)
        chosen = cap_per_document(order, self.index.chunk_doc, k, cap)
        terms = set(self.index.lexical.query_terms(query))  # once per search, not per passage
        return [self._passage(i, score_of[i], q, terms) for i in chosen]

    def signals(self, query: str, *, k: int = 10, doc_ids=None, date_from=None, date_to=None,
                mode: str = "hybrid", query_vector: np.ndarray | None = None) -> "Signals":
        """The raw evidence behind a ranking: for each candidate chunk, its cosine,
        best-sentence cosine and BM25 score. ``search`` fuses these; benchmarks
        use them to tune fusion weights without re-running retrieval."""
        n = len(self.index.chunks)
        allowed = self._allowed(doc_ids, date_from, date_to)
        if n == 0 or not allowed.any():
            empty = np.zeros(0, np.float32)
            return Signals(np.zeros(0, np.int64), [], empty, empty, empty, 0.0, query_vector)
        q = query_vector if query_vector is not None else (None if mode == "lexical" else self.embed_query(query))
        lexical = self.index.lexical.scores(query) if mode != "dense" else np.zeros(n, np.float32)
        lexical = np.where(allowed, lexical, 0.0)
        cand = self._candidates(q, lexical, allowed, k)
        zeros = np.zeros(len(cand), np.float32)
        dense = self.index.chunk_vectors.search_subset(q, cand) if q is not None else zeros
        sentence = np.array([self._sentence_scores(q, i).max(initial=0.0) for i in cand], np.float32) \
            if q is not None else zeros
        return Signals(cand, [self.index.chunk_doc[i] for i in cand], np.asarray(dense, np.float32), sentence,
                       lexical[cand].astype(np.float32), float(lexical.max()), q)

    def in_scope(self, doc_ids: list[str] | None = None, date_from: str | None = None,
                 date_to: str | None = None) -> list[str]:
        """Ids of the documents that :meth:`search` with these filters looks at."""
        docs = self.index.doc_by_id
        if doc_ids is not None:
            unknown = [d for d in doc_ids if d not in docs]
            if unknown:
                raise QueryError(f"unknown document id(s) {unknown[:5]}; `rag docs` lists the ids.")
        return [d.id for d in self.index.docs
                if (doc_ids is None or d.id in doc_ids)
                and (date_from is None or (d.date is not None and d.date >= date_from))
                and (date_to is None or (d.date is not None and d.date <= date_to))]

    def _allowed(self, doc_ids, date_from, date_to) -> np.ndarray:
        keep = set(self.in_scope(doc_ids, date_from, date_to))
        return np.array([c in keep for c in self.index.chunk_doc], dtype=bool)

    def _candidates(self, q, lexical: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
        want = min(max(self.candidates, 4 * k), len(lexical))
        top = np.argsort(-lexical, kind="stable")[:want]
        pool = set(top[lexical[top] > 0].tolist())
        if q is not None:
            if allowed.all():
                _, ids = self.index.chunk_vectors.search(q, want)
                pool.update(int(i) for i in ids[0])
            else:  # filtered: exact scores over the allowed rows only
                rows = np.flatnonzero(allowed)
                sims = self.index.chunk_vectors.search_subset(q, rows)
                pool.update(rows[np.argsort(-sims)[:want]].tolist())
        return np.array(sorted(i for i in pool if allowed[i]), dtype=np.int64)

    def _sentence_scores(self, q, chunk_row: int) -> np.ndarray:
        rows = self.index.chunk_sentences[chunk_row]
        return self.index.sentence_vectors[rows] @ q if q is not None else np.zeros(len(rows), np.float32)

    def _terms(self) -> list[set[str]]:
        if self._sentence_terms is None:
            texts = [s.text for s in self.index.sentences]
            self._sentence_terms = [set(t) for t in self.index.lexical._tokenize(texts)] if texts else []
        return self._sentence_terms

    def _passage(self, i: int, score: float, q, terms: set[str]) -> Passage:
        chunk = self.index.chunks[i]
        doc = self.index.doc_by_id[chunk.doc_id]
        rows = self.index.chunk_sentences[i]
        sentence_terms = self._terms()
        overlap = np.array([len(terms & sentence_terms[j]) / len(terms) if terms else 0.0 for j in rows], np.float32)
        w = self.sentence_lexical_weight
        sims = (1 - w) * self._sentence_scores(q, i) + w * overlap
        best = np.argsort(-sims, kind="stable")  # every sentence, best match first
        hits = tuple(SentenceHit(chunk.sentences[b].text, chunk.sentences[b].start, chunk.sentences[b].end,
                                 round(float(sims[b]), 4)) for b in best)
        return Passage(doc_id=doc.id, title=doc.title, source=doc.source, date=doc.date, source_path=doc.path,
                       chunk_id=chunk.id, text=chunk.text, start=chunk.start, end=chunk.end,
                       score=round(score, 6), sentences=hits)
