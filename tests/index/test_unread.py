"""An update reads only the articles whose file changed (rag.index.unread), and gives the index a full
read would: same documents, chunks, vectors, payloads and warnings."""
from __future__ import annotations

import doctest
import json
import os

import pytest

from conftest import FakeEmbedder
from test_faiss_delta import same_store
from rag.index import unread
from rag.index.codec import load
from rag.index.open_index import STAMPS, open_index
from rag.index.protocols import CHUNKS
from rag.ingest import corpus as corpus_module
from rag.ingest.stamps import same_files, stat_files

EDITED = "russia-turkey-crisis-talks.txt"


def test_the_module_examples_run():
    assert doctest.testmod(unread).failed == 0


@pytest.fixture
def reads(monkeypatch):
    """The names of the article files read (decoded) from disk."""
    seen = []
    real = corpus_module.read_text
    monkeypatch.setattr(corpus_module, "read_text", lambda path: seen.append(path.name) or real(path))
    return seen


def same_index(a, b, warnings: bool = True) -> None:
    assert [(d.id, d.title, d.path, d.source, d.date, d.sha256, d.n_chunks) for d in a.docs] == \
           [(d.id, d.title, d.path, d.source, d.date, d.sha256, d.n_chunks) for d in b.docs]
    assert a.chunks == b.chunks and (a.stats.warnings == b.stats.warnings or not warnings)
    same_store(a, b)
    q = FakeEmbedder().embed(["Turkish soldiers killed in Idlib"])[0]
    assert a.vectors.search(CHUNKS, q, 5) == b.vectors.search(CHUNKS, q, 5)
    assert a.lexical.search("Turkish soldiers", 5) == b.lexical.search("Turkish soldiers", 5)


def rebuilt(folder, tmp_path):
    return open_index(folder, embedder=FakeEmbedder(), index_dir=tmp_path / "full", rebuild=True)[0]


def test_an_edit_reads_only_the_edited_file_and_updates_as_a_full_read_would(tmp_path, seeds_copy, reads):
    (seeds_copy / "broken.txt").write_bytes(b"A page with a bad byte \xff in it.\n\nMore text follows here.\n")
    (seeds_copy / "empty.txt").write_text("  \n", encoding="utf-8")
    emb, index_dir = FakeEmbedder(), tmp_path / "idx"
    open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    path = seeds_copy / EDITED
    path.write_text(path.read_text(encoding="utf-8") + "\nA late paragraph names the convoy's commander.\n",
                    encoding="utf-8")
    reads.clear()
    updated, status = open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    # the edited file, and the two with a warning (re-read so their warnings stay), nothing else
    assert status == "updated" and sorted(reads) == sorted([EDITED, "broken.txt", "empty.txt"])
    assert any("broken.txt" in w for w in updated.stats.warnings) and any("empty.txt" in w for w in
                                                                        updated.stats.warnings)
    full = rebuilt(seeds_copy, tmp_path)
    same_index(updated, full)
    same_index(load(index_dir), full, warnings=False)  # load alone reads no article, so it has no warnings


def test_a_changed_sidecar_reads_every_file_and_updates_the_metadata(tmp_path, seeds_copy, reads):
    emb, index_dir = FakeEmbedder(), tmp_path / "idx"
    open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    meta = json.loads((seeds_copy / "metadata.json").read_text(encoding="utf-8"))
    meta[EDITED]["date"] = "2020-02-27"
    (seeds_copy / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    reads.clear()
    updated, status = open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    assert status == "updated" and len(reads) == len(updated.docs)
    assert updated.doc_by_id[EDITED.removesuffix(".txt")].date == "2020-02-27"
    same_index(updated, rebuilt(seeds_copy, tmp_path))


def test_without_the_stamps_every_file_is_read(tmp_path, seeds_copy, reads):
    emb, index_dir = FakeEmbedder(), tmp_path / "idx"
    open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    (index_dir / STAMPS).unlink()
    path = seeds_copy / EDITED
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    reads.clear()
    updated, status = open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    assert status == "updated" and len(reads) == len(updated.docs)
    same_index(updated, rebuilt(seeds_copy, tmp_path))


def test_a_file_swapped_for_another_of_the_same_size_and_mtime_is_read(tmp_path, seeds_copy, reads):
    """A file replaced by another (a new inode), with its old size and mtime put back, is not trusted."""
    emb, index_dir = FakeEmbedder(), tmp_path / "idx"
    open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    path = seeds_copy / EDITED
    st, data = path.stat(), path.read_bytes()
    other = path.with_name("other.tmp")
    other.write_bytes(data.replace(b"Turkish", b"Turkmen", 1))
    os.replace(other, path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    reads.clear()
    updated, status = open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    assert status == "updated" and reads == [EDITED]
    same_index(updated, rebuilt(seeds_copy, tmp_path))


def test_same_files_lists_the_files_whose_stat_was_recorded(tmp_path, seeds_copy):
    emb, index_dir = FakeEmbedder(), tmp_path / "idx"
    open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    now = stat_files([seeds_copy])
    assert same_files(index_dir / STAMPS, [seeds_copy], now)[0] == set(now)
    assert same_files(index_dir / STAMPS, [seeds_copy, tmp_path], now) == (set(), [])  # other folders
    (seeds_copy / EDITED).write_text("Replaced.\n", encoding="utf-8")
    assert str(seeds_copy / EDITED) not in same_files(index_dir / STAMPS, [seeds_copy], stat_files([seeds_copy]))[0]
