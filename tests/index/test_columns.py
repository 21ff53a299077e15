"""Index format 4: documents, chunks and id maps as columns files (rag.index.columns, rag.index.record_rows).

Round trips, the cheap rewrite of an update against the general encoding, an index of format 3 (JSON
records, written by the previous version: tests/index/data/format3-index) still loading and updating, damage
named with its file and the fix, and a writer killed while it writes the columns."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, FakeEmbedder
from rag.errors import IndexStoreError
from rag.index.codec import load, read_manifest, save
from rag.index.columns import Texts, decode, encode, pack_texts
from rag.index.generations import live_generation, read_generation, write_generation
from rag.index.open_index import open_index
from rag.index.chunk_columns import Rewrite, chunk_arrays
from rag.index.record_rows import ChunkRows, LoadedChunk
from rag.records import Chunk, Sentence
from rag.retrieval.retriever import Retriever

FORMAT3 = Path(__file__).parent / "data" / "format3-index"
# What was appended to this seed article before the format-3 fixture's update (its chunks.delta.npz).
EDITED, ADDED = "russia-turkey-crisis-talks.txt", "\nA late paragraph was added to this report about the talks.\n"
QUERIES = ["How many Turkish soldiers were killed?", "Where will Putin and Erdogan meet?", "ceasefire in Idlib"]


def test_columns_round_trip_numbers_and_texts_of_any_kind():
    texts = ["", "plain", "é accentué", "漢字", None, "a\x00b", "\ud800 lone surrogate"]
    arrays, meta = decode(encode({"n": np.arange(5, dtype=np.int32), "x": np.eye(2), **pack_texts("t", texts)},
                                 {"kind": "flat", "note": "é"}))
    assert arrays["n"].dtype == np.int32 and arrays["n"].tolist() == [0, 1, 2, 3, 4]
    assert arrays["x"].tolist() == [[1.0, 0.0], [0.0, 1.0]] and meta == {"kind": "flat", "note": "é"}
    column = Texts.of(arrays, "t")
    assert column.tolist() == texts and [column[i] for i in range(len(texts))] == texts
    assert column[3] == column[-4] == "漢字"
    ascii_ids = Texts.of(decode(encode(pack_texts("id", ["ab", "c", ""])))[0], "id")
    assert ascii_ids.tolist() == ["ab", "c", ""]


@pytest.mark.parametrize("data, why", [
    (b"PK\x03\x04 a zip", "not a rag columns file"),
    (encode({"n": np.arange(4)})[:-8], "does not fit"),
    (encode({"t": np.zeros(3, np.uint8), "t@at": np.array([0, 2, 9])}), None),
])
def test_a_columns_file_that_does_not_fit_is_a_value_error(data, why):
    with pytest.raises(ValueError, match=why or "offsets do not fit"):
        arrays, _ = decode(data)
        Texts.of(arrays, "t")


def chunk(doc: str, start: int, text: str, cut: int) -> Chunk:
    """A chunk of two sentences split at ``cut``, with ids that name their text (as the chunker's hash does)."""
    first, second = text[:cut], text[cut:]
    return Chunk(f"{doc}:{start}", doc, start, start + len(text), text, len(text.split()), (
        Sentence(f"{doc}:{first}", doc, start, start + cut, first),
        Sentence(f"{doc}:{second}", doc, start + cut, start + len(text), second)))


CHUNKS = [chunk("a", 0, "One sentence. Two sentence. ", 14), chunk("a", 14, "Two sentence. Three é.", 14),
          chunk("b", 0, "Lone. Pair.", 6)]


def test_chunks_round_trip_with_overlapping_chunks_sharing_a_sentence_row():
    arrays = chunk_arrays(CHUNKS)
    assert len(Texts.of(arrays, "sentence.id")) == 5  # "Two sentence." once for the two chunks holding it
    rows = ChunkRows(decode(encode(arrays))[0])
    assert rows == CHUNKS and [c.sentences for c in rows] == [c.sentences for c in CHUNKS]
    assert rows.by_id()["a:14"].sentences[0].text == "Two sentence. " and len(rows.sentence_ids()) == 5
    assert all(isinstance(c, LoadedChunk) for c in rows)


def test_an_update_rewrites_the_kept_rows_as_the_general_encoding_would():
    rows = ChunkRows(decode(encode(chunk_arrays(CHUNKS)))[0])
    updated = [rows[0], chunk("c", 0, "New one. New two.", 9), rows[2]]  # a's second chunk gone, c added
    assert Rewrite.of(updated) is not None  # the kept rows are copied, not encoded again
    fast = ChunkRows(decode(encode(chunk_arrays(updated)))[0])
    plain = [Chunk(**{f: getattr(c, f) for f in ("id", "doc_id", "start", "end", "text", "n_tokens", "sentences")})
             for c in updated]
    general = ChunkRows(decode(encode(chunk_arrays(plain)))[0])
    assert fast == general == plain and [c.sentences for c in fast] == [c.sentences for c in plain]
    assert sorted(fast.sentence_ids()) == sorted(general.sentence_ids()) and len(fast.sentence_ids()) == 6


def test_an_update_of_a_saved_index_loads_as_a_full_build_of_the_same_articles(tmp_path, seeds_copy):
    emb, index_dir = FakeEmbedder(), tmp_path / "idx"
    open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    (seeds_copy / EDITED).write_text((seeds_copy / EDITED).read_text(encoding="utf-8") + ADDED, encoding="utf-8")
    assert open_index(seeds_copy, embedder=emb, index_dir=index_dir)[1] == "updated"
    updated, full = load(index_dir), full_index(seeds_copy, emb, tmp_path / "full")
    assert updated.chunks == full.chunks and sorted(updated.sentences, key=lambda s: s.id) == \
        sorted(full.sentences, key=lambda s: s.id)
    assert updated.stats.sentences == full.stats.sentences == len(full.sentences)
    for query in QUERIES:
        assert Retriever(updated, emb).search(query, k=5) == Retriever(full, emb).search(query, k=5)


def full_index(corpus, emb, index_dir):
    open_index(corpus, embedder=emb, index_dir=index_dir)
    return load(index_dir)


@pytest.fixture
def format3(tmp_path, seeds_copy):
    """The format-3 index (written by the previous version, after one update) and the articles it indexes."""
    (seeds_copy / EDITED).write_text((seeds_copy / EDITED).read_text(encoding="utf-8") + ADDED, encoding="utf-8")
    index_dir = tmp_path / "old-index"
    shutil.copytree(FORMAT3, index_dir)
    return index_dir, seeds_copy


def test_an_index_of_format_3_loads_and_answers_as_a_new_build(tmp_path, format3):
    index_dir, corpus = format3
    emb = FakeEmbedder(dim=8)  # the fixture's embedder
    assert read_manifest(index_dir)["format_version"] == 3 and "chunks.json" in read_generation(index_dir)
    old, new = load(index_dir), full_index(corpus, emb, tmp_path / "new")
    assert read_manifest(tmp_path / "new")["format_version"] == 4
    assert old.chunks == new.chunks and old.sentences == new.sentences and old.stats.sentences == new.stats.sentences
    assert [(d.id, d.title, d.n_chunks) for d in old.docs] == [(d.id, d.title, d.n_chunks) for d in new.docs]
    for query in QUERIES:  # the same passages and scores (the fixture's articles were in another folder)
        assert [(p.chunk_id, p.text, p.score) for p in Retriever(old, emb).search(query, k=5)] == \
            [(p.chunk_id, p.text, p.score) for p in Retriever(new, emb).search(query, k=5)]


def test_an_update_of_a_format_3_index_writes_format_4(tmp_path, format3):
    index_dir, corpus = format3
    emb = FakeEmbedder(dim=8)
    (corpus / EDITED).write_text((corpus / EDITED).read_text(encoding="utf-8") + "One more line.\n", encoding="utf-8")
    index, status = open_index(corpus, embedder=emb, index_dir=index_dir)
    assert status == "updated" and read_manifest(index_dir)["format_version"] == 4
    names = set(read_generation(index_dir))
    assert {"chunks.cols", "documents.cols"} <= names and not {"chunks.json", "documents.json"} & names
    again = load(index_dir)
    assert again.chunks == full_index(corpus, emb, tmp_path / "new").chunks == index.chunks
    assert open_index(corpus, embedder=emb, index_dir=index_dir)[1] == "loaded"


@pytest.mark.parametrize("name", ["chunks.cols", "documents.cols", "sentences.ids.cols"])
def test_a_damaged_columns_file_is_named_with_the_fix(tmp_path, seeds_index, name):
    index, _ = seeds_index
    save(index, tmp_path / "idx")
    path = live_generation(tmp_path / "idx") / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(IndexStoreError, match=rf"corrupt: {name} has changed since it was written .*"
                                              r"rebuild it with `rag index --rebuild`"):
        load(tmp_path / "idx")


def test_columns_that_pass_their_checksum_but_do_not_fit_are_named(tmp_path, seeds_index):
    """Only a bug could write them (the checksum is the writer's): the file is named all the same."""
    index, _ = seeds_index
    save(index, tmp_path / "idx")
    files = read_generation(tmp_path / "idx")
    arrays = dict(decode(files["chunks.cols"])[0])
    arrays["sentences"] = arrays["sentences"] + 10_000  # rows past the sentence table
    write_generation(tmp_path / "idx", {**files, "chunks.cols": encode(arrays)})
    with pytest.raises(IndexStoreError, match=r"corrupt: chunks.cols cannot be read \(ValueError: columns of \d+ "
                                              r"chunks and \d+ sentences that do not fit together"):
        load(tmp_path / "idx")


KILLED = """
import os, sys
from pathlib import Path
sys.path.insert(0, "tests")
import rag.index.generations as g
from conftest import FakeEmbedder
from rag.index.open_index import open_index
corpus, index_dir, step = sys.argv[1:]
g._checkpoint = lambda at: os._exit(9) if at == step else None
open_index(corpus, embedder=FakeEmbedder(), index_dir=index_dir)
"""


@pytest.mark.parametrize("step", ["write documents.cols", "write chunks.cols", "write CHECKSUMS", "swap pointer"])
def test_a_writer_killed_while_it_writes_the_columns_leaves_the_previous_index(tmp_path, seeds_copy, step):
    emb, index_dir = FakeEmbedder(), tmp_path / "idx"
    before, _ = open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    (seeds_copy / EDITED).write_text((seeds_copy / EDITED).read_text(encoding="utf-8") + ADDED, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", KILLED, str(seeds_copy), str(index_dir), step], cwd=ROOT)
    assert proc.returncode == 9
    after = load(index_dir)  # every file checked: the previous generation, whole
    assert after.chunks == before.chunks and after.stats.sentences == before.stats.sentences
    index, status = open_index(seeds_copy, embedder=emb, index_dir=index_dir)  # the next update goes through
    assert status == "updated" and load(index_dir).chunks == index.chunks != before.chunks


def test_an_edited_articles_chunks_repeating_its_old_sentence_ids_are_still_rewritten(tmp_path, seeds_copy):
    """Unchanged sentences of an edited article keep their ids: the rewrite must not mistake them for kept rows."""
    emb, index_dir = FakeEmbedder(), tmp_path / "idx"
    open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    previous = load(index_dir)
    (seeds_copy / EDITED).write_text((seeds_copy / EDITED).read_text(encoding="utf-8") + ADDED, encoding="utf-8")
    from rag.index.chunk_index import Index
    from rag.ingest.corpus import Corpus

    updated = Index.build(Corpus.from_dir(seeds_copy), emb, previous=load(index_dir))
    old_ids = set(previous.chunks.sentence_ids())
    new_ids = {s.id for c in updated.chunks if c.doc_id == Path(EDITED).stem for s in c.sentences}
    assert old_ids & new_ids  # the edited article's first sentences are the same
    assert Rewrite.of(updated.chunks) is not None
    assert ChunkRows(decode(encode(chunk_arrays(updated.chunks)))[0]) == updated.chunks
