"""`rag index` and `rag search` against a Milvus server in another process, over TCP (``--store milvus://``).

The server is Milvus Lite's own gRPC server (``python -m milvus_lite server``), started here on
127.0.0.1: the same wire protocol and client calls as a Milvus cluster, and the code path a
cluster takes (no flush after writes, the server's consistency), but Milvus Lite's engine.
The standalone Milvus binary on PyPI (package ``milvus``, 2.3.5) starts here too but has no
sparse vectors or BM25 function, so it cannot hold the lexical collection (see docs/CAPACITY.md).
"""
from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from conftest import SEEDS
from rag.cli import main

pytestmark = [pytest.mark.integration, pytest.mark.slow]
QUESTIONS = ["What did Turkey threaten to do in Idlib?", "Which country often backs Russia's vetoes at the UN?"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """A Milvus Lite gRPC server process on a free loopback port; yields its ``--store`` URI."""
    port, log = free_port(), tmp_path / "milvus.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir",
                                 str(tmp_path / "server.db"), "--host", "127.0.0.1", "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, f"the Milvus server exited with {proc.returncode}: {log.read_text()[-2000:]}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, f"the Milvus server is not listening: {log.read_text()[-2000:]}"
            time.sleep(0.2)
    try:
        yield f"milvus://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGINT)  # its graceful stop: in-flight calls drained, the folder closed
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def hits(capsys, question: str, corpus, *flags) -> list[tuple]:
    code, out, err = run(capsys, "search", question, "--corpus", str(corpus), "--json", "-k", "5", *flags)
    assert code == 0, err
    return [(p["chunk_id"], p["source_path"], p["start"], p["end"]) for p in json.loads(out)]


def test_index_update_and_search_on_a_milvus_server_give_faiss_hits(server, tmp_path, capsys):
    corpus = tmp_path / "seeds"
    shutil.copytree(SEEDS, corpus, ignore=shutil.ignore_patterns(".rag-index"))
    on_server = ["--store", server, "--store-timeout", "60", "--index-dir", str(tmp_path / "ix")]
    code, out, err = run(capsys, "index", str(corpus), *on_server)
    assert code == 0 and out.startswith("built index") and "5 documents" in out, err
    assert run(capsys, "index", str(corpus), *on_server)[1].startswith("loaded index")
    assert not (tmp_path / "ix" / "CURRENT").exists()  # no FAISS index: the vectors are on the server

    def compare():
        for question in QUESTIONS:
            for mode in ("dense", "hybrid"):
                milvus = hits(capsys, question, corpus, "--mode", mode, *on_server)
                faiss = hits(capsys, question, corpus, "--mode", mode)
                if mode == "dense":  # the same vectors: the same ranking
                    assert milvus and milvus == faiss, (question, mode)
                else:  # BM25 runs inside Milvus, its statistics per segment (rag/index/milvus_store.py): near-ties may swap
                    assert milvus and milvus[0] == faiss[0] and set(milvus) == set(faiss), (question, mode)

    compare()
    (corpus / "glacier.txt").write_text("Glacier survey finds record length\n\nThe Zorblax Glacier in Norlandia "
                                        "measured 4,321 metres in the spring survey.\n", encoding="utf-8")
    (corpus / "erdogan-putin-agree-to-meet.txt").unlink()
    code, out, err = run(capsys, "index", str(corpus), *on_server)
    assert code == 0 and out.startswith("updated index") and "5 documents" in out, err
    compare()
    found = hits(capsys, "How long is the Zorblax Glacier?", corpus, *on_server)
    assert found[0][1].endswith("glacier.txt")
    assert not any(h[1].endswith("erdogan-putin-agree-to-meet.txt")
                   for q in QUESTIONS for h in hits(capsys, q, corpus, *on_server))
