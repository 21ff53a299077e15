"""New vectors of a memory-mapped HNSW graph, held beside it in a small exact index (issue 14: updates).

faiss aborts when a mapped index changes, so a change used to copy the graph into memory first:
bench_open's 236 MB of sentence graph, read again (0.13 s) and grown by one vector (its storage
reallocated, ~0.15 s), on every update and on every open after one (which replays the update's delta).
Instead the vectors added to a mapped graph go to an :class:`Overlay` (an ``IndexIDMap2`` over an exact
``IndexFlatIP``) under labels from ``first`` on, all above the graph's. A search reads both and keeps the
best (:func:`best`); a deleted overlay vector leaves the overlay (the graph's deleted ones are tombstones);
a save that writes the collection whole puts them into the graph
(:meth:`~rag.index.faiss_collection.Collection.owned`).

Example:
    >>> import numpy as np
    >>> o = Overlay(2, first=10); o.index.add_with_ids(np.eye(2, dtype=np.float32), np.array([10, 11]))
    >>> labels, scores = o.search(np.array([[0.0, 1.0]], np.float32), 1, None); labels.tolist(), scores.tolist()
    ([11], [1.0])
    >>> o.mine(np.array([3, 11])).tolist(), o.remove([11, 4]), len(o)
    ([False, True], [4], 1)
"""
from __future__ import annotations

import faiss
import numpy as np


class Overlay:
    """Vectors under labels ``first`` and above, searched exactly; see the module docstring."""

    def __init__(self, dim: int, first: int) -> None:
        self.index, self.first = faiss.IndexIDMap2(faiss.IndexFlatIP(dim)), first

    def __len__(self) -> int:
        return self.index.ntotal

    def mine(self, labels: np.ndarray) -> np.ndarray:
        """Which of ``labels`` (int64) are the overlay's."""
        return labels >= self.first

    def remove(self, labels: list[int]) -> list[int]:
        """Remove the overlay's own of ``labels``; returns the others (the graph's, to tombstone)."""
        mine = [label for label in labels if label >= self.first]
        if mine:
            self.index.remove_ids(faiss.IDSelectorBatch(np.array(mine, np.int64)))
        return [label for label in labels if label < self.first]

    def search(self, q: np.ndarray, k: int, subset: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Labels and scores of the best ``k`` vectors for one query row (those in ``subset`` when given)."""
        if not len(self):
            return np.empty(0, np.int64), np.empty(0, np.float32)
        params = None if subset is None else faiss.SearchParameters(sel=faiss.IDSelectorBatch(subset))
        scores, labels = self.index.search(q, min(k, len(self)), params=params)
        hit = labels[0] >= 0
        return labels[0][hit].astype(np.int64), scores[0][hit].astype(np.float32)

    def drain(self) -> tuple[np.ndarray, np.ndarray]:
        """``(vectors, labels)`` of every vector held, for the graph to take."""
        labels = faiss.vector_to_array(self.index.id_map).astype(np.int64)
        return self.index.index.reconstruct_n(0, len(self)), labels


def best(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best of two ``(labels, scores)`` results; on equal scores ``a``'s first (as one index's rows)."""
    labels, scores = np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]])
    top = np.argsort(-scores, kind="stable")[:k]
    return labels[top], scores[top]
