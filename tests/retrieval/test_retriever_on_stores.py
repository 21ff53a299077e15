"""Retrieval end to end on each store: FAISS + bm25s in the index folder, and Milvus Lite
(vectors and BM25 inside the engine) chosen with ``store=``, as ``--store`` does.

Each test runs on both; the last one checks the two give the same passages."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FakeEmbedder
from rag.index.open_index import open_index
from rag.retrieval.retriever import Retriever

QUESTION = "What did Turkey threaten to do in Idlib?"


@pytest.fixture(params=["faiss", "milvus-lite"])
def store(request, tmp_path):
    return "faiss" if request.param == "faiss" else f"milvus-lite:{tmp_path}/store.db"


def opened(corpus: Path, store: str, tmp_path: Path, **kwargs):
    index, status = open_index(corpus, embedder=FakeEmbedder(), index_dir=tmp_path / "ix", store=store, **kwargs)
    return Retriever(index, FakeEmbedder()), status


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_passages_cite_exact_offsets(seeds_copy, store, tmp_path, mode):
    retriever, status = opened(seeds_copy, store, tmp_path)
    assert status == "built"
    passages = retriever.search(QUESTION, k=5, mode=mode)
    assert passages
    for p in passages:
        text = Path(seeds_copy / Path(p.source_path).name).read_text(encoding="utf-8")
        assert text[p.start:p.end] == p.text
        for s in p.sentences:
            assert text[s.start:s.end] == s.text


def test_filters_reach_the_store(seeds_copy, store, tmp_path):
    retriever, _ = opened(seeds_copy, store, tmp_path)
    docs = retriever.index.docs
    one = docs[-1].id
    assert {p.doc_id for p in retriever.search(QUESTION, k=5, doc_ids=[one])} == {one}
    dated = sorted(d.date for d in docs if d.date)
    got = retriever.search(QUESTION, k=10, date_from=dated[-1])
    assert got and all(p.date and p.date >= dated[-1] for p in got)


def test_update_load_and_rebuild(seeds_copy, store, tmp_path):
    _, status = opened(seeds_copy, store, tmp_path)
    article = next(seeds_copy.glob("*.txt"))
    article.write_text(article.read_text(encoding="utf-8") + "\nGrain exports through the Bosporus resumed "
                       "after the quinoa-trade talks.\n", encoding="utf-8")
    retriever, status = opened(seeds_copy, store, tmp_path)
    assert status == "updated" and retriever.index.stats.reused_documents == len(retriever.index.docs) - 1
    top = retriever.search("quinoa", k=1, mode="lexical")[0]
    assert "quinoa" in top.text and top.source_path.endswith(article.name)
    article.unlink()
    retriever, status = opened(seeds_copy, store, tmp_path)
    assert status == "updated" and not any("quinoa" in p.text for p in retriever.search("quinoa", k=5))
    retriever, status = opened(seeds_copy, store, tmp_path)
    assert status == "loaded"
    assert retriever.index.vectors.count("chunks") == len(retriever.index.chunks)
    _, status = opened(seeds_copy, store, tmp_path, rebuild=True)
    assert status == "built"


def test_both_stores_give_the_same_passages(seeds_copy, tmp_path):
    faiss, _ = opened(seeds_copy, "faiss", tmp_path / "f")
    milvus, _ = opened(seeds_copy, f"milvus-lite:{tmp_path}/m.db", tmp_path / "m")
    for question in (QUESTION, "Who spoke with Putin on the phone?", "diplomats safety Kremlin"):
        for mode in ("dense", "lexical", "hybrid"):
            a, b = faiss.search(question, k=5, mode=mode), milvus.search(question, k=5, mode=mode)
            if mode == "dense":  # the same vectors, the same exact inner products
                assert [(p.chunk_id, p.score) for p in a] == [(p.chunk_id, pytest.approx(p.score, abs=1e-5))
                                                              for p in b]
            else:  # BM25 in Milvus (k1+1 factor, its own length statistics) is close to bm25s's, not
                # equal: the same five passages, possibly in another order
                assert {p.chunk_id for p in a} == {p.chunk_id for p in b}, (question, mode)
