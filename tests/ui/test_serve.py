"""`rag serve` as a process: restart on its port right after a crash."""
from __future__ import annotations

import http.client
import signal
import socket

import pytest

from rag.errors import RagError
from rag.ui.serve import check_port
from serving import call, free_port, start, stop


def test_port_check_passes_while_a_closed_connection_waits_out_time_wait():
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    conn, _ = server.accept()
    conn.close()  # the server's end closes first, so it is the one left in TIME_WAIT
    server.close()
    client.recv(1)
    client.close()
    check_port("127.0.0.1", port)  # raised "Address already in use" before


def test_port_check_still_refuses_a_port_someone_listens_on():
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        with pytest.raises(RagError, match="cannot listen on 127.0.0.1:.*pass another --port"):
            check_port("127.0.0.1", other.getsockname()[1])


@pytest.mark.integration
@pytest.mark.slow
def test_serve_restarts_on_its_port_right_after_being_killed(tmp_path, seeds_copy):
    corpus = seeds_copy
    port, log = free_port(), tmp_path / "serve.log"
    first = start(corpus, port, log)
    try:
        held = http.client.HTTPConnection("127.0.0.1", port, timeout=30)  # a browser's open keep-alive connection
        held.request("GET", "/config")
        assert held.getresponse().read()
        first.send_signal(signal.SIGKILL)
        first.wait()
    finally:
        stop(first)
    second = start(corpus, port, log, wait=120)  # at once: no 40-60 s wait for the old connection to expire
    try:
        out = call(port, "ask", "How many Turkish soldiers died?", [], 5, [], "", "")
        assert "33" in str(out[0])
    finally:
        stop(second)
        held.close()


@pytest.mark.integration
@pytest.mark.slow
def test_an_upload_naming_a_server_path_gets_a_message_not_a_blank(tmp_path, seeds_copy):
    port, log = free_port(), tmp_path / "serve.log"
    proc = start(seeds_copy, port, log, "--watch", "0")
    try:
        server_file = {"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}
        for data in ([[server_file], []], [["/etc/passwd.txt"], []], [[server_file]]):
            with pytest.raises(RuntimeError) as refused:
                call(port, "add_articles", *data)
            message = refused.value.args[0]["error"]
            assert message and ("not uploaded through this page" in message or "upload box" in message)
        assert not (seeds_copy / "passwd").exists() and not (seeds_copy / "passwd.txt").exists()
    finally:
        stop(proc)
    assert "Traceback" not in log.read_text()


def test_warm_up_loads_the_model_and_the_language_pipeline_and_parses_ahead(tmp_path, monkeypatch):
    """What `rag serve` does before it says Ready, checked by state rather than by timing: the
    model is loaded, spaCy's pipeline too, and the index's sentences are already parsed."""
    from conftest import SEEDS
    from rag.answer.assistant import Assistant
    from rag.text import language
    from rag.ui.ready import warm

    assistant = Assistant.open(SEEDS, index_dir=tmp_path / "index", llm_model="0.5b", preload=False)
    monkeypatch.setattr(language, "_cache", language._ParseCache(4096))  # empty, for this test only
    first = assistant.retriever.index.sentences[0].text
    assert assistant.answerer.chat._llm is None and language._cache.docs.get(first) is None
    warm(assistant)
    assert assistant.answerer.chat._llm is not None and assistant.note is None
    assert language.nlp.cache_info().currsize == 1
    assert language._cache.docs.get(first) is not None  # parsed ahead: the first question does not pay it
