"""`rag index/search/docs/ask/serve --store ...` and `rag index --workers/--ray` end to end with the real model."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys

import pytest

from conftest import SEEDS
from rag.cli import main

pytestmark = pytest.mark.integration
QUESTION = "What did Turkey threaten to do in Idlib?"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli-stores")
    shutil.copytree(SEEDS, root / "seeds", ignore=shutil.ignore_patterns(".rag-index"))
    return root / "seeds"


@pytest.mark.slow
def test_milvus_lite_store_built_by_two_workers_answers_like_faiss(corpus, tmp_path, capsys):
    store = f"milvus-lite:{tmp_path}/cli.db"
    code, out, _ = run(capsys, "index", str(corpus), "--store", store, "--workers", "2")
    assert code == 0 and out.startswith("built index") and "5 documents" in out
    code, out, _ = run(capsys, "index", str(corpus), "--store", store)
    assert code == 0 and out.startswith("loaded index")
    code, out, _ = run(capsys, "search", QUESTION, "--corpus", str(corpus), "--store", store, "--json",
                       "--mode", "dense")
    milvus = json.loads(out)
    code_f, out_f, _ = run(capsys, "search", QUESTION, "--corpus", str(corpus), "--json", "--mode", "dense")
    assert code == code_f == 0 and milvus
    assert [p["chunk_id"] for p in milvus] == [p["chunk_id"] for p in json.loads(out_f)]
    code, out, _ = run(capsys, "docs", "--corpus", str(corpus), "--store", store)
    assert code == 0 and len(out.strip().splitlines()) == 5


@pytest.mark.slow
def test_ask_and_serve_answer_from_the_milvus_lite_store_as_from_faiss(corpus, tmp_path, capsys):
    from serving import call, free_port, start, stop

    store, question = f"milvus-lite:{tmp_path}/ask.db", "How many Turkish soldiers died?"
    flags = ["--corpus", str(corpus), "--answerer", "rules", "--json"]
    code, out, err = run(capsys, "ask", question, *flags, "--store", store, "--index-dir", str(tmp_path / "ix"))
    code_f, out_f, _ = run(capsys, "ask", question, *flags)
    milvus, faiss = json.loads(out), json.loads(out_f)
    assert code == code_f == 0 and not milvus["refused"] and "Traceback" not in err
    assert (milvus["text"], milvus["citations"]) == (faiss["text"], faiss["citations"])
    assert (tmp_path / "ix" / "milvus").is_dir() and not (tmp_path / "ix" / "CURRENT").exists()  # no FAISS index

    # This process holds the Lite folder now; another gets one line saying so, with the fix.
    other = subprocess.run([sys.executable, "-m", "rag.cli", "docs", "--corpus", str(corpus), "--store", store,
                            "--index-dir", str(tmp_path / "ix")], capture_output=True, text=True, timeout=300)
    assert other.returncode == 2 and "open in another process" in other.stderr and "milvus_lite server" in other.stderr
    assert len(other.stderr.strip().splitlines()) == 1, other.stderr

    port, log = free_port(), tmp_path / "serve.log"
    proc = start(corpus, port, log, "--watch", "0", "--store", f"milvus-lite:{tmp_path}/serve.db",
                 "--index-dir", str(tmp_path / "serve-ix"))
    try:
        reply = call(port, "ask", question, [], 5, [], "", "")
        assert milvus["short_answer"] in str(reply[0])
    finally:
        stop(proc)
    assert (tmp_path / "serve-ix" / "milvus").is_dir() and "Traceback" not in log.read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("flags, needle", [
    (["--store", "milvus://127.0.0.1:{port}"], "milvus://127.0.0.1:{port}"),
    (["--store", "elastic://x"], "use faiss, milvus-lite:PATH.db or milvus://HOST:PORT"),
    (["--store", "milvus-lite:no-suffix"], "must end in .db"),
    (["--ray", "127.0.0.1:{port}"], "ray start --head"),
    (["--workers", "0"], "--workers must be"),
])
def test_bad_store_or_cluster_is_one_line_and_exit_2(corpus, tmp_path, capsys, flags, needle):
    port = _free_port()
    flags = [f.format(port=port) for f in flags]
    code, out, err = run(capsys, "index", str(corpus), "--index-dir", str(tmp_path / "ix"), "--rebuild", *flags)
    assert code == 2 and err.startswith("error: ") and needle.format(port=port) in err
    assert len(err.strip().splitlines()) == 1
