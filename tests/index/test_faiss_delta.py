"""Incremental saves: an update links the unchanged faiss files and writes a checked delta; a kill at
any step leaves the previous generation readable; a delta never lands on other base files."""
from __future__ import annotations

import doctest
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, FakeEmbedder
from rag.errors import IndexStoreError
from rag.index import faiss_delta
from rag.index import generations as store
from rag.index.codec import load
from rag.index.faiss_store import FaissStore
from rag.index.generations import live_generation, read_generation, write_generation
from rag.index.open_index import open_index
from rag.index.protocols import CHUNKS, SENTENCES

CHANGED = "russia-turkey-crisis-talks.txt"


def edit(folder, line: str) -> None:
    path = folder / CHANGED
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + f"\n\n{line}\n", encoding="utf-8")


def same_store(a, b) -> None:
    for collection in (CHUNKS, SENTENCES):
        ids = sorted(a.vectors.ids(collection))
        assert ids == sorted(b.vectors.ids(collection))
        ca, cb = a.vectors._collections[collection], b.vectors._collections[collection]
        assert np.array_equal(ca.vectors(ids), cb.vectors(ids))
        assert [ca.payload[ca.label_of[i]] for i in ids] == [cb.payload[cb.label_of[i]] for i in ids]


def test_the_module_examples_run():
    assert doctest.testmod(faiss_delta).failed == 0


def test_an_update_links_the_faiss_files_and_writes_only_a_delta(tmp_path, seeds_copy):
    emb, index_dir = FakeEmbedder(), tmp_path / "idx"
    open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    first = live_generation(index_dir)
    inode = (first / "chunks.faiss").stat().st_ino
    edit(seeds_copy, "The quartermaster counted eleven armoured ambulances at the border post.")
    updated, status = open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    second = live_generation(index_dir)
    assert status == "updated" and second != first
    for name in ("chunks.faiss", "chunks.ids.cols", "sentences.faiss", "sentences.ids.cols"):
        assert (second / name).stat().st_ino == (first / name).stat().st_ino, name  # one file, two generations
    assert (second / "chunks.delta.npz").stat().st_size < (second / "chunks.faiss").stat().st_size
    same_store(load(index_dir), updated)

    edit(seeds_copy, "A second convoy crossed at Cilvegozu before noon.")  # a second delta, from the same base
    again, _ = open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    edit(seeds_copy, "Drivers waited six hours at the gate.")  # the first two generations are collected now
    third, _ = open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    assert not first.exists() and (live_generation(index_dir) / "chunks.faiss").stat().st_ino == inode
    loaded = load(index_dir)
    same_store(loaded, third)
    assert any("Drivers waited" in loaded.chunk_by_id[h.id].text for h in
               loaded.lexical.search("drivers waited gate", k=3))


def test_past_the_limit_a_collection_is_written_whole(tmp_path, seeds_copy, monkeypatch):
    emb, index_dir = FakeEmbedder(), tmp_path / "idx"
    open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    first = live_generation(index_dir)
    monkeypatch.setattr(faiss_delta, "DELTA_MIN", 0)
    monkeypatch.setattr(faiss_delta, "DELTA_SHARE", 0.0)
    edit(seeds_copy, "The quartermaster counted eleven armoured ambulances at the border post.")
    updated, _ = open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    second = live_generation(index_dir)
    assert not list(second.glob("*.delta.npz"))
    assert (second / "chunks.faiss").stat().st_ino != (first / "chunks.faiss").stat().st_ino
    same_store(load(index_dir), updated)


def test_a_delta_on_other_base_files_is_refused_by_name(tmp_path, seeds_copy):
    emb, index_dir = FakeEmbedder(), tmp_path / "idx"
    open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    before = read_generation(index_dir)
    edit(seeds_copy, "The quartermaster counted eleven armoured ambulances at the border post.")
    open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    files = dict(read_generation(index_dir))
    other = FaissStore.from_files(before)
    other.delete(CHUNKS, sorted(other.ids(CHUNKS))[:1])
    whole = other.to_files()  # checksummed and consistent, but not the delta's base
    files["chunks.faiss"], files["chunks.ids.cols"] = whole["chunks.faiss"], whole["chunks.ids.cols"]
    write_generation(index_dir, files)
    with pytest.raises(IndexStoreError, match=r"chunks\.delta\.npz cannot be read \(.*other base files.*rebuild"):
        load(index_dir)


def test_when_another_writer_replaced_the_base_the_save_is_whole(tmp_path, seeds_copy):
    from rag.index.codec import save

    emb, index_dir = FakeEmbedder(), tmp_path / "idx"
    open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    index, other = load(index_dir), load(index_dir)
    other.vectors.upsert(CHUNKS, ["from-another-writer"], emb.embed(["another writer"]), [{"doc_id": "x"}])
    other.vectors._collections[CHUNKS].base = None  # that writer rewrites the chunk files whole
    save(other, index_dir)
    with pytest.raises(store.StaleGeneration, match="chunks.faiss, chunks.ids.cols"):
        write_generation(index_dir, index.vectors.to_files(incremental=True))
    save(index, index_dir)  # its base files are gone from the live generation: the chunks are written whole
    assert not (live_generation(index_dir) / "chunks.delta.npz").exists()
    same_store(load(index_dir), index)


KILLED_WRITER = """
import os, sys
import numpy as np
import rag.index.generations as g
from rag.index.faiss_store import FaissStore
folder, step = sys.argv[1], sys.argv[2]
s = FaissStore.from_files(g.read_generation(folder))
v = np.zeros((1, s.dim), np.float32); v[0, 3] = 1.0
s.upsert("chunks", ["added before " + step], v, [{"doc_id": "x"}])
g._checkpoint = lambda at: os._exit(9) if at == step else None
g.write_generation(folder, s.to_files(incremental=True))
"""


def test_a_kill_at_each_step_of_an_incremental_save_leaves_a_whole_generation(tmp_path, seeds_copy):
    emb, index_dir = FakeEmbedder(), tmp_path / "idx"
    open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    base = FaissStore.from_files(read_generation(index_dir))
    files = base.to_files(incremental=True)
    assert isinstance(files["chunks.faiss"], store.Reuse)
    steps, real = [], store._checkpoint
    store._checkpoint = steps.append
    try:
        write_generation(tmp_path / "probe", FaissStore.from_files(read_generation(index_dir)).to_files())
    finally:
        store._checkpoint = real
    steps = [s for s in steps if s in ("write pointer", "write CHECKSUMS") or not s.startswith("write ")] + [
        "link chunks.faiss", "link sentences.ids.cols", "write chunks.delta.npz"]
    assert len(steps) == 11
    n = base.count(CHUNKS)
    for step in steps:
        proc = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(index_dir), step], cwd=ROOT)
        assert proc.returncode == 9, step
        after = FaissStore.from_files(read_generation(index_dir))  # checked: whole, never torn
        assert after.count(CHUNKS) in (n, n + 1), step
        if after.count(CHUNKS) == n + 1:  # the kill came after the swap: the new generation, whole
            assert step in ("fsync folder", "collect garbage"), step
            n += 1
    assert n == base.count(CHUNKS) + 2  # the two kills after the swap each left their generation live
    write_generation(index_dir, FaissStore.from_files(read_generation(index_dir)).to_files(incremental=True))
    assert not [p for p in index_dir.iterdir() if p.name.endswith(".tmp")]  # what the kills left is cleared
    assert FaissStore.from_files(read_generation(index_dir)).count(CHUNKS) == n


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_a_store_saved_as_base_plus_delta_loads_as_it_was(tmp_path, kind):
    """Upserts, replacements and deletes (HNSW: tombstones) survive a save as base + delta and a load."""
    rng = np.random.default_rng(3)

    def unit(n):
        x = rng.standard_normal((n, 16)).astype(np.float32)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    s = FaissStore(dim=16, kind=kind)
    s.upsert(CHUNKS, [f"v{i}" for i in range(60)], unit(60), [{"doc_id": f"d{i % 6}"} for i in range(60)])
    write_generation(tmp_path, s.to_files())
    s = FaissStore.from_files(read_generation(tmp_path))
    s.delete(CHUNKS, ["v1", "v2", "v50"])
    s.upsert(CHUNKS, ["v3", "new"], unit(2), [{"doc_id": "d9"}, {"doc_id": "d9"}])  # a replaced id and a new one
    files = s.to_files(incremental=True)
    assert isinstance(files["chunks.faiss"], store.Reuse) and "chunks.delta.npz" in files
    write_generation(tmp_path, files)
    loaded = FaissStore.from_files(read_generation(tmp_path))
    ca, cb = s._collections[CHUNKS], loaded._collections[CHUNKS]
    assert loaded.ids(CHUNKS) == s.ids(CHUNKS) and "v1" not in loaded.ids(CHUNKS) and loaded.count(CHUNKS) == 58
    assert cb.tombstones == ca.tombstones and (kind == "flat") == (not cb.tombstones)
    ids = sorted(s.ids(CHUNKS))
    assert np.array_equal(ca.vectors(ids), cb.vectors(ids))
    assert [cb.payload[cb.label_of[i]] for i in ids] == [ca.payload[ca.label_of[i]] for i in ids]
    for q in unit(5):
        assert [h.id for h in loaded.search(CHUNKS, q, 5)] == [h.id for h in s.search(CHUNKS, q, 5)]
    assert [h.id for h in loaded.search(CHUNKS, cb.vectors(["new"])[0], 3)][0] == "new"
    loaded.upsert(CHUNKS, ["later"], unit(1), [{"doc_id": "d9"}])  # the journal goes on from the delta
    assert sorted(cb.added) == sorted(cb.label_of[i] for i in ("v3", "new", "later"))


def test_a_mapped_hnsw_graph_takes_changes_in_an_overlay_and_answers_as_one_graph(tmp_path):
    """Loaded memory-mapped (as every open does), an HNSW collection keeps its graph file and puts new vectors
    in an exact overlay: through upserts, replacements, deletes of graph and overlay vectors, a delta save and
    load (the delta lands in the overlay) and a whole save, it answers as the same store kept in memory."""
    from rag.index.protocols import Filter

    rng = np.random.default_rng(5)

    def unit(n):
        x = rng.standard_normal((n, 16)).astype(np.float32)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    memory = FaissStore(dim=16, kind="hnsw")
    memory.upsert(CHUNKS, [f"v{i}" for i in range(200)], unit(200), [{"doc_id": f"d{i % 6}"} for i in range(200)])
    write_generation(tmp_path, memory.to_files())

    def mapped():
        return FaissStore.from_files(read_generation(tmp_path, as_paths=(".faiss",)))

    def same(store):
        c = store._collections[CHUNKS]
        ids = sorted(memory.ids(CHUNKS))
        assert store.ids(CHUNKS) == memory.ids(CHUNKS) and store.count(CHUNKS) == memory.count(CHUNKS)
        assert np.array_equal(c.vectors(ids), memory._collections[CHUNKS].vectors(ids))
        for q in [*unit(4), c.vectors(["new"])[0]]:
            assert store.search(CHUNKS, q, 8) == memory.search(CHUNKS, q, 8)
            where = Filter(doc_ids={"d9", "d1"})
            assert store.search(CHUNKS, q, 5, where=where) == memory.search(CHUNKS, q, 5, where=where)

    store = mapped()
    changes = [("upsert", ["v3", "new", "gone"], unit(3)), ("delete", ["v1", "gone"], None),
               ("upsert", ["later"], unit(1))]
    for op, ids, x in changes:
        for s in (memory, store):
            s.upsert(CHUNKS, ids, x, [{"doc_id": "d9"}] * len(ids)) if op == "upsert" else s.delete(CHUNKS, ids)
    c = store._collections[CHUNKS]
    assert c.mapped_from is not None and len(c.overlay) == 3 and c.index.ntotal == 200  # "gone" left the overlay
    assert c.tombstones == {1, 3}  # the graph's labels of v1 (deleted) and v3 (replaced)
    same(store)
    write_generation(tmp_path, store.to_files(incremental=True))
    store = mapped()  # the delta is replayed into an overlay, the graph file linked and mapped again
    assert len(store._collections[CHUNKS].overlay) == 3 and store._collections[CHUNKS].mapped_from is not None
    same(store)
    write_generation(tmp_path, store.to_files())  # whole: the overlay joins the graph
    store = mapped()
    assert store._collections[CHUNKS].overlay is None and store._collections[CHUNKS].index.ntotal == 203
    same(store)
