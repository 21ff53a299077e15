"""Assistant.open(store=...): the answers from a Milvus Lite store are FAISS's answers, and every
re-open (an upload in the chat, a file changed on disk, a removal) updates that same store.

Real parts: the embedding model, the rule reader, the bundled articles, Milvus Lite in a temp folder."""
from __future__ import annotations

import json

import pytest

from conftest import ROOT, SEEDS
from rag.answer.assistant import Assistant
from rag.index.faiss_store import FaissStore
from rag.index.milvus_store import MilvusLexical, MilvusStore
from rag.index.protocols import CHUNKS

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# The development questions without history (never the gold ones): answered and refused alike.
DEV = [json.loads(line) for line in (ROOT / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines() if line]
QUESTIONS = [d["question"] for d in DEV if not d["history"]][:12]
GLACIER = ("Glacier survey finds record length\n\nNORDIC WIRE, 2024-03-12 — The Zorblax Glacier in Norlandia "
           "measured {} metres in the spring survey, the longest it has been since records began.\n")


def outcome(answer) -> tuple:
    """What a reader sees: the text, the short answer, the refusal, and each citation's exact span."""
    return (answer.text, answer.short_answer, answer.refused,
            [(c.doc_id, c.source_path, c.start, c.end, c.text) for c in answer.citations])


@pytest.fixture(scope="module")
def both(tmp_path_factory, real_embedder):
    root = tmp_path_factory.mktemp("stores")
    faiss = Assistant.open(SEEDS, index_dir=root / "faiss", embedder=real_embedder, answerer="rules")
    milvus = Assistant.open(SEEDS, index_dir=root / "milvus", embedder=real_embedder, answerer="rules",
                            store=f"milvus-lite:{root}/ask.db", store_timeout=30)
    return faiss, milvus


def test_ask_over_milvus_lite_gives_faiss_answers_and_citations(both):
    faiss, milvus = both
    assert isinstance(faiss.retriever.index.vectors, FaissStore)
    assert isinstance(milvus.retriever.index.vectors, MilvusStore)
    assert isinstance(milvus.retriever.index.lexical, MilvusLexical)
    pairs = [(outcome(faiss.ask(q)), outcome(milvus.ask(q))) for q in QUESTIONS]
    assert [m for _, m in pairs] == [f for f, _ in pairs]
    answered = [f for f, _ in pairs if not f[2]]
    assert len(answered) >= len(QUESTIONS) // 2, "too few answers to compare the citations of"


def test_uploads_removals_and_files_changed_on_disk_update_the_milvus_store(tmp_path, seeds_copy, real_embedder):
    from rag.ui.documents import DocumentsTab
    from rag.ui.upload import Uploader

    store, uploads = f"milvus-lite:{tmp_path}/chat.db", tmp_path / "uploads"
    assistant = Assistant.open(seeds_copy, index_dir=tmp_path / "ix", embedder=real_embedder, answerer="rules",
                               uploads_dir=uploads, store=store, store_timeout=30)
    tab = DocumentsTab(assistant, Uploader(uploads, corpus_dir=seeds_copy))
    question = "How many metres did the Zorblax Glacier measure?"
    assert assistant.ask(question).refused

    given = tmp_path / "gradio-tmp" / "glacier.txt"  # as Gradio hands an upload over
    given.parent.mkdir()
    given.write_text(GLACIER.format("4,321"), encoding="utf-8")
    tab.add([str(given)], None, progress=lambda *a, **k: None)
    index = assistant.retriever.index
    assert isinstance(index.vectors, MilvusStore) and index.vectors.session.store == store
    assert "glacier" in index.doc_by_id and index.vectors.count(CHUNKS) == len(index.chunks) == len(index.lexical)
    answer = assistant.ask(question)
    assert answer.short_answer == "4,321" and answer.citations[0].doc_id == "glacier"

    tab.remove("glacier", None)
    assert "glacier" not in assistant.retriever.index.doc_by_id and assistant.ask(question).refused

    (seeds_copy / "glacier.txt").write_text(GLACIER.format("5,555"), encoding="utf-8")  # as the watcher sees it
    assert tab.refresh_from_disk() == "updated"
    index = assistant.retriever.index
    assert isinstance(index.vectors, MilvusStore) and index.vectors.count(CHUNKS) == len(index.chunks)
    assert assistant.ask(question).short_answer == "5,555"
