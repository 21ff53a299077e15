import os
import subprocess
import sys

import pytest

from rag.errors import IndexStoreError
from rag.store import live_generation, read_generation, write_generation


def test_write_then_read(tmp_path):
    write_generation(tmp_path, {"a.bin": b"one", "manifest.json": b"{}"})
    assert read_generation(tmp_path) == {"a.bin": b"one", "manifest.json": b"{}"}


def test_new_generation_replaces_and_cleans_the_old(tmp_path):
    first = write_generation(tmp_path, {"a": b"1"})
    second = write_generation(tmp_path, {"a": b"2"})
    assert read_generation(tmp_path) == {"a": b"2"}
    assert not (tmp_path / first).exists() and (tmp_path / second).exists()


def test_missing_index_says_how_to_build(tmp_path):
    with pytest.raises(IndexStoreError, match="rag index"):
        read_generation(tmp_path)


def test_dangling_pointer_is_reported_as_corrupt(tmp_path):
    (tmp_path / "CURRENT").write_text("gen-deadbeef\n")
    with pytest.raises(IndexStoreError, match="corrupt.*rebuild"):
        live_generation(tmp_path)


def test_a_write_killed_midway_leaves_the_old_generation_live(tmp_path):
    write_generation(tmp_path, {"a": b"old"})
    # A child process starts a write and dies (os._exit) between writing files and swapping the pointer.
    code = f"""
import os, rag.store as s
real_replace = os.replace
def die(*a, **k): os._exit(9)
s.os.replace = die
s.write_generation({str(tmp_path)!r}, {{"a": b"new" * 1000}})
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=os.path.dirname(os.path.dirname(__file__)))
    assert proc.returncode == 9
    assert read_generation(tmp_path) == {"a": b"old"}
    # The next successful write clears the abandoned generation.
    write_generation(tmp_path, {"a": b"newer"})
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("gen-")) == [
        (tmp_path / "CURRENT").read_text().strip()]
