"""rag.index.faiss_overlay: an update's vectors beside a mapped graph (the graph's side is in test_faiss_delta.py)."""
import numpy as np

from rag.index.faiss_overlay import Overlay, best


def unit(rows):
    v = np.array(rows, np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_search_is_exact_and_keeps_to_the_subset():
    o = Overlay(3, first=100)
    o.index.add_with_ids(unit([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0]]), np.array([100, 101, 102]))
    q = unit([[1, 0, 0]])
    labels, scores = o.search(q, 2, None)
    assert labels.tolist() == [100, 101] and scores[0] == np.float32(1.0) and scores[0] > scores[1]
    labels, _ = o.search(q, 5, np.array([102], np.int64))  # a filter: only the subset's labels come back
    assert labels.tolist() == [102]
    assert o.search(q, 3, np.array([7], np.int64))[0].tolist() == []  # nothing of the overlay's in the subset


def test_an_empty_overlay_answers_nothing_and_removal_hands_back_the_graphs_labels():
    o = Overlay(2, first=10)
    assert [a.tolist() for a in o.search(unit([[1, 0]]), 3, None)] == [[], []]
    o.index.add_with_ids(unit([[1, 0], [0, 1]]), np.array([10, 11]))
    assert o.remove([3, 10, 9]) == [3, 9] and len(o) == 1  # 3 and 9 are the graph's: it tombstones them
    vectors, labels = o.drain()
    assert labels.tolist() == [11] and np.allclose(vectors, unit([[0, 1]]))


def test_best_merges_two_results_and_prefers_the_first_on_ties():
    graph = (np.array([1, 2]), np.array([0.9, 0.5], np.float32))
    overlay = (np.array([10, 11]), np.array([0.9, 0.7], np.float32))
    labels, scores = best(graph, overlay, 3)
    assert labels.tolist() == [1, 10, 11] and scores.tolist() == [np.float32(0.9), np.float32(0.9), np.float32(0.7)]
