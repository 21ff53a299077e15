"""Unit tests for rag.index.vector_index.VectorIndex on small seeded random unit vectors."""
from __future__ import annotations

import doctest

import numpy as np
import pytest

import rag.index.vector_index
from rag.index.vector_index import VectorIndex

KINDS = ["flat", "hnsw", "ivf"]


def unit(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def clustered(n: int, dim: int = 64, clusters: int = 50, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((clusters, dim))
    x = centers[rng.integers(0, clusters, n)] + rng.standard_normal((n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def brute_force(x: np.ndarray, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    scores = q @ x.T
    ids = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, ids, axis=1), ids


def test_docstring_example_runs():
    assert doctest.testmod(rag.index.vector_index).failed == 0


def test_flat_search_matches_numpy_oracle():
    x, q = unit(500), unit(20, seed=1)
    scores, ids = VectorIndex(kind="flat").fit(x).search(q, k=10)
    want_scores, want_ids = brute_force(x, q, 10)
    np.testing.assert_array_equal(ids, want_ids)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-5, atol=1e-6)
    assert scores.dtype == np.float32 and ids.dtype == np.int64


@pytest.mark.parametrize("kind", KINDS)
def test_k_larger_than_n_returns_every_vector(kind):
    x = unit(7)
    scores, ids = VectorIndex(kind=kind).fit(x).search(unit(3, seed=1), k=50)
    assert ids.shape == scores.shape == (3, 7)
    for row in ids:
        assert sorted(row.tolist()) == list(range(7))
    assert np.all(np.diff(scores, axis=1) <= 1e-6)  # best first


@pytest.mark.parametrize("kind", KINDS)
def test_empty_index_gives_empty_results(kind):
    index = VectorIndex(kind=kind).fit(np.empty((0, 16), np.float32))
    assert len(index) == 0 and index.dim == 16
    for got in (index, VectorIndex.from_bytes(index.to_bytes())):
        scores, ids = got.search(unit(2), k=5)
        assert scores.shape == ids.shape == (2, 0)


def test_one_dimensional_query_is_one_row():
    x, q = unit(100), unit(1, seed=1)
    index = VectorIndex().fit(x)
    s1, i1 = index.search(q[0], k=5)
    s2, i2 = index.search(q, k=5)
    assert i1.shape == (1, 5)
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_array_equal(s1, s2)


def test_dim_mismatch_names_both_dims():
    index = VectorIndex().fit(unit(10, dim=16))
    with pytest.raises(ValueError, match="query dim 8 does not match index dim 16"):
        index.search(unit(1, dim=8), k=3)


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.ones(16, np.float32), "2-D"),
        (np.ones((4, 0), np.float32), "dim > 0"),
        (np.array([["a", "b"]]), "2-D float"),
        (np.full((3, 4), np.nan, np.float32), "non-finite"),
        (np.ones((3, 4), np.float32), "norm 2"),
    ],
)
def test_fit_rejects_bad_vectors(bad, match):
    with pytest.raises(ValueError, match=match):
        VectorIndex().fit(bad)


def test_query_with_nan_and_bad_k_are_rejected():
    index = VectorIndex().fit(unit(10))
    q = unit(1)
    q[0, 3] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        index.search(q, k=3)
    for k in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="k must be an integer"):
            index.search(unit(1), k=k)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"kind": "annoy"}, "kind must be one of"),
        ({"approx_kind": "flat"}, "approx_kind must be one of"),
        ({"approx_threshold": -1}, "approx_threshold"),
        ({"hnsw_m": 1}, "hnsw_m"),
        ({"ivf_nprobe": 0}, "ivf_nprobe"),
    ],
)
def test_constructor_validates_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        VectorIndex(**kwargs)


def test_search_before_fit_says_what_to_do():
    with pytest.raises(RuntimeError, match="call fit"):
        VectorIndex().search(unit(1), k=1)


def test_fit_copies_and_exposes_read_only_vectors():
    x = unit(20)
    index = VectorIndex().fit(x)
    x[:] = 0  # the caller's array changing later must not leak into the index
    assert index.vectors.dtype == np.float32 and not index.vectors.flags.writeable
    assert np.allclose(np.linalg.norm(index.vectors, axis=1), 1)


def test_short_approximate_rows_are_filled_exactly():
    # One probe into 50 lists of ~10 vectors cannot reach 100 hits, so faiss
    # pads with -1; search must re-answer those rows exactly.
    x, q = unit(500), unit(5, seed=1)
    index = VectorIndex(kind="ivf", ivf_nlist=50, ivf_nprobe=1).fit(x)
    scores, ids = index.search(q, k=100)
    want_scores, want_ids = brute_force(x, q, 100)
    assert (ids >= 0).all()
    np.testing.assert_array_equal(ids, want_ids)


@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_gives_identical_results(kind):
    data = clustered(2030)
    x, q = data[:2000], data[2000:]
    index = VectorIndex(kind=kind, hnsw_ef_search=48).fit(x)
    loaded = VectorIndex.from_bytes(index.to_bytes())
    assert loaded.kind == kind and len(loaded) == 2000 and loaded.dim == 64
    np.testing.assert_array_equal(loaded.vectors, index.vectors)
    for a, b in zip(index.search(q, k=10), loaded.search(q, k=10)):
        np.testing.assert_array_equal(a, b)
    assert loaded._settings == index._settings


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],
        lambda b: b[:-1],
        lambda b: b"",
        lambda b: b"garbage, not an index",
        lambda b: b.replace(b"rag-vectors v1", b"rag-vectors v9", 1),
        lambda b: b[:200] + bytes([b[200] ^ 0xFF]) + b[201:],
        lambda b: b[:-100] + bytes([b[-100] ^ 0x01]) + b[-99:],
    ],
)
@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_corrupt_blob_raises_value_error(kind, damage):
    blob = VectorIndex(kind=kind).fit(unit(100)).to_bytes()
    with pytest.raises(ValueError, match="corrupt.*rag index"):
        VectorIndex.from_bytes(damage(blob))


@pytest.mark.parametrize("approx_kind", ["hnsw", "ivf"])
def test_auto_switches_to_approximate_above_threshold(approx_kind):
    def fitted(n):
        return VectorIndex(approx_threshold=100, approx_kind=approx_kind).fit(unit(n))

    assert fitted(100).kind == "flat"  # "up to" the threshold stays exact
    assert fitted(101).kind == approx_kind
    assert VectorIndex().fit(unit(100)).kind == "flat"


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_approximate_recall_at_10(kind):
    data = clustered(5200)  # one draw, so the queries share the clusters
    x, q = data[:5000], data[5000:]
    _, exact = VectorIndex(kind="flat").fit(x).search(q, k=10)
    _, approx = VectorIndex(kind=kind).fit(x).search(q, k=10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, approx)])
    assert recall >= 0.9, f"{kind} recall@10 {recall:.3f}"


def test_tune_changes_query_knobs_without_rebuilding():
    x = unit(3000)
    hnsw = VectorIndex(kind="hnsw").fit(x)
    assert hnsw.tune(hnsw_ef_search=16).params["efSearch"] == 16
    ivf = VectorIndex(kind="ivf").fit(x)
    assert ivf.params["nlist"] == 75  # min(2 sqrt(3000) = 110, 3000 // 40 = 75)
    assert ivf.tune(ivf_nprobe=1000).params["nprobe"] == 75  # capped at nlist
    assert VectorIndex(kind="flat").fit(x).params == {}
    with pytest.raises(ValueError, match="hnsw_ef_search must be an integer >= 1; got 0"):
        hnsw.tune(hnsw_ef_search=0)


def test_single_query_thread_pin_is_restored():
    import faiss

    before = faiss.omp_get_max_threads()
    index = VectorIndex().fit(unit(50))
    index.search(unit(1)[0], k=3)
    assert faiss.omp_get_max_threads() == before
    with pytest.raises(ValueError, match="single_query_threads"):
        VectorIndex(single_query_threads=-1)
