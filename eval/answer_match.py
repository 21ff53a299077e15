"""Does a short answer state the gold answer? SQuAD v2.0 EM and F1, values (numbers and dates)
compared as values, and :func:`correct`: what "answered correctly" means in every report.

    >>> exact_match("the Kalibr", "Kalibr"), token_f1("Jens Stoltenberg", "Stoltenberg")
    (1.0, 0.6666666666666666)
    >>> correct("thirty-three", ["33"], answerable=True, refused=False)
    True

Numbers and dates are read by :mod:`eval.value_match`; ranking metrics, aggregates and evidence
quotes are :mod:`eval.metrics`.
"""
from __future__ import annotations

import collections
from typing import Sequence

from eval.value_match import value_match
from rag.text.values import squad_normalize

# -- answers: SQuAD v2.0 (evaluate-v2.0.py) EM and F1 ---------------------------------------------------------------
# One normalisation for the assistant and its evaluation: rag.text.values.squad_normalize is SQuAD's
# (lower case, punctuation and a/an/the dropped, single spaces) and also drops curly quotes and dashes.


def exact_match(prediction: str, gold: str) -> float:
    """1.0 when the normalised strings are equal.

    >>> exact_match("Feb. 28", "feb 28"), exact_match("33 soldiers", "33")
    (1.0, 0.0)
    """
    return float(squad_normalize(prediction) == squad_normalize(gold))


def token_f1(prediction: str, gold: str) -> float:
    """Harmonic mean of token precision and recall over the normalised bag of words.

    As in the official script, when either side has no tokens the score is
    1.0 only if both are empty.

    >>> token_f1("33 Turkish soldiers", "33"), token_f1("", "")
    (0.5, 1.0)
    """
    pred, ref = squad_normalize(prediction).split(), squad_normalize(gold).split()
    if not pred or not ref:
        return float(pred == ref)
    common = sum((collections.Counter(pred) & collections.Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def best_score(metric, prediction: str | None, golds: list[str]) -> float:
    """Max of ``metric`` over the gold answers (SQuAD's rule for several references).

    A refusal (None) scores as the empty string; no gold answers means the
    question is unanswerable, where SQuAD v2 gives 1.0 only to an empty answer.

    >>> best_score(exact_match, "Stoltenberg", ["Jens Stoltenberg", "Stoltenberg"]), best_score(token_f1, None, [])
    (1.0, 1.0)
    """
    return max(metric(prediction or "", g) for g in (golds or [""]))


# -- correct: the one definition, used by eval/run.py, eval/calibrate.py and eval/report.py -------------------------

MAX_EXTRA_WORDS = 2  # a unit and a qualifier ("33 Turkish soldiers"), a weekday ("Friday, February 28"); not a clause

CORRECT_RULE = ("answerable: not refused, and the short answer equals a gold answer after SQuAD normalisation, "
                f"or states exactly its numbers and dates in at most {MAX_EXTRA_WORDS} more words; "
                "unanswerable: refused")


def answer_match(prediction: str | None, gold: str) -> bool:
    """The prediction states the gold answer: :func:`exact_match`, or the same
    numbers and dates (:func:`value_match`) in at most ``MAX_EXTRA_WORDS``
    more normalised words than the gold answer.

    >>> answer_match("28 February", "February 28"), answer_match("33 Turkish soldiers", "thirty-three")
    (True, True)
    >>> answer_match("33 Turkish soldiers were killed in Idlib", "33"), answer_match("Ankara and Moscow", "Ankara")
    (False, False)
    """
    if not prediction:
        return False
    if exact_match(prediction, gold):
        return True
    extra = len(squad_normalize(prediction).split()) - len(squad_normalize(gold).split())
    return extra <= MAX_EXTRA_WORDS and value_match(prediction, gold)


def correct(prediction: str | None, golds: Sequence[str], *, answerable: bool, refused: bool) -> bool:
    """Whether the assistant got a question right; the only definition of
    "correct" in this project's evaluation (accuracy, failures, calibration).

    An unanswerable question is right exactly when refused. An answerable one
    is right when it is answered and the short answer :func:`answer_match`-es
    one of the gold answers: equal after SQuAD normalisation (case,
    punctuation, articles), or, for numbers and dates, the same values in
    another form ("33" / "thirty-three", "February 28" / "28 February").

    Why not containment (the prediction contains a gold answer, or the
    reverse)? It rewards over-long answers: a whole sentence contains its
    answer, and "Moscow and Ankara" contains "Ankara"; a short answer must be
    short. So exact match is the bar, and the value rule allows only a unit or
    a weekday beside the value. Partial credit is token F1, reported apart.

    Worked examples:

    >>> correct("Stoltenberg", ["Jens Stoltenberg", "Stoltenberg"], answerable=True, refused=False)
    True
    >>> correct("thirty-three", ["33"], answerable=True, refused=False)
    True
    >>> correct("Friday, 28 February", ["February 28"], answerable=True, refused=False)
    True
    >>> correct("the alliance stood in solidarity with Greece", ["Greece"], answerable=True, refused=False)
    False
    >>> correct(None, [], answerable=False, refused=True), correct("Greece", [], answerable=False, refused=False)
    (True, False)
    >>> correct("33", ["33"], answerable=True, refused=True)   # a refusal answers nothing
    False
    """
    if not answerable:
        return refused
    return not refused and any(answer_match(prediction, g) for g in golds)
