"""Metric primitives on tiny hand-made cases whose values are worked out by hand."""
from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from eval import answer_match as answers, metrics, value_match as value_module
from eval.answer_match import answer_match, best_score, correct, exact_match, token_f1
from eval.metrics import (contains, mean, ndcg_at_k, overlaps, percentile, ratio, recall_at_k, reciprocal_rank,
                          refusal_scores)
from eval.value_match import value_match, values
from rag.text.values import squad_normalize


@pytest.mark.parametrize("module, examples", [(metrics, 10), (answers, 10), (value_module, 4)],
                         ids=["metrics", "answer_match", "value_match"])
def test_docstring_examples(module, examples):
    failed, tried = doctest.testmod(module)
    assert tried >= examples and failed == 0


# -- SQuAD normalisation (one function, rag.text.values.squad_normalize), EM and F1 (evaluate-v2.0.py) ----------------

@pytest.mark.parametrize("raw, norm", [
    ("The Cat", "cat"),
    ("  a   b  ", "b"),                      # "a" is an article
    ("U.S.A.", "usa"),                        # punctuation removed, not replaced by spaces
    ("the theatre", "theatre"),               # only whole-word articles
    ("An apple, an orange!", "apple orange"),
    ("Jabhat al-Nusra", "jabhat alnusra"),
    ("Erdo\u011fan\u2019s \u201cred line\u201d \u2013 again", "erdo\u011fans red line again"),  # typographic marks too
])
def test_normalisation_is_squads(raw, norm):
    assert squad_normalize(raw) == norm


def test_eval_has_no_normalisation_of_its_own():
    assert answers.squad_normalize is squad_normalize and not hasattr(answers, "normalize_answer")
    assert not hasattr(metrics, "normalize_answer")


def test_exact_match():
    assert exact_match("The Bosphorus.", "bosphorus") == 1.0
    assert exact_match("Bosphorus Strait", "Bosphorus") == 0.0


def test_token_f1_hand_computed():
    # pred "cat sat on mat" (4 tokens), gold "cat on mat" (3): common 3, P=3/4, R=1 -> F1 = 6/7
    assert token_f1("the cat sat on the mat", "cat on mat") == pytest.approx(6 / 7)
    # repeated tokens count by multiset: pred x x y vs gold x y -> common 2, P=2/3, R=1 -> 0.8
    assert token_f1("x x y", "x y") == pytest.approx(0.8)
    assert token_f1("Ankara", "Moscow") == 0.0
    assert token_f1("the", "") == 1.0  # both empty after normalisation, as in the official script
    assert token_f1("Ankara", "") == 0.0


def test_best_score_over_references_and_unanswerable():
    golds = ["Sergei Vershenin", "Vershenin"]
    assert best_score(exact_match, "Vershenin", golds) == 1.0
    assert best_score(token_f1, "deputy minister Vershenin", golds) == pytest.approx(max(2 * (1 / 3) * 1 / (1 / 3 + 1),
                                                                                       2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2)))
    assert best_score(exact_match, None, golds) == 0.0      # refused an answerable question
    assert best_score(exact_match, None, []) == 1.0         # refused an unanswerable one (SQuAD v2)
    assert best_score(token_f1, "Canberra", []) == 0.0      # answered an unanswerable one


# -- numbers and dates -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("33", [("num", 33.0)]),
    ("thirty-three", [("num", 33.0)]),
    ("one hundred and five", [("num", 105.0)]),
    ("2,500 people", [("num", 2500.0)]),
    ("the 3rd day", [("num", 3.0)]),
    ("third", [("num", 3.0)]),
    ("911-kilometer", [("num", 911.0)]),
    ("February 28th", [("date", (None, 2, 28))]),
    ("Feb. 24", [("date", (None, 2, 24))]),
    ("5 March", [("date", (None, 3, 5))]),
    ("May 2017", [("date", (2017, 5, None))]),
    ("2020-02-28", [("date", (2020, 2, 28))]),
    ("Thursday", [("weekday", "thursday")]),
    ("the Russian ambassador", []),
    ("marches and decades", []),
    ("troops may march", []),               # ambiguous month names need a day or a year
    ("5 May", [("date", (None, 5, 5))]),
    ("Russia and Syria", []),
    ("five and six", [("num", 5.0), ("num", 6.0)]),
    ("five six", [("num", 5.0), ("num", 6.0)]),
    ("twenty five", [("num", 25.0)]),
])
def test_values(text, expected):
    assert values(text) == expected


@pytest.mark.parametrize("pred, gold, ok", [
    ("33 soldiers", "33", True),
    ("33", "thirty-three", True),
    ("34", "33", False),
    ("33 or 34", "33", False),              # hedging over two numbers is not an exact match
    ("February 28, 2020", "28 February", True),   # the year is extra detail the gold does not state
    ("February 27", "28 February", False),
    ("2017", "May 2017", False),              # a year is not the month the gold names
    ("May 2017", "May 2017", True),
    ("Friday, February 28", "February 28", True),
    ("Friday", "February 28", False),
    ("Thursday", "Thursday", True),
    ("more than 200 targets", "more than 200", True),
    ("anything", "Jens Stoltenberg", False),  # no number in the gold: not a value question
    (None, "33", False),
])
def test_value_match(pred, gold, ok):
    assert value_match(pred, gold) is ok


# -- correct: the one definition ----------------------------------------------------------------------------

@pytest.mark.parametrize("pred, golds, ok", [
    # exact, after normalisation (case, punctuation, articles), against any gold alternative
    ("Stoltenberg", ["Jens Stoltenberg", "Stoltenberg"], True),
    ("the Black Sea Fleet.", ["Black Sea fleet"], True),
    # the same value in another form
    ("thirty-three", ["33"], True),
    ("28 February", ["February 28"], True),
    ("Friday, February 28", ["February 28"], True),       # a weekday beside the date
    ("33 Turkish soldiers", ["33"], True),                 # a unit and a qualifier: two extra words
    # over-long: containing the gold is not stating it
    ("33 Turkish soldiers were killed in Idlib", ["33"], False),
    ("Nato stood in solidarity with Greece", ["Greece"], False),
    ("Black Sea", ["Black Sea fleet"], False),             # nor is being contained in it
    # wrong
    ("34", ["33", "thirty-three"], False),
    ("33 or 34", ["33"], False),
    ("Ankara", ["Moscow"], False),
    ("", ["33"], False),
])
def test_correct_answerable(pred, golds, ok):
    assert correct(pred, golds, answerable=True, refused=False) is ok


def test_correct_refusals():
    assert correct(None, [], answerable=False, refused=True)             # refused on unanswerable: right
    assert not correct("Canberra", [], answerable=False, refused=False)  # answered an unanswerable question
    assert not correct(None, ["33"], answerable=True, refused=True)       # refused an answerable one
    assert not correct("33", ["33"], answerable=True, refused=True)       # a refusal's text answers nothing


def test_answer_match_allows_only_a_few_extra_words():
    assert answer_match("at least 33 soldiers", "33") is False            # 3 extra words
    assert answer_match("at least 33", "33") is True
    assert answer_match("33", "33 Turkish soldiers") is True             # shorter than the gold: same value
    assert answer_match(None, "33") is False


# -- evidence matching ---------------------------------------------------------------------------------------

def test_contains_ignores_whitespace_quotes_and_case():
    assert contains("\u201cThere is a risk\u201d,\n said  Borrell", '"there is a risk", said Borrell')
    assert not contains("said Borrell", "said Josep Borrell")


def test_overlaps():
    quote = "The negotiations in Ankara ended. No deal was reached in Ankara on Friday."
    assert overlaps("Officials said the negotiations in Ankara ended.", quote)    # sentence end = quote start
    assert overlaps("No deal was reached in Ankara on Friday.", quote)           # sentence inside quote
    assert overlaps("Reports: No deal was reached in Ankara on Friday. More follows.", "No deal was reached")
    assert not overlaps("Officials said the talks ended.", quote)   # shares only "ended." (too short)
    assert not overlaps("The negotiations began.", quote)
    assert not overlaps("", quote)


# -- retrieval ---------------------------------------------------------------------------------------------

def test_ndcg_single_relevant_passage():
    assert ndcg_at_k([True] + [False] * 9, k=10, n_relevant=1) == 1.0
    assert ndcg_at_k([False, True] + [False] * 8, k=10, n_relevant=1) == pytest.approx(1 / math.log2(3))
    assert ndcg_at_k([False] * 10, k=10, n_relevant=1) == 0.0


def test_ndcg_several_relevant_and_cutoff():
    ideal2 = 1 + 1 / math.log2(3)
    assert ndcg_at_k([True, False, True], k=10, n_relevant=2) == pytest.approx((1 + 1 / math.log2(4)) / ideal2)
    # a relevant passage the ranking missed lowers the score
    assert ndcg_at_k([True, False], k=10, n_relevant=2) == pytest.approx(1 / ideal2)
    # the ideal ranking is cut at k too: 3 relevant in the index, k=2, both slots relevant -> 1.0
    assert ndcg_at_k([True, True, False], k=2, n_relevant=3) == 1.0
    assert ndcg_at_k([False, False, True], k=2, n_relevant=1) == 0.0


def test_ndcg_undefined_and_inconsistent():
    assert ndcg_at_k([False], k=10, n_relevant=0) is None
    with pytest.raises(ValueError, match="n_relevant=1"):
        ndcg_at_k([True, True], k=10, n_relevant=1)


def test_reciprocal_rank_and_recall():
    assert reciprocal_rank([False, False, True]) == pytest.approx(1 / 3)
    assert reciprocal_rank([False] * 10 + [True], k=10) == 0.0
    assert reciprocal_rank([]) == 0.0
    assert recall_at_k([False] * 5 + [True], k=5) == 0.0
    assert recall_at_k([False] * 5 + [True], k=10) == 1.0
    assert recall_at_k([True, True], k=1) == 1.0     # hit or miss, not a count
    assert recall_at_k([], k=10) == 0.0


# -- aggregates ---------------------------------------------------------------------------------------------

def test_refusals_hand_computed():
    # 2 unanswerable (one refused), 3 answerable (one wrongly refused)
    s = refusal_scores(refused=[True, False, True, False, False], answerable=[False, False, True, True, True])
    assert (s["tp"], s["fp"], s["fn"], s["tn"]) == (1, 1, 1, 2)
    assert s["precision"] == 0.5 and s["recall"] == 0.5 and s["accuracy"] == 0.6


def test_refusals_zero_division_is_none_not_zero():
    never_refused = refusal_scores(refused=[False, False], answerable=[True, False])
    assert never_refused["precision"] is None and never_refused["recall"] == 0.0
    all_answerable = refusal_scores(refused=[True], answerable=[True])
    assert all_answerable["recall"] is None and all_answerable["precision"] == 0.0
    assert refusal_scores([], [])["accuracy"] is None
    with pytest.raises(ValueError, match="one per question"):
        refusal_scores([True], [])


def test_ratio_and_mean():
    assert ratio(1, 4) == 0.25 and ratio(0, 0) is None
    assert mean([None, 1.0, 0.0]) == 0.5 and mean([]) is None


@given(st.lists(st.floats(0, 1e5), min_size=1, max_size=60), st.floats(0, 100))
def test_percentile_matches_numpy(xs, q):
    assert percentile(xs, q) == pytest.approx(float(np.percentile(xs, q)), rel=1e-9, abs=1e-6)


def test_percentile_bad_q():
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match="0..100"):
        percentile([1.0], 150)
