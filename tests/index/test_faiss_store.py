"""FaissStore: the VectorStore protocol on faiss, by string id, on seeded random unit vectors."""
from __future__ import annotations

import numpy as np
import pytest

from rag.index.faiss_store import FaissStore
from rag.index.protocols import CHUNKS, SENTENCES, Filter, VectorStore

DIM = 16


def unit(n, seed=0, dim=DIM):
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def filled(kind="flat", n=60):
    """``n`` vectors c0..c{n-1}: doc d{i % 6}, dated 2020-0{1 + i % 6}-15 (doc d5 has no date)."""
    store = FaissStore(dim=DIM, kind=kind, hnsw_m=8)
    x = unit(n)
    payloads = [{"doc_id": f"d{i % 6}", "date": "" if i % 6 == 5 else f"2020-0{1 + i % 6}-15"} for i in range(n)]
    store.upsert(CHUNKS, [f"c{i}" for i in range(n)], x, payloads)
    return store, x, payloads


def brute_force(x, q, admitted, k):
    scores = x @ q
    order = [i for i in np.argsort(-scores, kind="stable") if admitted[i]][:k]
    return [f"c{i}" for i in order], scores[order]


def test_it_satisfies_the_protocol():
    assert isinstance(FaissStore(dim=4), VectorStore)


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_search_returns_ids_and_payloads_in_score_order(kind):
    store, x, payloads = filled(kind)
    q = unit(1, seed=1)[0]
    hits = store.search(CHUNKS, q, 5)
    want_ids, want_scores = brute_force(x, q, [True] * len(x), 5)
    assert [h.id for h in hits] == want_ids
    np.testing.assert_allclose([h.score for h in hits], want_scores, rtol=1e-5)
    assert hits[0].payload == payloads[int(want_ids[0][1:])]


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
@pytest.mark.parametrize("where", [
    Filter(doc_ids=frozenset({"d2"})),
    Filter(doc_ids=frozenset({"d1", "d4"}), date_to="2020-03-01"),
    Filter(date_from="2020-03-01", date_to="2020-05-31"),
    Filter(date_from="2020-01-01"),  # d5 has no date: never admitted by a date filter
])
def test_filters_are_applied_before_the_top_k_is_cut(kind, where):
    store, x, payloads = filled(kind)
    q = unit(1, seed=2)[0]
    admitted = [where.admits(p) for p in payloads]
    hits = store.search(CHUNKS, q, 4, where=where)
    assert [h.id for h in hits] == brute_force(x, q, admitted, 4)[0]
    assert all(where.admits(h.payload) for h in hits)


def test_a_filter_that_admits_nothing_returns_nothing():
    store, _, _ = filled()
    assert store.search(CHUNKS, unit(1)[0], 5, where=Filter(doc_ids=frozenset({"nope"}))) == []
    assert store.search(SENTENCES, unit(1)[0], 5) == []  # an empty collection


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_delete_removes_only_the_given_ids(kind):
    store, x, _ = filled(kind)
    gone = [f"c{i}" for i in range(0, 60, 6)]  # every chunk of d0
    store.delete(CHUNKS, gone + ["never-stored"])
    assert store.count(CHUNKS) == 50 and not store.ids(CHUNKS) & set(gone)
    q = x[0]  # c0's own vector: it would be the top hit if it were still there
    hits = store.search(CHUNKS, q, 50)
    assert len(hits) == 50 and not {h.id for h in hits} & set(gone)
    assert store.search(CHUNKS, q, 5, where=Filter(doc_ids=frozenset({"d0"}))) == []
    np.testing.assert_allclose(store.score(CHUNKS, q, ["c1", "c7"]), x[[1, 7]] @ q, rtol=1e-5)


def test_upsert_replaces_the_vector_and_payload_of_a_known_id():
    store, x, _ = filled()
    new = unit(1, seed=9)
    store.upsert(CHUNKS, ["c3"], new, [{"doc_id": "d9", "date": "2021-01-01"}])
    assert store.count(CHUNKS) == 60
    assert store.search(CHUNKS, new[0], 1)[0].id == "c3"
    assert [h.id for h in store.search(CHUNKS, new[0], 3, where=Filter(doc_ids=frozenset({"d9"})))] == ["c3"]
    assert store.search(CHUNKS, x[3], 3, where=Filter(doc_ids=frozenset({"d3"})))[0].id != "c3"


def test_score_reads_the_stored_vectors_in_the_given_order():
    store, x, _ = filled()
    q = unit(1, seed=3)[0]
    np.testing.assert_allclose(store.score(CHUNKS, q, ["c9", "c2", "c40"]), x[[9, 2, 40]] @ q, rtol=1e-5)
    assert store.score(CHUNKS, q, []).shape == (0,)
    with pytest.raises(KeyError, match="'c999' is not in this collection"):
        store.score(CHUNKS, q, ["c1", "c999"])


def test_collections_are_separate():
    store, x, _ = filled(n=12)
    store.upsert(SENTENCES, ["s1"], x[:1], [{"doc_id": "d0", "date": "", "chunk_id": "c0"}])
    assert store.count(CHUNKS) == 12 and store.count(SENTENCES) == 1 and len(store) == 13
    assert store.search(SENTENCES, x[5], 5)[0].payload["chunk_id"] == "c0"
    with pytest.raises(KeyError):
        store.score(SENTENCES, x[0], ["c0"])


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_persistence_round_trip_keeps_ids_payloads_filters_and_deletions(kind):
    store, x, _ = filled(kind)
    store.delete(CHUNKS, ["c0", "c6"])
    loaded = FaissStore.from_files(store.to_files())
    q = unit(1, seed=4)[0]
    where = Filter(date_from="2020-02-01")
    assert loaded.kind(CHUNKS) == kind and loaded.ids(CHUNKS) == store.ids(CHUNKS)
    assert [h.id for h in loaded.search(CHUNKS, q, 7, where=where)] == [h.id for h in store.search(CHUNKS, q, 7, where=where)]
    np.testing.assert_array_equal(loaded.score(CHUNKS, q, ["c1", "c5"]), store.score(CHUNKS, q, ["c1", "c5"]))
    loaded.upsert(CHUNKS, ["new"], unit(1, seed=5), [{"doc_id": "d0"}])  # labels continue, no clash
    assert loaded.count(CHUNKS) == 59 and loaded.search(CHUNKS, unit(1, seed=5)[0], 1)[0].id == "new"


def test_no_second_copy_of_the_vectors_is_kept():
    """The store holds faiss indexes and maps, not a numpy matrix beside them."""
    store, _, _ = filled(n=40)
    arrays = [v for c in store._collections.values() for v in vars(c).values() if isinstance(v, np.ndarray)]
    assert arrays == []


def test_hnsw_tombstones_are_compacted_when_they_outnumber_the_living():
    store = FaissStore(dim=DIM, kind="hnsw", hnsw_m=8)
    x = unit(2500)
    store.upsert(CHUNKS, [f"c{i}" for i in range(2500)], x, [{"doc_id": "d"}] * 2500)
    store.delete(CHUNKS, [f"c{i}" for i in range(1300)])
    collection = store._collections[CHUNKS]
    assert collection.tombstones == set() and collection.index.ntotal == 1200
    assert store.search(CHUNKS, x[2000], 1)[0].id == "c2000"


@pytest.mark.parametrize("bad, match", [
    (np.ones((2, DIM), np.float32), "norm 4"),
    (np.full((1, DIM), np.nan, np.float32), "norm nan"),
    (unit(2, dim=8), r"shape \(n, 16\)"),
])
def test_bad_vectors_are_refused_naming_the_fix(bad, match):
    with pytest.raises(ValueError, match=match):
        FaissStore(dim=DIM).upsert(CHUNKS, [f"x{i}" for i in range(len(bad))], bad, [{}] * len(bad))


def test_bad_calls_are_refused():
    store, x, _ = filled(n=6)
    with pytest.raises(ValueError, match="unknown collection 'chunk'"):
        store.search("chunk", x[0], 1)
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        store.search(CHUNKS, x[0], 0)
    with pytest.raises(ValueError, match="same id twice"):
        store.upsert(CHUNKS, ["a", "a"], x[:2], [{}, {}])
    with pytest.raises(ValueError, match="one vector and one payload per id"):
        store.upsert(CHUNKS, ["a"], x[:2], [{}, {}])


def test_hnsw_filters_go_through_the_graph_walk_with_a_selector(monkeypatch):
    """Above EXACT_LIMIT admitted vectors an HNSW search runs in faiss with an IDSelector."""
    from rag.index import faiss_collection

    monkeypatch.setattr(faiss_collection, "EXACT_LIMIT", 0)
    store, x, payloads = filled("hnsw", n=300)
    store.delete(CHUNKS, ["c2", "c8"])  # tombstones must stay out too
    where = Filter(doc_ids=frozenset({"d2", "d3"}))
    q = unit(1, seed=6)[0]
    admitted = [where.admits(p) and i not in (2, 8) for i, p in enumerate(payloads)]
    assert [h.id for h in store.search(CHUNKS, q, 10, where=where)] == brute_force(x, q, admitted, 10)[0]
    assert {h.id for h in store.search(CHUNKS, x[2], 298)}.isdisjoint({"c2", "c8"})


def maps(c):
    return dict(c.label_of), dict(c.id_of), dict(c.payload), c.tombstones, c.next_label


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_the_id_columns_restore_the_maps_the_row_per_item_layout_does(kind):
    """The id map is written as columns now; a file of the former layout (one row per item) still loads, alike."""
    import faiss

    from rag.index.faiss_collection import Collection

    store, x, payloads = filled(kind)
    store.delete(CHUNKS, ["c3", "c7"])
    c = store._collections[CHUNKS]
    state = c.state()
    assert {"labels", "ids", "payloads", "payload_of"} <= set(state) and len(state["payloads"]) == 6
    rows = {**state, "items": [[label, c.id_of[label], c.payload[label]] for label in sorted(c.id_of)]}
    copy = lambda: faiss.deserialize_index(faiss.serialize_index(c.index))  # noqa: E731
    columns = Collection.restore(copy(), state, DIM, store.settings)
    former = Collection.restore(copy(), rows, DIM, store.settings)
    assert maps(columns) == maps(former) == maps(c)
    assert columns.payload[0] is columns.payload[6] and former.payload[0] is former.payload[6]  # one object each
    q = unit(1, seed=9)[0]
    assert columns.search(q[None], 5, Filter(doc_ids={"d1"}))[0].tolist() == \
        c.search(q[None], 5, Filter(doc_ids={"d1"}))[0].tolist()


@pytest.mark.parametrize("layout", ["cols", "json"])
@pytest.mark.parametrize("damage", [
    lambda s: s.update(ids=s["ids"][:-1]), lambda s: s.update(payload_of=[-1] * len(s["labels"])),
    lambda s: s.update(payload_of=[99] * len(s["labels"])), lambda s: s.update(labels=[0] * len(s["labels"])),
    lambda s: s.update(payloads=["doc"] * 6), lambda s: s.update(labels=[x + 0.5 for x in s["labels"]])])
def test_id_columns_that_do_not_fit_together_are_named(damage, layout):
    """Whether the id map is a columns file (format 4) or JSON (format 3, still read)."""
    import json

    from rag.index.columns import encode, pack_texts
    from rag.index.faiss_store import _decode_state

    store, _, _ = filled()
    files = store.to_files()
    state = _decode_state(files.pop("chunks.ids.cols"))
    damage(state)
    if layout == "json":
        files["chunks.ids.json"] = json.dumps(state).encode()
    else:  # the columns as written, but for the damage (labels of a float dtype included)
        arrays = {"labels": np.array(state["labels"]), "payload_of": np.array(state["payload_of"], np.int32),
                  "tombstones": np.array(state["tombstones"], np.int64), **pack_texts("id", state["ids"])}
        files["chunks.ids.cols"] = encode(arrays, {k: state[k] for k in ("kind", "next_label", "payloads")})
    with pytest.raises(ValueError, match=f"chunks.ids.{layout} cannot be read"):
        FaissStore.from_files(files)


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
@pytest.mark.parametrize("file_removed", [False, True])
def test_a_memory_mapped_collection_is_copied_before_its_first_change(tmp_path, kind, file_removed):
    """faiss aborts the process when a mapped index changes; the collection copies it first (from the
    file, or from the mapping when the file is gone), or for HNSW holds new vectors in an overlay until it
    is saved whole, and answers as a store that was never saved."""
    from rag.index.generations import live_generation, read_generation, write_generation

    store, x, payloads = filled(kind, n=300)
    write_generation(tmp_path, store.to_files())
    loaded = FaissStore.from_files(read_generation(tmp_path, as_paths=(".faiss",)))
    c = loaded._collections[CHUNKS]
    assert c.mapped_from is not None and c.mapped_from.parent == live_generation(tmp_path)
    q = unit(1, seed=5)[0]
    assert loaded.search(CHUNKS, q, 7) == store.search(CHUNKS, q, 7)  # read straight from the mapping
    if file_removed:
        c.mapped_from.unlink()
    for s in (store, loaded):
        s.delete(CHUNKS, ["c1", "c2", "c40"])
        s.upsert(CHUNKS, ["c2", "new"], unit(2, seed=8), [{"doc_id": "d9"}, {"doc_id": "d9"}])
    # flat is copied; an HNSW graph stays mapped, the two new vectors beside it in an exact overlay
    assert (c.mapped_from is None) == (kind == "flat") and (c.overlay is not None) == (kind == "hnsw")
    for state in ("changed", "saved whole and loaded again"):
        assert loaded.search(CHUNKS, q, 7) == store.search(CHUNKS, q, 7)
        assert loaded.search(CHUNKS, q, 7, where=Filter(doc_ids={"d9"})) == store.search(CHUNKS, q, 7,
                                                                                        where=Filter(doc_ids={"d9"}))
        assert np.array_equal(loaded.score(CHUNKS, q, ["c2", "c3"]), store.score(CHUNKS, q, ["c2", "c3"]))
        files = loaded.to_files()  # whole: the overlay joins the graph, copied from the file or the mapping
        assert c.overlay is None and (c.mapped_from is None) == (state == "changed")  # an unchanged one stays mapped
        write_generation(tmp_path, files)
        loaded = FaissStore.from_files(read_generation(tmp_path, as_paths=(".faiss",)))
        c = loaded._collections[CHUNKS]
