"""The store contract, run against every implementation: FAISS + bm25s in process,
and Milvus Lite (an embedded Milvus in tmp_path) with BM25 inside the engine.

Same ids, same filters, same payloads (offsets included), same updates: a
retriever on either store sees the same thing.
"""
from __future__ import annotations

import numpy as np
import pytest

from rag.index.protocols import CHUNKS, SENTENCES, Filter, LexicalIndex, VectorStore

DIM = 8


def unit(*rows) -> np.ndarray:
    x = np.asarray(rows, np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def basis(i: int, j: int | None = None, w: float = 0.0) -> list[float]:
    """Unit vector along axis i, tilted by w toward axis j."""
    v = [0.0] * DIM
    v[i] = 1.0
    if j is not None:
        v[j] = w
    return v


@pytest.fixture(params=["faiss", "milvus-lite"])
def stores(request, tmp_path):
    """(VectorStore, LexicalIndex) of one kind, empty."""
    if request.param == "faiss":
        from rag.index.bm25 import Bm25Index
        from rag.index.faiss_store import FaissStore

        yield FaissStore(dim=DIM), Bm25Index()
        return
    from rag.index.milvus_store import MilvusLexical, MilvusStore

    store = MilvusStore.open(f"milvus-lite:{tmp_path}/stores.db", manifest={"model": "test", "dim": DIM})
    yield store, MilvusLexical(store.session)
    store.close()


@pytest.fixture
def vectors(stores):
    return stores[0]


@pytest.fixture
def lexical(stores):
    return stores[1]


# Three articles: a (2020), b (2021), c (no date). Chunk offsets ride in the payload.
PAYLOADS = [{"doc_id": "a", "date": "2020-03-01", "start": "0", "end": "120"},
            {"doc_id": "a", "date": "2020-03-01", "start": "100", "end": "230"},
            {"doc_id": "b", "date": "2021-07-15", "start": "0", "end": "80"},
            {"doc_id": "c", "start": "5", "end": "60"}]
IDS = ["a#0", "a#1", "b#0", "c#0"]
VECTORS = unit(basis(0), basis(0, 1, 0.5), basis(1), basis(0, 2, 0.2))
TEXTS = ["Frigates sailed from the harbour at dawn.", "The admiral said the frigates would return.",
         "Farmers harvested wheat in the valley.", "A frigate and a tanker collided near the port."]


def test_both_satisfy_the_protocols(vectors, lexical):
    assert isinstance(vectors, VectorStore) and isinstance(lexical, LexicalIndex)


def test_search_ranks_by_inner_product_and_returns_payloads_with_offsets(vectors):
    vectors.upsert(CHUNKS, IDS, VECTORS, PAYLOADS)
    hits = vectors.search(CHUNKS, unit(basis(0))[0], k=3)
    assert [h.id for h in hits] == ["a#0", "c#0", "a#1"]
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert hits[0].score > hits[1].score > hits[2].score
    assert dict(hits[2].payload) == PAYLOADS[1]
    assert dict(hits[1].payload) == PAYLOADS[3]  # no date stays no date
    assert vectors.count(CHUNKS) == 4 and vectors.count(SENTENCES) == 0 and len(vectors) == 4


def test_filters_run_before_the_top_k_is_cut(vectors):
    vectors.upsert(CHUNKS, IDS, VECTORS, PAYLOADS)
    q = unit(basis(0))[0]  # b#0 is the worst match: it must still come back when it is all that is allowed
    assert [h.id for h in vectors.search(CHUNKS, q, k=1, where=Filter(doc_ids={"b"}))] == ["b#0"]
    assert {h.id for h in vectors.search(CHUNKS, q, k=4, where=Filter(doc_ids={"a", "c"}))} == {"a#0", "a#1", "c#0"}
    assert vectors.search(CHUNKS, q, k=4, where=Filter(doc_ids=frozenset())) == []


@pytest.mark.parametrize("where, expected", [
    (Filter(date_from="2021-01-01"), {"b#0"}),
    (Filter(date_to="2020-12-31"), {"a#0", "a#1"}),            # c has no date: no date range admits it
    (Filter(date_from="2020-03-01", date_to="2020-03-01"), {"a#0", "a#1"}),  # both ends inclusive
    (Filter(doc_ids={"a", "b"}, date_from="2021-01-01"), {"b#0"}),
    (Filter(date_from="2022-01-01"), set()),
])
def test_date_filters_match_the_filter_definition(vectors, where, expected):
    vectors.upsert(CHUNKS, IDS, VECTORS, PAYLOADS)
    got = {h.id for h in vectors.search(CHUNKS, unit(basis(0))[0], k=10, where=where)}
    assert got == expected == {i for i, p in zip(IDS, PAYLOADS) if where.admits(p)}


def test_upsert_replaces_by_id_and_delete_removes_only_the_given_ids(vectors):
    vectors.upsert(CHUNKS, IDS, VECTORS, PAYLOADS)
    vectors.upsert(CHUNKS, ["b#0"], unit(basis(0)), [{"doc_id": "b", "date": "2021-08-01", "start": "9", "end": "19"}])
    assert vectors.count(CHUNKS) == 4
    top = vectors.search(CHUNKS, unit(basis(0))[0], k=1, where=Filter(doc_ids={"b"}))[0]
    assert top.score == pytest.approx(1.0, abs=1e-5) and top.payload["date"] == "2021-08-01"
    vectors.delete(CHUNKS, ["a#0", "never-stored"])
    assert vectors.count(CHUNKS) == 3
    assert "a#0" not in {h.id for h in vectors.search(CHUNKS, unit(basis(0))[0], k=10)}
    vectors.delete(CHUNKS, ["a#0"])  # replaying a delete is harmless
    assert vectors.count(CHUNKS) == 3


def test_score_reads_stored_vectors_in_the_given_order(vectors):
    vectors.upsert(CHUNKS, IDS, VECTORS, PAYLOADS)
    q = unit(basis(0, 1, 1.0))[0]
    np.testing.assert_allclose(vectors.score(CHUNKS, q, ["b#0", "a#0"]), VECTORS[[2, 0]] @ q, atol=1e-5)
    with pytest.raises(KeyError, match="nope"):
        vectors.score(CHUNKS, q, ["a#0", "nope"])


def test_collections_are_separate(vectors):
    vectors.upsert(CHUNKS, IDS[:2], VECTORS[:2], PAYLOADS[:2])
    vectors.upsert(SENTENCES, ["s1"], VECTORS[2:3], [{"doc_id": "b", "chunk_id": "b#0"}])
    assert [h.id for h in vectors.search(SENTENCES, unit(basis(0))[0], k=5)] == ["s1"]
    assert vectors.search(SENTENCES, unit(basis(1))[0], k=1)[0].payload["chunk_id"] == "b#0"
    assert vectors.count(CHUNKS) == 2 and len(vectors) == 3


def test_bad_vectors_are_refused_naming_the_problem(vectors):
    with pytest.raises(ValueError, match="norm"):
        vectors.upsert(CHUNKS, ["x"], np.full((1, DIM), 3.0, np.float32), [{"doc_id": "a"}])
    with pytest.raises(ValueError):
        vectors.upsert(CHUNKS, ["x"], unit(basis(0))[:, :4], [{"doc_id": "a"}])
    assert vectors.count(CHUNKS) == 0


def test_lexical_search_filters_updates_and_scores(lexical):
    lexical.upsert(IDS, TEXTS, PAYLOADS)
    assert len(lexical) == 4
    hits = lexical.search("frigates", k=10)
    assert {h.id for h in hits} == {"a#0", "a#1", "c#0"} and all(h.score > 0 for h in hits)
    assert lexical.search("wheat harvest", k=10)[0].id == "b#0"
    assert lexical.search("frigates", k=10, where=Filter(date_from="2020-01-01")) and \
        {h.id for h in lexical.search("frigates", k=10, where=Filter(date_from="2020-01-01"))} == {"a#0", "a#1"}
    assert lexical.search("the of and", k=5) == []  # stop words only: no terms
    assert lexical.terms("The Frigates sailed") == ["frigat", "sail"]
    scores = lexical.score("frigates", ["b#0", "a#0"])
    assert scores[0] == 0 and scores[1] == pytest.approx(next(h.score for h in hits if h.id == "a#0"), rel=1e-4)
    with pytest.raises(KeyError, match="missing"):
        lexical.score("frigates", ["missing"])
    lexical.upsert(["b#0"], ["Frigates in the valley"], [PAYLOADS[2]])
    lexical.delete(["a#0", "unknown"])
    assert {h.id for h in lexical.search("frigates", k=10)} == {"a#1", "b#0", "c#0"} and len(lexical) == 3
