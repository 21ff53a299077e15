"""Bm25Index: the LexicalIndex protocol on bm25s, by id, with filters and persistence."""
from __future__ import annotations

import numpy as np
import pytest

from rag.index.bm25 import Bm25Index
from rag.index.protocols import Filter, LexicalIndex

TEXTS = {
    "t1": ("a", "2020-01-10", "The frigate Admiral Makarov sailed from Sevastopol towards the Aegean Sea."),
    "t2": ("a", "2020-01-10", "Russian officials said the frigate carried cruise missiles."),
    "t3": ("b", "2020-02-27", "Thirty-three Turkish soldiers were killed in an air strike in Idlib."),
    "t4": ("b", "2020-02-27", "Turkey called an emergency meeting after the soldiers died."),
    "t5": ("c", "", "A market in the old town sold oranges and lemons."),
}


@pytest.fixture
def bm():
    index = Bm25Index()
    ids = list(TEXTS)
    index.upsert(ids, [TEXTS[i][2] for i in ids], [{"doc_id": TEXTS[i][0], "date": TEXTS[i][1]} for i in ids])
    return index


def reference_scores(index: Bm25Index, query: str) -> dict[str, float]:
    """bm25s's own get_scores over every text, the slow path the index avoids."""
    import bm25s
    from bm25s.tokenization import Tokenized

    ref = bm25s.BM25(**index.settings)
    ref.index(Tokenized(ids=[t.tolist() for t in index._tokens.values()], vocab=dict(index._vocab)),
              show_progress=False)
    terms = [t for t in index.terms(query) if t in index._vocab]
    return dict(zip(index._tokens, ref.get_scores(terms).tolist()))


def test_it_satisfies_the_protocol(bm):
    assert isinstance(bm, LexicalIndex) and len(bm) == 5


def test_top_k_matches_bm25s_over_the_whole_collection(bm):
    query = "Turkish soldiers frigate"
    want = sorted(((s, i) for i, s in reference_scores(bm, query).items() if s > 0), key=lambda x: -x[0])
    hits = bm.search(query, k=3)
    assert [h.id for h in hits] == [i for _, i in want[:3]]
    np.testing.assert_allclose([h.score for h in hits], [s for s, _ in want[:3]], rtol=1e-5)
    assert hits[0].payload["doc_id"] in {"a", "b"}


def test_only_texts_sharing_a_term_are_returned(bm):
    assert {h.id for h in bm.search("oranges", k=10)} == {"t5"}
    assert bm.search("how many did", k=10) == []  # question words and stop words only


def test_filters_apply_before_the_cut(bm):
    assert [h.id for h in bm.search("frigate soldiers", k=1, where=Filter(doc_ids=frozenset({"b"})))] in (["t3"], ["t4"])
    dated = bm.search("frigate soldiers oranges", k=10, where=Filter(date_from="2020-02-01"))
    assert {h.id for h in dated} == {"t3", "t4"}  # t5 has no date, the frigate texts are too early
    assert bm.search("frigate", k=5, where=Filter(doc_ids=frozenset({"c"}))) == []


def test_a_repeated_query_term_counts_twice_as_in_bm25s(bm):
    once, twice = bm.score("frigate", ["t1"])[0], bm.score("frigate frigates", ["t1"])[0]
    assert twice == pytest.approx(2 * once) and reference_scores(bm, "frigate frigates")["t1"] == pytest.approx(twice)


def test_score_gives_the_bm25_of_any_ids_in_their_order(bm):
    query = "frigate Turkish"
    ref = reference_scores(bm, query)
    np.testing.assert_allclose(bm.score(query, ["t5", "t3", "t1"]), [ref["t5"], ref["t3"], ref["t1"]], rtol=1e-5)
    with pytest.raises(KeyError, match="'t9' is not in the lexical index"):
        bm.score(query, ["t1", "t9"])


def test_terms_is_the_public_analyser(bm):
    assert bm.terms("How many soldiers did the strike kill?") == ["soldier", "strike", "kill"]
    assert bm.terms_many(["Frigates sailed", ""]) == [["frigat", "sail"], []]


def test_delete_and_upsert_change_the_statistics(bm):
    bm.delete(["t3", "t4", "unknown"])
    assert len(bm) == 3 and bm.search("soldiers", k=5) == []
    bm.upsert(["t1"], ["Soldiers marched."], [{"doc_id": "a", "date": "2020-01-10"}])
    assert [h.id for h in bm.search("soldiers", k=5)] == ["t1"]
    assert bm.search("Sevastopol", k=5) == []  # the replaced text is gone
    ref = reference_scores(bm, "soldiers frigate")
    np.testing.assert_allclose(bm.score("soldiers frigate", ["t1", "t2"]), [ref["t1"], ref["t2"]], rtol=1e-5)


def test_persistence_round_trip_does_not_refit(bm, monkeypatch):
    files = bm.to_files()
    import bm25s

    def no_refit(*args, **kwargs):
        raise AssertionError("a load must not refit BM25")

    monkeypatch.setattr(bm25s.BM25, "index", no_refit)
    loaded = Bm25Index.from_files(files)
    for query in ("Turkish soldiers", "frigate missiles", "lemons"):
        assert [(h.id, h.score, dict(h.payload)) for h in loaded.search(query, k=5)] == \
               [(h.id, h.score, dict(h.payload)) for h in bm.search(query, k=5)]
    monkeypatch.undo()
    loaded.upsert(["t6"], ["More soldiers arrived."], [{"doc_id": "d"}])  # the stored terms allow updates
    assert "t6" in {h.id for h in loaded.search("soldiers", k=5)}


def test_an_empty_index_searches_and_saves():
    empty = Bm25Index()
    assert empty.search("anything", k=3) == [] and len(Bm25Index.from_files(empty.to_files())) == 0


def test_damaged_files_are_named():
    files = Bm25Index().to_files()
    with pytest.raises(ValueError, match="bm25.json cannot be read"):
        Bm25Index.from_files({**files, "bm25.json": b"{}"})
    with pytest.raises(ValueError, match="bm25.npz cannot be read"):
        Bm25Index.from_files({**files, "bm25.npz": b"garbage"})


def test_bad_arguments_are_refused(bm):
    with pytest.raises(ValueError, match="k1 >= 0"):
        Bm25Index(k1=-1)
    with pytest.raises(ValueError, match="one text and one payload per id"):
        bm.upsert(["x"], ["a", "b"], [{}])
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        bm.search("frigate", k=0)
