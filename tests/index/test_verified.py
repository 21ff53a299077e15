"""Opening an unchanged index trusts file stats checked before (rag.index.verified), and still names every
damaged file: by size, mtime or ctime, for a file loaded as bytes and for one loaded by faiss from its path."""
from __future__ import annotations

import doctest
import os
import time

import numpy as np
import pytest

from rag.errors import IndexStoreError
from rag.index import generation_files as reader
from rag.index import verified
from rag.index.codec import load
from rag.index.faiss_store import FaissStore
from rag.index.generations import live_generation, read_generation, write_generation
from rag.index.protocols import CHUNKS, SENTENCES
from rag.index.verified import CACHE

FILES = {"manifest.json": b'{"n": 1}', "chunks.json": b"[1, 2, 3]", "vectors.faiss": b"\x01" * 4096}
OLD_NS = 1_000_000_000_000_000_000  # 2001: files "written long ago", so the racy guard does not apply


def test_the_module_examples_run():
    assert doctest.testmod(verified).failed == 0


def settled(folder) -> None:
    """Backdate every file's mtime (the ctime stays now, so let SETTLED_NS accept it)."""
    for path in live_generation(folder).iterdir():
        os.utime(path, ns=(OLD_NS, OLD_NS))


@pytest.fixture
def hashes(monkeypatch):
    """Count the files hashed in full (bytes read into memory, or a file streamed by its path)."""
    counted = []
    real_sha, real_file = reader.hashlib.sha256, reader._file_sha256

    class Hashlib:
        file_digest = staticmethod(reader.hashlib.file_digest)

        @staticmethod
        def sha256(data=b""):
            if len(data) >= 1000:  # the CHECKSUMS listing (~360 bytes) is always hashed; the test files are larger
                counted.append(len(data))
            return real_sha(data)

    monkeypatch.setattr(reader, "hashlib", Hashlib)
    monkeypatch.setattr(reader, "_file_sha256", lambda path: counted.append(path) or real_file(path))
    monkeypatch.setattr(verified, "SETTLED_NS", 0)
    return counted


BIG = {"manifest.json": b"{}" + b" " * 1000, "chunks.json": b"[" + b"1," * 500 + b"1]", "vectors.faiss": b"\x01" * 4096}


@pytest.mark.parametrize("as_paths", [(), (".faiss",)])
def test_a_checked_file_is_not_hashed_again_while_its_stat_holds(tmp_path, hashes, as_paths):
    write_generation(tmp_path, BIG)
    settled(tmp_path)
    first = read_generation(tmp_path, as_paths=as_paths)
    assert len(hashes) == 3 and (tmp_path / CACHE).exists()
    hashes.clear()
    second = read_generation(tmp_path, as_paths=as_paths)
    assert hashes == [] and second == first
    assert isinstance(second["vectors.faiss"], bytes) == (as_paths == ())


def test_a_just_written_file_is_hashed_on_every_open_until_it_settles(tmp_path, hashes, monkeypatch):
    monkeypatch.setattr(verified, "SETTLED_NS", 3_000_000_000)  # the default: a racy stat is never recorded
    write_generation(tmp_path, BIG)
    read_generation(tmp_path)
    hashes.clear()
    read_generation(tmp_path)
    assert len(hashes) == 3


@pytest.mark.parametrize("as_paths", [(), (".faiss",)])
@pytest.mark.parametrize("name", list(FILES))
@pytest.mark.parametrize("damage", ["flip a byte", "flip a byte, old mtime put back", "truncate", "empty", "delete",
                                    "replace by a copy"])
def test_damage_after_a_trusted_open_is_still_named(tmp_path, monkeypatch, as_paths, name, damage):
    monkeypatch.setattr(verified, "SETTLED_NS", 0)
    write_generation(tmp_path, FILES)
    settled(tmp_path)
    read_generation(tmp_path, as_paths=as_paths)  # checked and recorded
    time.sleep(0.03)  # past the file system clock's tick: a write now gets a new ctime
    path = live_generation(tmp_path) / name
    data = path.read_bytes()
    if damage.startswith("flip a byte"):
        path.write_bytes(data[:3] + bytes([data[3] ^ 1]) + data[4:])
        if "mtime" in damage:
            os.utime(path, ns=(OLD_NS, OLD_NS))
    elif damage == "truncate":
        path.write_bytes(data[:-1])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "delete":
        path.unlink()
    else:  # a damaged copy renamed over the file: another inode
        copy = path.with_name("copy")
        copy.write_bytes(data[:3] + bytes([data[3] ^ 1]) + data[4:])
        os.utime(copy, ns=(OLD_NS, OLD_NS))
        os.replace(copy, path)
    with pytest.raises(IndexStoreError, match=rf"corrupt: .*{name}.*rag index --rebuild"):
        read_generation(tmp_path, as_paths=as_paths)


def test_a_cache_of_another_generation_or_garbled_is_ignored(tmp_path, hashes):
    write_generation(tmp_path, BIG)
    settled(tmp_path)
    read_generation(tmp_path)
    (tmp_path / CACHE).write_text("{not json")
    hashes.clear()
    read_generation(tmp_path)
    assert len(hashes) == 3
    write_generation(tmp_path, {**BIG, "chunks.json": BIG["chunks.json"] + b" "})
    settled(tmp_path)
    hashes.clear()
    read_generation(tmp_path)  # the cache names the previous generation: every file is checked
    assert len(hashes) == 3


def test_an_index_loaded_through_faiss_files_answers_like_one_parsed_from_bytes(tmp_path, seeds_copy,
                                                                                fake_embedder):
    """The same generation, loaded the new way (faiss reads its files) and the old (faiss parses bytes)."""
    from rag.index.open_index import open_index

    index_dir = tmp_path / "idx"
    open_index(seeds_copy, embedder=fake_embedder, index_dir=index_dir)
    new = load(index_dir).vectors
    old = FaissStore.from_files(read_generation(index_dir))
    assert isinstance(read_generation(index_dir, as_paths=(".faiss",))["chunks.faiss"], os.PathLike)
    for collection in (CHUNKS, SENTENCES):
        ids = sorted(new.ids(collection))
        assert ids == sorted(old.ids(collection))
        for q in fake_embedder.embed(["Turkish soldiers killed", "ceasefire talks in Moscow", "frigate"]):
            assert new.search(collection, q, 10) == old.search(collection, q, 10)
            assert np.array_equal(new.score(collection, q, ids), old.score(collection, q, ids))


@pytest.mark.parametrize("step", ["write", "rename"])
def test_a_reader_killed_while_recording_stats_leaves_a_cache_that_misleads_no_one(tmp_path, step):
    """The cache is written to a temporary file and renamed (rag.json_cache); a kill at either step
    leaves the old cache or none, and damage made afterwards is still named."""
    import subprocess
    import sys

    from conftest import ROOT

    write_generation(tmp_path, FILES)
    settled(tmp_path)
    hook = ("json_cache.Path.write_text = lambda *a, **k: os._exit(9)" if step == "write" else
            "json_cache.os.replace = lambda *a: os._exit(9)")
    code = (f"import os\nfrom rag import json_cache\nfrom rag.index import verified\nverified.SETTLED_NS = 0\n{hook}\n"
            f"from rag.index.generations import read_generation\nread_generation({str(tmp_path)!r})\n")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 9
    assert not (tmp_path / CACHE).exists()
    time.sleep(0.03)
    path = live_generation(tmp_path) / "chunks.json"
    path.write_bytes(path.read_bytes().replace(b"2", b"7"))
    with pytest.raises(IndexStoreError, match="corrupt: .*chunks.json"):
        read_generation(tmp_path)
