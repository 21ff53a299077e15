"""A loaded index makes its Sentence records on first use (rag.index.codec.LoadedChunk) and answers exactly
as the index it was saved from: same chunks, sentences, counts and search results."""
from __future__ import annotations

from dataclasses import replace

from conftest import FakeEmbedder
from rag.index.codec import LoadedChunk, load, save
from rag.index.open_index import open_index
from rag.retrieval.retriever import Retriever

QUERIES = ["How many Turkish soldiers were killed?", "Where will Putin and Erdogan meet?", "ceasefire in Idlib"]


def test_a_loaded_index_searches_like_the_one_it_was_saved_from(tmp_path, seeds_copy):
    emb = FakeEmbedder()
    built, _ = open_index(seeds_copy, embedder=emb, index_dir=tmp_path / "idx")
    loaded = load(tmp_path / "idx")
    assert all(isinstance(c, LoadedChunk) and "sentences" not in c.__dict__ for c in loaded.chunks)
    assert loaded.stats.sentences == built.stats.sentences == len(built.sentences)
    assert not any("sentences" in c.__dict__ for c in loaded.chunks)  # counting made no sentence
    for query in QUERIES:
        assert Retriever(loaded, emb).search(query, k=5) == Retriever(built, emb).search(query, k=5)
    assert loaded.chunks == built.chunks and built.chunks == loaded.chunks  # both ways round
    assert loaded.sentences == built.sentences


def test_a_loaded_chunk_is_hashed_copied_and_saved_like_a_chunk(tmp_path, seeds_copy):
    built, _ = open_index(seeds_copy, embedder=FakeEmbedder(), index_dir=tmp_path / "idx")
    loaded = load(tmp_path / "idx")
    a, b = loaded.chunks[0], built.chunks[0]
    assert hash(a) == hash(b) and {a} == {b}
    changed = replace(a, text=a.text + " more")
    assert changed.sentences == b.sentences and changed.text.endswith(" more") and changed != b
    save(loaded, tmp_path / "again")  # sentences never made: saved from what was read
    again = load(tmp_path / "again")
    assert again.chunks == built.chunks and again.sentences == built.sentences
