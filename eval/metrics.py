"""Metric primitives: pure functions on plain values, each with a worked example.

Retrieval (binary relevance, ranks are 1-based):

    >>> ndcg_at_k([True, False], k=10, n_relevant=1), round(ndcg_at_k([False, True], k=10, n_relevant=1), 4)
    (1.0, 0.6309)
    >>> reciprocal_rank([False, False, True], k=10), recall_at_k([False, True], k=1)
    (0.3333333333333333, 0.0)

Answers (SQuAD v2.0 normalisation and token F1; :func:`correct` is what
"answered correctly" means in every report):

    >>> exact_match("the Kalibr", "Kalibr"), token_f1("Jens Stoltenberg", "Stoltenberg")
    (1.0, 0.6666666666666666)
    >>> correct("thirty-three", ["33"], answerable=True, refused=False)
    True

Refusals, where "positive" means "should refuse" and an empty denominator is None:

    >>> refusal_scores(refused=[True, False, True], answerable=[False, False, True])
    {'precision': 0.5, 'recall': 0.5, 'accuracy': 0.3333333333333333, 'tp': 1, 'fp': 1, 'fn': 1, 'tn': 0}
"""
from __future__ import annotations

import collections
import math
import re
from typing import Sequence

from rag.text.values import squad_normalize
from rag.text.vocabulary import MONTHS, TENS, UNITS, WEEKDAYS

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


# -- numbers and dates: compare values, not strings --------------------------------------------------------------

_UNITS, _TENS = UNITS, TENS
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
_ORDINALS = {w: i for i, w in enumerate("_ first second third fourth fifth sixth seventh eighth ninth tenth eleventh "
                                        "twelfth".split()) if i}
_WEEKDAYS = set(WEEKDAYS)
_TOKEN = re.compile(r"\d{4}-\d{2}-\d{2}|\d[\d,]*(?:\.\d+)?(?:st|nd|rd|th)?|[a-z]+")


_AMBIGUOUS = {"may", "march"}  # months only next to a day or a year: "troops may march" states no date


def _month(word: str) -> int | None:
    return MONTHS.get(word)  # whole words only, so "marches" or "decade" are not months


def _raw_items(text: str) -> list[tuple]:
    """Tokens turned into ("num", value), ("month", m), ("weekday", name); other words break number runs."""
    items, words = [], []

    def flush():
        if words:
            items.append(("num", _words_value(words)))
            words.clear()

    # Hyphens join words ("thirty-three", "911-kilometer") but not the digits of an ISO date.
    for tok in _TOKEN.findall(re.sub(r"-(?!\d)|(?<!\d)-", " ", text.lower())):
        if tok[0].isdigit():
            flush()
            if len(tok) == 10 and tok[4] == "-":  # ISO date
                y, m, d = map(int, tok.split("-"))
                items.append(("date", (y, m, d)))
                continue
            items.append(("num", float(re.sub(r"(st|nd|rd|th)$", "", tok).replace(",", ""))))
        elif tok in _UNITS or tok in _TENS or (tok in _SCALES and words) or (tok == "and" and words
                                                                              and words[-1] in _SCALES):
            if words and words[-1] in _UNITS and tok in _UNITS.keys() | _TENS.keys():
                flush()  # "five six" is two numbers; "twenty five" and "one hundred and five" are one
            words.append(tok)
        elif tok in _ORDINALS:
            flush()
            items.append(("num", float(_ORDINALS[tok])))
        else:
            flush()
            if _month(tok):
                items.append(("month", _month(tok), tok in _AMBIGUOUS))
            elif tok in _WEEKDAYS:
                items.append(("weekday", tok))
    flush()
    return items


def _words_value(words: list[str]) -> float:
    total = current = 0
    for w in words:
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w in _SCALES:
            current = max(current, 1) * _SCALES[w]
            if _SCALES[w] > 100:
                total, current = total + current, 0
    return float(total + current)


def values(text: str) -> list[tuple]:
    """The numbers, dates and weekdays a text states, in order.

    Dates are ``(year, month, day)`` with None for what is not given.

    >>> values("thirty-three soldiers on Friday, February 28")
    [('num', 33.0), ('weekday', 'friday'), ('date', (None, 2, 28))]
    >>> values("28 Feb. 2020"), values("mid-January"), values("a civilian")
    ([('date', (2020, 2, 28))], [('date', (None, 1, None))], [])
    """
    raw, out, i = _raw_items(text), [], 0
    while i < len(raw):
        kind, value = raw[i][:2]
        if kind != "month":
            out.append((kind, value))
            i += 1
            continue
        ambiguous, day, year = raw[i][2], None, None
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        if nxt and nxt[0] == "num" and 1 <= nxt[1] <= 31 and nxt[1] == int(nxt[1]):
            day, i = int(nxt[1]), i + 1
        elif out and out[-1][0] == "num" and 1 <= out[-1][1] <= 31 and out[-1][1] == int(out[-1][1]):
            day = int(out.pop()[1])  # "28 February"
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        if nxt and nxt[0] == "num" and 1000 <= nxt[1] <= 2999:
            year, i = int(nxt[1]), i + 1
        if not ambiguous or day is not None or year is not None:
            out.append(("date", (year, value, day)))
        i += 1
    return out


def _item_matches(pred: tuple, gold: tuple) -> bool:
    if pred[0] != gold[0]:
        return False
    if gold[0] != "date":
        return pred[1] == gold[1]
    (py, pm, pd), (gy, gm, gd) = pred[1], gold[1]
    # Only the fields the gold answer states are checked: "February 28, 2020" answers "February 28".
    return pm == gm and (gd is None or pd == gd) and (gy is None or py == gy)


def value_match(prediction: str | None, gold: str) -> bool:
    """True when the prediction states exactly the gold answer's numbers and dates.

    A weekday in the prediction is ignored when the gold answer is a calendar
    date without one. Gold answers with no number or date never match.

    >>> value_match("33 Turkish soldiers", "thirty-three"), value_match("Friday, Feb. 28", "28 February")
    (True, True)
    >>> value_match("33 or 34", "33"), value_match("a civilian", "a civilian")
    (False, False)
    """
    gold_items = values(gold)
    if not gold_items or not prediction:
        return False
    pred_items = values(prediction)
    if any(g[0] == "date" for g in gold_items) and not any(g[0] == "weekday" for g in gold_items):
        pred_items = [p for p in pred_items if p[0] != "weekday"]
    if len(pred_items) != len(gold_items):
        return False
    unused = list(pred_items)
    for g in gold_items:
        hit = next((p for p in unused if _item_matches(p, g)), None)
        if hit is None:
            return False
        unused.remove(hit)
    return True


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


# -- evidence: does a passage or a cited sentence carry a gold quote? ----------------------------------------------

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})


def normalize_text(text: str) -> str:
    """Whitespace collapsed, curly quotes straightened, case folded - never words changed.

    >>> normalize_text("  \u201cThere is\u00a0a risk\u201d ")
    '"there is a risk"'
    """
    return " ".join(text.translate(_QUOTES).split()).casefold()


def contains(text: str, quote: str) -> bool:
    """``quote`` occurs in ``text`` up to whitespace, quote style and case.

    >>> contains("Nato Secretary-General Jens  Stoltenberg said", "jens stoltenberg")
    True
    """
    return normalize_text(quote) in normalize_text(text)


def overlaps(sentence: str, quote: str, min_chars: int = 20) -> bool:
    """The sentence contains the quote, lies inside it, or shares an edge of at
    least ``min_chars`` characters with it (a quote that runs across two
    sentences supports both). The minimum keeps "the " from counting.

    >>> overlaps("He spoke. Troops died.", "Troops died. Many fled.", min_chars=5)
    True
    >>> overlaps("Nothing in common here.", "Troops died.")
    False
    """
    s, q = normalize_text(sentence), normalize_text(quote)
    if not s or not q:
        return False
    if q in s or s in q:
        return True
    for n in range(min(len(s), len(q)) - 1, min_chars - 1, -1):
        if s.endswith(q[:n]) or q.endswith(s[:n]):
            return True
    return False


# -- retrieval ----------------------------------------------------------------------------------------------------

def recall_at_k(relevance: list[bool], k: int) -> float:
    """1.0 when a relevant passage is in the top ``k``, else 0.0 (DPR's top-k accuracy).

    A gold item's evidence quotes are alternatives - the same fact as each
    article states it - so finding any one of them is enough to answer.

    >>> recall_at_k([False, False, True], k=1), recall_at_k([False, False, True], k=5)
    (0.0, 1.0)
    """
    return float(any(relevance[:k]))


def reciprocal_rank(relevance: list[bool], k: int = 10) -> float:
    """1 / rank of the first relevant passage in the top ``k``, else 0.

    >>> reciprocal_rank([True]), reciprocal_rank([False] * 10 + [True], k=10)
    (1.0, 0.0)
    """
    return next((1.0 / rank for rank, rel in enumerate(relevance[:k], 1) if rel), 0.0)


def ndcg_at_k(relevance: list[bool], k: int, n_relevant: int) -> float | None:
    """Binary-gain nDCG: DCG of the ranking over the DCG of the ideal ranking.

    ``n_relevant`` is how many relevant passages exist in the whole index
    (the ideal ranking puts ``min(n_relevant, k)`` of them first), so a
    relevant passage left out of the ranking lowers the score. None when
    nothing is relevant.

    >>> ndcg_at_k([True], k=10, n_relevant=1), round(ndcg_at_k([True, False], k=10, n_relevant=2), 4)
    (1.0, 0.6131)
    """
    hits = sum(relevance[:k])
    if n_relevant < hits:
        raise ValueError(f"n_relevant={n_relevant} is below the {hits} relevant passages ranked; "
                         "count relevant passages over the whole index.")
    if n_relevant == 0:
        return None
    dcg = sum(1.0 / math.log2(rank + 1) for rank, rel in enumerate(relevance[:k], 1) if rel)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(n_relevant, k) + 1))
    return dcg / ideal


# -- aggregates -----------------------------------------------------------------------------------------------------

def ratio(num: float, den: float) -> float | None:
    """``num / den``, or None when there is nothing to divide by (reported as null, never 0).

    >>> ratio(3, 4), ratio(0, 0)
    (0.75, None)
    """
    return num / den if den else None


def mean(xs) -> float | None:
    """Mean of the values that are not None; None when there are none.

    >>> mean([1.0, None, 0.0]), mean([None])
    (0.5, None)
    """
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def percentile(xs: list[float], q: float) -> float | None:
    """Linear-interpolation percentile (numpy's default method); None for no data.

    >>> percentile([10, 20, 30, 40], 50), percentile([10, 20, 30, 40], 95)
    (25.0, 38.5)
    """
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q must be within 0..100; got {q}.")
    xs = sorted(xs)
    if not xs:
        return None
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return float(xs[lo] + (xs[hi] - xs[lo]) * (pos - lo))


def refusal_scores(refused: list[bool], answerable: list[bool]) -> dict:
    """Precision and recall of refusing, where the positives are unanswerable
    questions; accuracy is over every question. Empty denominators give None."""
    if len(refused) != len(answerable):
        raise ValueError(f"refused has {len(refused)} items but answerable has {len(answerable)}; pass one per question.")
    tp = sum(r and not a for r, a in zip(refused, answerable))
    fp = sum(r and a for r, a in zip(refused, answerable))
    fn = sum(not r and not a for r, a in zip(refused, answerable))
    tn = sum(not r and a for r, a in zip(refused, answerable))
    return {"precision": ratio(tp, tp + fp), "recall": ratio(tp, tp + fn),
            "accuracy": ratio(tp + tn, len(refused)), "tp": tp, "fp": fp, "fn": fn, "tn": tn}
