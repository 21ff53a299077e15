"""The index store: atomic generations, checksums, kills at every write step, readers racing a writer."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from rag.index import generation_files as reader
from rag.index import generations as store
from rag.errors import IndexFormatError, IndexStoreError
from rag.index.generations import POINTER, live_generation, read_generation, write_generation

FILES = {"manifest.json": b'{"n": 1}', "chunks.json": b"[1, 2, 3]", "sentences.npy": b"\x93NUMPY" + b"\x01" * 64}


def generations(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("gen-"))


def test_write_then_read(tmp_path):
    write_generation(tmp_path, {"a.bin": b"one", "manifest.json": b"{}"})
    assert read_generation(tmp_path) == {"a.bin": b"one", "manifest.json": b"{}"}
    assert read_generation(tmp_path, only=("manifest.json",)) == {"manifest.json": b"{}"}


def test_the_replaced_generation_is_kept_for_readers_and_older_ones_removed(tmp_path):
    first = write_generation(tmp_path, {"a": b"1"})
    second = write_generation(tmp_path, {"a": b"2"})
    assert read_generation(tmp_path) == {"a": b"2"}
    assert generations(tmp_path) == sorted([first, second])
    third = write_generation(tmp_path, {"a": b"3"})
    assert generations(tmp_path) == sorted([second, third])


def test_missing_index_says_how_to_build(tmp_path):
    with pytest.raises(IndexStoreError, match="rag index"):
        read_generation(tmp_path)


def test_dangling_pointer_is_reported_as_corrupt(tmp_path):
    (tmp_path / POINTER).write_text("gen-0123456789ab sha256:" + "0" * 64 + "\n")
    with pytest.raises(IndexStoreError, match="corrupt.*names 'gen-0123456789ab', which is missing.*--rebuild"):
        live_generation(tmp_path)


@pytest.mark.parametrize("content", [b"\xff\xfe\x00garbage", b"", b"gen-zz\n", b"gen-0123456789ab sha256:12\n"])
def test_a_garbled_pointer_gets_a_specific_message(tmp_path, content):
    write_generation(tmp_path, FILES)
    (tmp_path / POINTER).write_bytes(content)
    with pytest.raises(IndexStoreError, match=r"corrupt: CURRENT is garbled .*rag index --rebuild"):
        read_generation(tmp_path)


def test_a_pointer_of_the_old_format_is_an_old_format_not_damage(tmp_path):
    (tmp_path / POINTER).write_text("gen-0123456789ab\n")
    with pytest.raises(IndexFormatError, match="older version"):
        read_generation(tmp_path)


def test_index_dir_that_is_a_file(tmp_path):
    (tmp_path / "idx").write_text("x")
    with pytest.raises(IndexStoreError, match="is a file, not a folder"):
        read_generation(tmp_path / "idx")
    with pytest.raises(IndexStoreError, match="cannot write the index"):
        write_generation(tmp_path / "idx", FILES)


@pytest.mark.parametrize("name", [*FILES, "CHECKSUMS"])
@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "empty", "delete"])
def test_every_damaged_file_is_named(tmp_path, name, damage):
    gen = tmp_path / write_generation(tmp_path, FILES)
    path = gen / name
    data = path.read_bytes()
    if damage == "flip a byte":
        path.write_bytes(data[:3] + bytes([data[3] ^ 1]) + data[4:])
    elif damage == "truncate":
        path.write_bytes(data[:-1])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        path.unlink()
    with pytest.raises(IndexStoreError, match=rf"corrupt: .*{name}.*rag index --rebuild"):
        read_generation(tmp_path)


def _steps(tmp_path) -> list[str]:
    seen = []
    real = store._checkpoint
    store._checkpoint = seen.append
    try:
        write_generation(tmp_path / "probe", FILES)
    finally:
        store._checkpoint = real
    return seen


def test_the_write_steps_are_all_hooked(tmp_path):
    steps = _steps(tmp_path)
    assert steps[0] == "mkdir" and steps[-1] == "collect garbage" and "swap pointer" in steps
    assert [s for s in steps if s.startswith("write ")] == [f"write {n}" for n in [*FILES, "CHECKSUMS", ]] + [
        "write pointer"]


def test_a_kill_at_each_write_step_leaves_the_old_or_the_new_generation(tmp_path):
    """A child process writes a new generation and dies (SIGKILL-like os._exit) at one
    step; the next open must read the old files or the new ones, whole."""
    steps = _steps(tmp_path)
    new = {name: data + b" new" for name, data in FILES.items()}
    for i, step in enumerate(steps):
        folder = tmp_path / f"kill-{i}"
        write_generation(folder, FILES)
        code = (f"import os, rag.index.generations as s\n"
                f"s._checkpoint = lambda step: os._exit(9) if step == {step!r} else None\n"
                f"s.write_generation({str(folder)!r}, {new!r})\n")
        proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT)
        assert proc.returncode == 9, step
        after = read_generation(folder)
        expected = FILES if steps.index("swap pointer") >= i else new
        assert after == expected, f"killed before {step!r}"
        write_generation(folder, {"a": b"next"})  # the next write succeeds and clears what the kill left
        assert read_generation(folder) == {"a": b"next"}
        assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
        assert len(generations(folder)) <= 2


WRITER = """
import sys
from rag.index.generations import write_generation
folder, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    write_generation(folder, {"manifest.json": b"%d" % i, "vectors.bin": bytes([i % 256]) * 400_000})
"""


def race(writer_code: str, folder, writes: int, read) -> tuple[int, list[str]]:
    """Call ``read()`` in a loop while a child process runs ``writer_code``;
    returns how many loads there were and the errors they raised."""
    writer = subprocess.Popen([sys.executable, "-c", writer_code, str(folder), str(writes)], cwd=ROOT)
    loads, errors = 0, []
    try:
        while writer.poll() is None or loads < 20:
            try:
                read()
            except IndexStoreError as exc:
                errors.append(str(exc))
            loads += 1
    finally:
        writer.wait(timeout=300)
    assert writer.returncode == 0
    return loads, errors


def test_readers_racing_a_writer_never_see_a_false_error(tmp_path):
    write_generation(tmp_path, {"manifest.json": b"start", "vectors.bin": b"\x00" * 400_000})
    seen = set()

    def read():
        files = read_generation(tmp_path)
        seen.add(files["manifest.json"])
        assert len(set(files["vectors.bin"])) == 1  # one generation's bytes, never a mix

    loads, errors = race(WRITER, tmp_path, 150, read)
    assert errors == [], f"{len(errors)} false errors in {loads} loads: {errors[:3]}"
    assert len(seen) > 5, "the reader should have seen several generations go by"


def test_a_reader_whose_generation_is_removed_under_it_reads_the_new_one(tmp_path, monkeypatch):
    """Deterministic form of the race: two writes land between reading CURRENT and the files."""
    write_generation(tmp_path, FILES)
    new = {name: data + b" new" for name, data in FILES.items()}
    real, calls = reader._read_checked, []

    def writes_in_between(index_dir, name, digest, *rest):
        if not calls:
            write_generation(tmp_path, new)
            write_generation(tmp_path, new)  # the generation we were about to read is gone now
            assert not (tmp_path / name).exists()
        calls.append(name)
        return real(index_dir, name, digest, *rest)

    monkeypatch.setattr(reader, "_read_checked", writes_in_between)
    assert read_generation(tmp_path) == new
    assert len(calls) == 2 and calls[0] != calls[1]


INDEX_WRITER = """
import sys
from rag.index.codec import load, save
folder, n = sys.argv[1], int(sys.argv[2])
index = load(folder)
for i in range(n):
    save(index, folder)
"""


def test_index_loads_racing_index_saves_never_see_a_false_error(tmp_path, seeds_index):
    """The same race one level up: whole indexes saved while others are loaded."""
    from rag.index.codec import load, save

    index, _ = seeds_index
    save(index, tmp_path)

    def read():
        assert len(load(tmp_path).chunks) == len(index.chunks)

    loads, errors = race(INDEX_WRITER, tmp_path, 60, read)
    assert errors == [], f"{len(errors)} false errors in {loads} loads: {errors[:3]}"
