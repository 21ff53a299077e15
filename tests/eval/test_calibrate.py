"""Threshold calibration (eval/calibrate.py): one run with the threshold off, every
threshold's outcome from the recorded support scores, judged by eval.answer_match.correct."""
from __future__ import annotations

import doctest

import pytest

from eval import calibrate
from eval.calibrate import PARAMETER, outcome, run, sweep
from eval.datasets import GoldItem
from rag import Answer, Citation


def row(support, short, golds, *, answered=True, swept=True, cites=()):
    return {"id": "x", "answerable": bool(golds), "golds": list(golds), "short": short, "answered": answered,
            "support": support, "swept": swept, "cites": list(cites), "query": "q", "reason": None}


def test_docstring_examples():
    failed, tried = doctest.testmod(calibrate)
    assert tried and not failed


def test_outcome_judges_with_the_one_definition_of_correct():
    rows = [row(0.9, "thirty-three", ["33"], cites=[True]),          # value-equivalent: right
            row(0.8, "33 Turkish soldiers were killed in Idlib", ["33"], cites=[False]),  # over-long: wrong
            row(0.7, "Ankara", []),                                    # answered an unanswerable question
            row(0.1, None, [], answered=False)]                        # refused anyway (verification)
    o = outcome(rows, 0.5)
    assert (o["correct"], o["wrong_answers"], o["decisions_right"]) == (1, 2, 2)
    assert (o["unanswerable_refused"], o["answerable_refused"]) == (1, 0)
    assert o["citations"] == 2 and o["citations_supporting"] == 0.5
    o = outcome(rows, 0.75)                                            # the unanswerable one is now refused
    assert (o["correct"], o["wrong_answers"], o["decisions_right"]) == (1, 1, 3)
    assert o["refusal_precision"] == 1.0 and o["refusal_recall"] == 1.0


def test_a_fallback_answer_keeps_its_decision():
    """A question the rules answered for a failed model was decided under the rules' threshold."""
    rows = [row(0.2, "Merkel", ["Merkel"], swept=False), row(0.9, "Ankara", ["Ankara"])]
    assert outcome(rows, 0.5)["correct"] == 2
    assert outcome(rows, 0.95)["correct"] == 1


def test_sweep_maximises_right_decisions_minus_half_the_wrong_answers():
    rows = [row(0.9, "Ankara", ["Ankara"]), row(0.8, "Moscow", ["Moscow"]), row(0.6, "Rome", []),
            row(0.4, "Oslo", []), row(0.2, "Paris", [])]
    assert sweep(rows) == pytest.approx(0.7)  # both right answers, all three unanswerable refused


def test_sweep_breaks_ties_towards_the_middle():
    # cuts 0.2 / 0.4 / 0.6 / 0.8 score 2 / 1 / 1.5 / 2: the best two tie, the middle of [0.2, 0.8] is taken
    rows = [row(0.9, "Ankara", ["Ankara"]), row(0.7, "Rome", ["Oslo"]), row(0.5, "Rome", ["Paris"]),
            row(0.3, "Oslo", ["Oslo"]), row(0.1, "Paris", [])]
    assert sweep(rows) == pytest.approx(0.8)


def test_sweep_needs_two_answered_scores():
    with pytest.raises(ValueError, match="nothing to sweep"):
        sweep([row(0.5, "Ankara", ["Ankara"]), row(0.5, None, [], answered=False)])


class TracedAssistant:
    """Replies from a script: question -> (short or None, support, backend, cited sentence)."""

    def __init__(self, script):
        self.script = script

    def ask_traced(self, question, history=None):
        short, support, backend, cited = self.script[question]
        cites = () if cited is None else (Citation(1, "doc", "t", None, None, "doc.txt", cited, 0, len(cited)),)
        answer = Answer("...", short, short is None, cites, question, ())
        return answer, {"support": support, "backend": backend, "reason": None, "draft": short}


def test_run_records_support_fallbacks_and_supporting_citations():
    items = [GoldItem("a", "Who leads it?", ("Angela Merkel",), ("Chancellor Angela Merkel said",)),
             GoldItem("b", "Who else?", ("Macron",), ("President Macron said",)),
             GoldItem("c", "Who painted it?", (), (), answerable=False)]
    assistant = TracedAssistant({
        "Who leads it?": ("Angela Merkel", 0.8, "llm:fake", "German Chancellor Angela Merkel said on Friday."),
        "Who else?": ("Macron", 0.3, "rules", "Nothing to see."),
        "Who painted it?": (None, None, "llm:fake", None)})
    rows = run(items, assistant, "llm")
    assert [r["swept"] for r in rows] == [True, False, True]
    assert [r["cites"] for r in rows] == [[True], [False], []]
    assert [r["answered"] for r in rows] == [True, True, False] and rows[0]["support"] == 0.8
    assert PARAMETER == {"rules": "threshold", "llm": "llm_threshold"}
