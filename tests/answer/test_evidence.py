"""rag.answer.evidence: every sentence of the retrieved passages scored against the question, with its checks."""
import math
from dataclasses import replace

import pytest
from conftest import FakeEmbedder

from rag.answer.evidence import EvidenceScorer
from rag.answer.terms import WordSimilarity, question_terms
from rag.index.open_index import open_index
from rag.records import SentenceHit
from rag.retrieval.retriever import Retriever

QUESTION = "How many Turkish troops were killed in Idlib?"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("corpus")
    (corpus / "a.txt").write_text("Idlib offensive\n\nTurkish troops were killed in Idlib. He said the attack was planned.\n")
    (corpus / "b.txt").write_text("Moscow talks\n\nTalks began in Moscow on Thursday. Russia deployed ships to the Black "
                                  "Sea.\n")
    embedder = FakeEmbedder()
    index, _ = open_index(corpus, embedder=embedder, index_dir=tmp_path_factory.mktemp("index"))
    retriever = Retriever(index, embedder)
    return retriever, WordSimilarity(embedder.embed), retriever.search(QUESTION, k=5)


def test_every_sentence_of_the_passages_is_ranked_with_its_checks(setup):
    retriever, similarity, passages = setup
    scorer = EvidenceScorer(retriever.index, similarity)
    q = question_terms(QUESTION, scorer.vocab)
    ranked = scorer.rank(q, None, retriever.embed_query(QUESTION), passages)
    assert sorted(e.text for e in ranked) == sorted(s.text for s in retriever.index.sentences)  # six, each once
    assert [e.score for e in ranked] == sorted((e.score for e in ranked), reverse=True)
    best = ranked[0]
    assert (best.doc_id, best.start, best.end, best.text) == ("a", 17, 53, "Turkish troops were killed in Idlib.")
    # Coverage: IDF-weighted share of the question's words the sentence states (six sentences; "idlib" in two).
    idf = {n: math.log(7 / (n + 0.5)) for n in (0, 1, 2)}
    assert best.coverage == pytest.approx((3 * idf[1] + idf[2]) / (idf[0] + 3 * idf[1] + idf[2]), abs=1e-4)
    assert (best.names_ok, best.predicate_ok, best.attribute_ok) == (True, True, None)
    by_text = {e.text: e for e in ranked}
    assert by_text["He said the attack was planned."].names_ok  # Idlib is named in the sentence before
    assert not by_text["Talks began in Moscow on Thursday."].names_ok
    assert not by_text["Russia deployed ships to the Black Sea."].predicate_ok  # "deployed" is not "killed"
    for e in ranked:
        assert e.score == pytest.approx(0.5 * e.dense + 0.5 * e.coverage, abs=2e-4)


def test_the_attribute_of_a_what_is_the_x_of_y_question_must_be_named(setup):
    retriever, similarity, passages = setup
    scorer = EvidenceScorer(retriever.index, similarity)
    question = "What is the capital of Russia?"
    ranked = scorer.rank(question_terms(question, scorer.vocab), "capital", retriever.embed_query(question), passages)
    assert ranked and all(e.attribute_ok is False and e.predicate_ok is None for e in ranked)


def test_dense_weight_one_scores_by_the_cosine_alone(setup):
    retriever, similarity, passages = setup
    scorer = EvidenceScorer(retriever.index, similarity, dense_weight=1.0)
    ranked = scorer.rank(question_terms(QUESTION, scorer.vocab), None, retriever.embed_query(QUESTION), passages)
    assert all(e.score == pytest.approx(e.dense, abs=1e-4) for e in ranked)


def test_no_passages_or_unknown_sentences_give_no_evidence(setup):
    retriever, similarity, passages = setup
    scorer = EvidenceScorer(retriever.index, similarity)
    q, qvec = question_terms(QUESTION, scorer.vocab), retriever.embed_query(QUESTION)
    assert scorer.rank(q, None, qvec, []) == []
    stray = replace(passages[0], sentences=(SentenceHit("Not in the index.", 999, 1016, 1.0),))
    assert scorer.rank(q, None, qvec, [stray]) == []


@pytest.mark.parametrize("weight", [-0.1, 1.5])
def test_dense_weight_outside_zero_one_is_refused(setup, weight):
    retriever, similarity, _ = setup
    with pytest.raises(ValueError, match=rf"dense_weight must be within \[0, 1\]; got {weight}"):
        EvidenceScorer(retriever.index, similarity, dense_weight=weight)
