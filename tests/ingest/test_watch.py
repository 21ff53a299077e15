"""The folder watcher, and a server that answers from the articles as they are now."""
from __future__ import annotations

import logging
import time

import pytest

from rag.ingest.watch import FolderWatcher

GLACIER = ("Glacier survey finds record length\n\n"
           "The Zorblax Glacier in Norlandia measured {} metres in the spring survey.\n"
           "Scientists said meltwater had slowed because of a cold winter.\n")


def test_added_changed_removed_articles_and_metadata_are_seen(tmp_path):
    (tmp_path / "a.txt").write_text("one")
    calls = []
    watcher = FolderWatcher(tmp_path, lambda: calls.append(1), interval=60)
    assert watcher.check() is False
    (tmp_path / "b.md").write_text("two")
    assert watcher.check() is True
    (tmp_path / "a.txt").write_text("one, edited at once with the same size? no: longer")
    assert watcher.check() is True
    (tmp_path / "b.md").unlink()
    assert watcher.check() is True
    (tmp_path / "metadata.json").write_text("{}")
    assert watcher.check() is True
    assert len(calls) == 4 and watcher.check() is False


def test_what_ingestion_ignores_does_not_trigger(tmp_path, outside_file):
    (tmp_path / "a.txt").write_text("one")
    watcher = FolderWatcher(tmp_path, lambda: pytest.fail("nothing the index reads changed"), interval=60)
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    (tmp_path / ".upload-123.tmp").write_text("partial")
    (tmp_path / ".rag-index").mkdir()
    (tmp_path / ".rag-index" / "CURRENT").write_text("gen")
    (tmp_path / "link.txt").symlink_to(outside_file)
    assert watcher.check() is False


@pytest.fixture
def outside_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("outside") / "secret.txt"
    path.write_text("secret")
    return path


def test_a_failing_refresh_is_logged_and_the_watcher_goes_on(tmp_path, caplog):
    (tmp_path / "a.txt").write_text("one")

    def broken():
        raise RuntimeError("disk full")

    watcher = FolderWatcher(tmp_path, broken, interval=60)
    (tmp_path / "a.txt").write_text("one two")
    with caplog.at_level(logging.ERROR, logger="rag.ingest.watch"):
        assert watcher.check() is True
    assert "could not be refreshed" in caplog.text and "disk full" in caplog.text


def test_the_watcher_thread_refreshes_the_chat_index(tmp_path, seeds_copy, fake_embedder):
    from rag.answer.assistant import Assistant
    from rag.ui.documents import DocumentsTab
    from rag.ui.upload import Uploader

    uploads = tmp_path / "uploads"
    assistant = Assistant.open(seeds_copy, embedder=fake_embedder, answerer="rules", index_dir=tmp_path / "idx",
                               uploads_dir=uploads)
    tab = DocumentsTab(assistant, Uploader(uploads, corpus_dir=seeds_copy))
    watcher = FolderWatcher([seeds_copy, uploads], tab.refresh_from_disk, interval=0.1).start()
    try:
        (seeds_copy / "glacier.txt").write_text(GLACIER.format("4,321"))
        wait_for(lambda: "glacier" in assistant.retriever.index.doc_by_id)
        (seeds_copy / "glacier.txt").write_text(GLACIER.format("5,555"))
        wait_for(lambda: any("5,555" in s.text for s in assistant.retriever.index.sentences))
        assert not any("4,321" in s.text for s in assistant.retriever.index.sentences)
        (seeds_copy / "glacier.txt").unlink()
        wait_for(lambda: "glacier" not in assistant.retriever.index.doc_by_id)
        assert "glacier" not in [d.id for d in tab.docs]
        uploads.mkdir()  # the uploads folder appears with the first upload; a file dropped there counts too
        (uploads / "ferry.txt").write_text(GLACIER.replace("Glacier", "Ferry").format("12"))
        wait_for(lambda: "ferry" in assistant.retriever.index.doc_by_id)
    finally:
        watcher.stop()


def wait_for(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the index was not refreshed in time"
        time.sleep(0.05)


@pytest.mark.integration
@pytest.mark.slow
def test_a_running_server_answers_from_the_files_as_they_are_now(tmp_path, seeds_copy):
    from serving import call, free_port, start, stop

    corpus = seeds_copy
    port, log = free_port(), tmp_path / "serve.log"
    proc = start(corpus, port, log, "--watch", "0.5")
    question = "How many metres did the Zorblax Glacier measure?"

    def answer() -> str:
        return str(call(port, "ask", question, [], 5, [], "", "")[0][-1]["content"])

    def eventually(text: str, absent: str | None = None) -> str:
        deadline = time.monotonic() + 120
        while True:
            reply = answer()
            if text in reply and (absent is None or absent not in reply):
                return reply
            assert time.monotonic() < deadline, f"still {reply[:300]!r}; log: {log.read_text()[-2000:]}"
            time.sleep(0.5)

    try:
        assert "4,321" not in answer()
        (corpus / "glacier.txt").write_text(GLACIER.format("4,321"))  # added outside the chat
        eventually("4,321")
        (corpus / "glacier.txt").write_text(GLACIER.format("5,555"))  # edited
        eventually("5,555", absent="4,321")
        (corpus / "glacier.txt").unlink()  # deleted
        eventually("Not found in the articles", absent="5,555")
        assert "articles changed on disk: index updated" in log.read_text()
    finally:
        stop(proc)
