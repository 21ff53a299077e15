"""The retriever and the evidence scorer reach the index only through the VectorStore / LexicalIndex protocols."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rag.answer.evidence import EvidenceScorer
from rag.answer.terms import Vocabulary, WordSimilarity, question_terms
from rag.errors import QueryError
from rag.index.chunk_index import Index
from rag.index.protocols import LexicalIndex, VectorStore
from rag.retrieval.retriever import Retriever

QUESTION = "What did Turkey threaten to do in Idlib?"


class ProtocolOnly:
    """Wraps a store and lets through only the methods of ``protocol``: any other access fails the test."""

    def __init__(self, inner, protocol):
        self._inner = inner
        self._allowed = {n for n in vars(protocol) if not n.startswith("_")}
        self.calls: list[str] = []

    def __getattr__(self, name):
        if name not in self._allowed:
            raise AssertionError(f"{name!r} is not part of the protocol")
        self.calls.append(name)
        return getattr(self._inner, name)

    def __len__(self):
        return len(self._inner)


@pytest.fixture(scope="module")
def guarded(seeds_index):
    index, embedder = seeds_index
    copy = Index(docs=index.docs, chunks=index.chunks, vectors=ProtocolOnly(index.vectors, VectorStore),
                 lexical=ProtocolOnly(index.lexical, LexicalIndex), dim=index.dim, model=index.model,
                 chunking=index.chunking, model_id=index.model_id)
    return Retriever(copy, embedder), Retriever(index, embedder)


def summary(passages):
    return [(p.chunk_id, p.score, [dataclasses.astuple(s) for s in p.sentences]) for p in passages]


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_search_through_the_protocols_only_gives_the_same_passages(guarded, mode):
    only, full = guarded
    got = only.search(QUESTION, k=5, mode=mode)
    assert got and summary(got) == summary(full.search(QUESTION, k=5, mode=mode))
    used = set(only.index.vectors.calls) | set(only.index.lexical.calls)
    assert used <= {"search", "score", "terms"}


def test_filters_are_pushed_into_the_stores_and_respected(guarded):
    only, _ = guarded
    docs = only.index.docs
    one = docs[0].id
    passages = only.search(QUESTION, k=4, doc_ids=[one])
    assert passages and {p.doc_id for p in passages} == {one}
    dated = [d for d in docs if d.date]
    cut = sorted(d.date for d in dated)[-1]
    late = only.search("Putin Erdogan", k=10, date_from=cut)
    assert late and all(p.date is not None and p.date >= cut for p in late)
    assert only.search("Putin Erdogan", k=5, date_from="2099-01-01") == []
    with pytest.raises(QueryError, match="unknown document id"):
        only.search(QUESTION, k=3, doc_ids=["no-such-doc"])


def test_candidates_are_each_stores_top_hits_scored_by_both(seeds_index):
    index, embedder = seeds_index
    small = Retriever(index, embedder, candidates=1)  # k=1: the top 4 of each store
    sig = small.signals(QUESTION, k=1)
    qvec = sig.query_vector
    from_dense = [h.id for h in index.vectors.search("chunks", qvec, 4)]
    from_bm25 = [h.id for h in index.lexical.search(QUESTION, 4)]
    assert sig.ids == list(dict.fromkeys(from_dense + from_bm25))
    assert len(sig.ids) > 4  # the two stores disagree, so fusion has work to do
    np.testing.assert_allclose(sig.lexical, index.lexical.score(QUESTION, sig.ids))  # BM25 of dense candidates too
    np.testing.assert_allclose(sig.dense, index.vectors.score("chunks", qvec, sig.ids))
    best = [max(index.vectors.score("sentences", qvec, [s.id for s in index.chunk_by_id[c].sentences]))
            for c in sig.ids]
    np.testing.assert_allclose(sig.sentence, best, rtol=1e-6)


def test_the_evidence_scorer_reads_sentence_vectors_from_the_store(guarded, seeds_index):
    only, full = guarded
    _, embedder = seeds_index
    qvec = embedder.embed([QUESTION])[0]
    passages = full.search(QUESTION, k=3, query_vector=qvec)
    words = WordSimilarity(embedder.embed)
    ranked = []
    for index in (only.index, full.index):
        scorer = EvidenceScorer(index, words)
        q = question_terms(QUESTION, Vocabulary([s.text for s in index.sentences]))
        ranked.append([(e.text, e.dense, e.score) for e in scorer.rank(q, None, qvec, passages)])
    assert ranked[0] and ranked[0] == ranked[1]
    best = ranked[0][0]
    sentence = next(s for s in full.index.sentences if s.text == best[0])
    assert best[1] == pytest.approx(float(embedder.embed([sentence.text])[0] @ qvec), abs=1e-4)
