"""Score fusion for hybrid retrieval: pure numeric functions.

Plain reciprocal rank fusion throws the scores away; measured on SQuAD v2.0
dev it loses to a weighted sum of normalised scores (see benchmarks/), so the
default is a convex combination, in the spirit of txtai's hybrid scoring:

    fused = w_dense * cos(q, chunk) + w_sentence * max_s cos(q, s) + w_lexical * bm25 / max(bm25)

where ``max(bm25)`` is over the candidates being fused (the union of each
store's top hits under the filter), not over the corpus: a store that returns
its top ``k`` can give no global maximum, and a server cannot either. Because
BM25's own best hit is always a candidate, the two agree whenever BM25 found
anything.

Example:
    >>> fuse(np.array([0.5, 0.1]), np.array([0.6, 0.2]), np.array([2.0, 4.0]), Weights(0.5, 0.0, 0.5))
    array([0.5 , 0.55], dtype=float32)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Weights:
    """Weights of the three signals.

    Chosen by grid search (step 0.05) on half of SQuAD v2.0 dev's answerable
    questions, and reported on the other half (benchmarks/bench_retrieval.py):
    the best sentence carries most of the signal and BM25 adds exact names and
    numbers. The chunk's own cosine gets no weight since chunk vectors became
    the mean of their sentences' (rag.index.unit_vectors): it only gathers the
    dense candidates. Held-out half: R@1 0.858, MRR@10 0.907 on the int8 graph
    (0.856 on fp32; chunk texts embedded on their own with the former weights
    0.2 / 0.55 / 0.25: 0.854, 0.907).
    """

    dense: float = 0.0
    sentence: float = 0.7
    lexical: float = 0.3

    def __post_init__(self):
        for name, value in asdict(self).items():
            if not 0 <= value <= 1:
                raise ValueError(f"fusion weight {name} must be in [0, 1]; got {value}.")
        if self.dense + self.sentence + self.lexical == 0:
            raise ValueError("fusion weights are all zero; give at least one signal a positive weight.")


def max_normalize(scores: np.ndarray) -> np.ndarray:
    """Scale non-negative scores into [0, 1] by their maximum.

    >>> max_normalize(np.array([1.0, 4.0, 0.0]))
    array([0.25, 1.  , 0.  ], dtype=float32)
    """
    scores = np.asarray(scores, dtype=np.float32)
    top = float(scores.max()) if scores.size else 0.0
    return scores / top if top > 0 else np.zeros_like(scores)


def fuse(dense: np.ndarray, sentence: np.ndarray, lexical: np.ndarray, weights: Weights) -> np.ndarray:
    """Convex combination of cosine, best-sentence cosine and BM25 scaled by the candidates' maximum."""
    return (weights.dense * np.asarray(dense, dtype=np.float32)
            + weights.sentence * np.asarray(sentence, dtype=np.float32)
            + weights.lexical * max_normalize(lexical)).astype(np.float32)


def rrf(rankings: list[list[int]], k: int = 60) -> dict[int, float]:
    """Reciprocal rank fusion (Cormack et al., SIGIR 2009): sum of 1 / (k + rank).

    Kept as the baseline the benchmark compares against.

    >>> rrf([[3, 1], [1, 2]], k=1)
    {3: 0.5, 1: 0.8333333333333333, 2: 0.3333333333333333}
    """
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused


def cap_per_document(order: list[int], doc_of: list[str], k: int, cap: int) -> list[int]:
    """Top ``k`` of ``order`` with at most ``cap`` items per document, back-filled
    from the overflow when other documents run out (so k results come back
    whenever k candidates exist).

    >>> cap_per_document([0, 1, 2, 3], ["a", "a", "a", "b"], k=3, cap=2)
    [0, 1, 3]
    """
    if cap < 1:
        raise ValueError(f"per-document cap must be at least 1; got {cap}.")
    taken, overflow, count = [], [], {}
    for i in order:
        d = doc_of[i]
        if count.get(d, 0) < cap:
            taken.append(i)
            count[d] = count.get(d, 0) + 1
        else:
            overflow.append(i)
        if len(taken) == k:
            return taken
    chosen = taken + overflow[: k - len(taken)]
    rank = {i: r for r, i in enumerate(order)}
    return sorted(chosen, key=rank.__getitem__)
