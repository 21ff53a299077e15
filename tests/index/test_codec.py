"""Saving and loading an index: damage named file by file, old formats rebuilt, bad index folders refused early."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from conftest import FakeEmbedder
from rag.index.open_index import open_index
from rag.errors import IndexMismatchError, IndexStoreError
from rag.index.codec import load, save
from rag.index.columns import MAGIC, decode, encode
from rag.index.chunk_columns import chunk_arrays
from rag.index.record_rows import ChunkRows
from rag.index.generations import POINTER, live_generation, read_generation, write_generation


@pytest.fixture
def saved(tmp_path, seeds_index):
    index, _ = seeds_index
    save(index, tmp_path / "idx")
    return tmp_path / "idx"


def rewrite(index_dir, **changes):
    """A new generation whose checksums match but whose content is bad: only a bug could write it."""
    files = read_generation(index_dir)
    files.update(changes)
    write_generation(index_dir, files)


@pytest.mark.parametrize("name, data", [
    ("bm25.npz", b""),
    ("bm25.npz", b"\x93NUMPY\x01\x00"),
    ("bm25.json", b'{"settings": {}}'),
    ("chunks.cols", encode({"id": np.zeros(3, np.uint8)})),
    ("chunks.cols", MAGIC + b"[" * 50_000),
    ("chunks.cols", b""),
    ("chunks.cols", encode({"text": np.zeros(8, np.uint8), "text@at": np.array([0, 99])})),
    ("documents.cols", b'["not a record"]'),
    ("vectors.json", b"{}"),
    ("chunks.faiss", b"not a faiss index"),
    ("sentences.ids.cols", encode({"labels": np.arange(3)}, {"kind": "flat", "next_label": 0, "payloads": []})),
])
def test_unreadable_files_are_named_not_tracebacks(saved, name, data):
    rewrite(saved, **{name: data})
    with pytest.raises(IndexStoreError, match=rf"corrupt: {name} cannot be read .*rag index --rebuild"):
        load(saved)


def test_counts_that_disagree_name_both_files(saved):
    files = read_generation(saved)
    chunks = ChunkRows(decode(files["chunks.cols"])[0])
    rewrite(saved, **{"chunks.cols": encode(chunk_arrays(chunks[:-1]))})
    with pytest.raises(IndexStoreError, match=r"the chunks vectors \(\d+\) do not match chunks.cols"):
        load(saved)


def test_an_edited_chunks_file_is_refused(saved):
    path = live_generation(saved) / "chunks.cols"
    path.write_bytes(path.read_bytes().replace(b"Turkish", b"Turkmen"))
    with pytest.raises(IndexStoreError, match="chunks.cols has changed since it was written"):
        load(saved)


def test_an_index_of_the_previous_format_is_rebuilt_with_a_note(tmp_path, seeds_copy):
    embedder = FakeEmbedder()
    index_dir = tmp_path / "idx"
    open_index(seeds_copy, embedder=embedder, index_dir=index_dir)
    (index_dir / POINTER).write_text((index_dir / POINTER).read_text().split(" ")[0] + "\n")  # version 1 pointer
    index, status = open_index(seeds_copy, embedder=embedder, index_dir=index_dir)
    assert status == "built" and len(index.docs) == 5
    assert any("older version of rag; rebuilt it" in w for w in index.stats.warnings)
    assert open_index(seeds_copy, embedder=embedder, index_dir=index_dir)[1] == "loaded"


def test_an_index_of_vectors_made_another_way_is_rebuilt_and_another_model_refused(tmp_path, seeds_copy):
    class Made(FakeEmbedder):
        def __init__(self, identity):
            super().__init__()
            self._made = identity

        @property
        def identity(self):
            return self._made

    index_dir = tmp_path / "idx"
    open_index(seeds_copy, embedder=Made("sha256:00ff"), index_dir=index_dir)
    index, status = open_index(seeds_copy, embedder=Made("sha256:00ff+int8"), index_dir=index_dir)
    assert status == "built" and len(index.docs) == 5
    assert any("vectors made another way (plain) than this embedder's (int8); rebuilt it" in w
               for w in index.stats.warnings)
    assert open_index(seeds_copy, embedder=Made("sha256:00ff+int8"), index_dir=index_dir)[1] == "loaded"
    with pytest.raises(IndexMismatchError, match="rag index --rebuild"):  # another model's files: never silently
        open_index(seeds_copy, embedder=Made("sha256:11ee+int8"), index_dir=index_dir)


def test_index_dir_that_is_a_file_fails_before_any_build(tmp_path, seeds_copy):
    embedder = FakeEmbedder()
    (tmp_path / "file").write_text("x")
    with pytest.raises(IndexStoreError, match="is a file, not a folder"):
        open_index(seeds_copy, embedder=embedder, index_dir=tmp_path / "file")
    assert embedder.calls == 0


def test_unwritable_index_dir_fails_before_any_build(tmp_path, seeds_copy):
    embedder = FakeEmbedder()
    if os.geteuid() == 0:  # root writes through permissions; sysfs refuses even root
        locked = Path("/sys/rag-test-index")
    else:
        locked = tmp_path / "ro" / "idx"
        locked.parent.mkdir()
        locked.parent.chmod(0o500)
    with pytest.raises(IndexStoreError, match=r"cannot write the index .*\(Operation not permitted|Permission denied"):
        open_index(seeds_copy, embedder=embedder, index_dir=locked)
    assert embedder.calls == 0


def test_index_dir_under_a_file_fails_before_any_build(tmp_path, seeds_copy):
    """Unwritable for root too: a folder cannot be made inside a file."""
    embedder = FakeEmbedder()
    (tmp_path / "file").write_text("x")
    with pytest.raises(IndexStoreError, match="is inside .*file', which is a file, not a folder"):
        open_index(seeds_copy, embedder=embedder, index_dir=tmp_path / "file" / "idx")
    assert embedder.calls == 0
