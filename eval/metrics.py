"""Metric primitives: pure functions on plain values, each with a worked example.

Retrieval (binary relevance, ranks are 1-based):

    >>> ndcg_at_k([True, False], k=10, n_relevant=1), round(ndcg_at_k([False, True], k=10, n_relevant=1), 4)
    (1.0, 0.6309)
    >>> reciprocal_rank([False, False, True], k=10), recall_at_k([False, True], k=1)
    (0.3333333333333333, 0.0)

Answers (SQuAD EM and F1, values, :func:`~eval.answer_match.correct`) are :mod:`eval.answer_match`.

Refusals, where "positive" means "should refuse" and an empty denominator is None:

    >>> refusal_scores(refused=[True, False, True], answerable=[False, False, True])
    {'precision': 0.5, 'recall': 0.5, 'accuracy': 0.3333333333333333, 'tp': 1, 'fp': 1, 'fn': 1, 'tn': 0}
"""
from __future__ import annotations

import math

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
