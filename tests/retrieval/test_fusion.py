import numpy as np
import pytest

from rag.retrieval.fusion import Weights, cap_per_document, fuse, max_normalize, rrf


def test_fuse_is_the_weighted_sum_with_max_normalised_bm25():
    out = fuse(np.array([0.2, 0.8]), np.array([0.5, 0.1]), np.array([10.0, 5.0]), Weights(0.5, 0.2, 0.3))
    np.testing.assert_allclose(out, [0.5 * 0.2 + 0.2 * 0.5 + 0.3 * 1.0, 0.5 * 0.8 + 0.2 * 0.1 + 0.3 * 0.5], rtol=1e-6)


def test_fuse_normalises_bm25_over_the_candidates_it_receives():
    # The same two chunks score the same relative to each other whatever else the corpus holds:
    # BM25 is divided by the best candidate's score, not by a corpus-wide maximum.
    out = fuse(np.zeros(2), np.zeros(2), np.array([1.0, 2.0]), Weights(0, 0, 1))
    np.testing.assert_allclose(out, [0.5, 1.0])
    wider = fuse(np.zeros(3), np.zeros(3), np.array([1.0, 2.0, 8.0]), Weights(0, 0, 1))
    np.testing.assert_allclose(wider, [0.125, 0.25, 1.0])


def test_an_exact_name_match_outranks_a_vaguely_similar_passage():
    # Passage 1 shares the rare name (high BM25) but is only moderately similar in embedding space.
    out = fuse(np.array([0.55, 0.45]), np.array([0.6, 0.5]), np.array([0.5, 9.0]), Weights())
    assert out.argmax() == 1


def test_zero_bm25_does_not_divide_by_zero():
    assert np.all(np.isfinite(fuse(np.ones(3), np.ones(3), np.zeros(3), Weights())))
    assert max_normalize(np.zeros(3)).tolist() == [0, 0, 0]


def test_weights_are_validated():
    with pytest.raises(ValueError, match="lexical must be in"):
        Weights(0.5, 0.5, 1.5)
    with pytest.raises(ValueError, match="all zero"):
        Weights(0, 0, 0)


def test_rrf_matches_the_formula():
    fused = rrf([[1, 2, 3], [3, 2]], k=60)
    assert fused[2] == pytest.approx(1 / 62 + 1 / 62)
    assert max(fused, key=fused.get) == 3 or max(fused, key=fused.get) == 2


def test_cap_per_document_diversifies_then_backfills():
    docs = ["a", "a", "a", "a", "b", "c"]
    assert cap_per_document([0, 1, 2, 3, 4, 5], docs, k=4, cap=2) == [0, 1, 4, 5]
    # Only one document: the cap would leave slots empty, so the overflow fills them in rank order.
    assert cap_per_document([0, 1, 2, 3], ["a"] * 4, k=3, cap=1) == [0, 1, 2]
    assert cap_per_document([], [], k=3, cap=1) == []
