"""eval.scoring: one answered question scored from its results row (made-up items, no gold question)."""
import math
from types import SimpleNamespace

import pytest

from eval.datasets import GoldItem
from eval.scoring import relevant_counts, score, supports, targets

QUOTED = GoldItem("t1", "How many troops were sent to the border?", ("5,000", "five thousand"),
                  ("sent 5,000 troops to the border",))
BY_DOC = GoldItem("t2", "Who chairs the council?", ("Mara Quist",), ("Mara Quist chairs",), documents=("council.txt",))
NONE = GoldItem("t3", "What is the capital of Canada?", (), (), answerable=False)
SENT = "Ankara sent 5,000 troops to the border."


def test_targets_are_quotes_or_named_documents():
    assert targets(QUOTED) == [("quote", "sent 5,000 troops to the border")]
    assert targets(BY_DOC) == [("doc", "council.txt")]
    assert targets(NONE) == []


def test_a_citation_supports_when_it_states_a_quote_from_an_allowed_document():
    assert supports(QUOTED, {"doc_id": "x", "text": "Ankara sent 5,000 troops to the border on Monday."})
    assert not supports(QUOTED, {"doc_id": "x", "text": "Ankara sent troops."})
    assert supports(BY_DOC, {"doc_id": "council", "text": "Mara Quist chairs the council."})  # "council.txt" ~ "council"
    assert not supports(BY_DOC, {"doc_id": "other", "text": "Mara Quist chairs the council."})


def test_relevant_counts_per_question():
    chunks = [SimpleNamespace(doc_id="a", text="Ankara sent 5,000  Troops to the border."),  # spacing and case ignored
              SimpleNamespace(doc_id="b", text="nothing"),
              SimpleNamespace(doc_id="council", text="x"), SimpleNamespace(doc_id="council", text="y")]
    assert relevant_counts([QUOTED, BY_DOC, NONE], chunks) == {"t1": 1, "t2": 2, "t3": 0}


def test_score_worked_example():
    row = {"refused": False, "short_answer": "5,000", "answer": f"{SENT[:-1]} [1].",
           "ranking": [{"doc_id": "b", "text": "nothing"}, {"doc_id": "a", "text": SENT}],
           "passages": [{"doc_id": "a", "text": SENT}],
           "citations": [{"doc_id": "a", "text": SENT}, {"doc_id": "b", "text": "nothing at all here"}]}
    s = score(QUOTED, row, n_relevant=1, k=10)
    assert s == {"em": 1.0, "f1": 1.0, "value_em": 1.0, "correct": True, "recall@1": 0.0, "recall@5": 1.0,
                 "recall@10": 1.0, "mrr@10": 0.5, "n_relevant": 1, "ndcg@10": pytest.approx(1 / math.log2(3)),
                 "citations": 2, "supported_citations": 1}
    # The row is annotated for the report.
    assert [p["relevant"] for p in row["ranking"]] == [False, True] and row["passages"][0]["relevant"]
    assert [c["supports"] for c in row["citations"]] == [True, False]


def test_only_the_first_k_ranked_passages_count():
    row = {"refused": False, "short_answer": "5,000", "answer": "", "passages": [], "citations": [],
           "ranking": [{"doc_id": "b", "text": "nothing"}, {"doc_id": "a", "text": SENT}]}
    s = score(QUOTED, row, n_relevant=1, k=1)
    assert (s["recall@5"], s["mrr@10"], s["ndcg@10"]) == (0.0, 0.0, 0.0)


def test_a_refusal_of_an_unanswerable_question_is_correct_and_has_no_retrieval_scores():
    row = {"refused": True, "short_answer": None, "answer": "The articles don't say.", "ranking": [], "passages": [],
           "citations": []}
    assert score(NONE, row, 0, 10) == {"em": 1.0, "f1": 1.0, "value_em": None, "correct": True, "citations": 0,
                                       "supported_citations": 0}


def test_a_wrong_value_and_a_refused_answerable_question_are_not_correct():
    wrong = {"refused": False, "short_answer": "500", "answer": "", "ranking": [], "passages": [], "citations": []}
    s = score(QUOTED, wrong, 1, 10)
    assert (s["em"], s["value_em"], s["correct"]) == (0.0, 0.0, False)
    refused = {**wrong, "refused": True, "short_answer": None}
    assert score(QUOTED, refused, 1, 10)["correct"] is False
