"""The real model, a real FAISS index on disk, the five bundled articles."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from rag.index.open_index import open_index
from rag.errors import QueryError
from rag.index.codec import load
from rag.retrieval.retriever import Retriever

from conftest import ROOT

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def retriever(tmp_path_factory, real_embedder):
    index_dir = tmp_path_factory.mktemp("index")
    index, status = open_index(ROOT / "seeds", embedder=real_embedder, index_dir=index_dir)
    assert status == "built"
    return Retriever(index, real_embedder)


def _top_texts(r, q, k=3):
    return [p.text for p in r.search(q, k=k)]


def test_turkish_troops_question_finds_33_in_top_3(retriever):
    assert any("33 Turkish soldiers" in t for t in _top_texts(retriever, "how many soldiers from Turkey lost their lives?"))


@pytest.mark.parametrize("question,word", [
    ("Which Russian frigate sailed through the Bosphorus?", "Admiral Makarov"),
    ("What was the name of the ship Admiral Makarov?", "Admiral Makarov"),
    ("What cruise missiles did the warships carry?", "Kalibr"),
    ("Kalibr", "Kalibr"),
])
def test_names_are_found(retriever, question, word):
    assert any(word in t for t in _top_texts(retriever, question))


def test_passages_carry_exact_offsets_and_best_sentences(retriever):
    for p in retriever.search("Who is NATO's secretary-general?", k=5):
        source = open(ROOT / p.source_path, encoding="utf-8").read()
        assert source[p.start:p.end] == p.text
        assert p.sentences and all(source[s.start:s.end] == s.text for s in p.sentences)
        assert p.title and p.source_path.startswith("seeds/")
    top = retriever.search("Who is NATO's secretary-general?", k=1)[0]
    assert "Stoltenberg" in top.sentences[0].text


def test_one_document_does_not_fill_every_slot(retriever):
    passages = retriever.search("Lavrov said", k=4)
    docs = [p.doc_id for p in passages]
    assert len(passages) == 4 and max(docs.count(d) for d in docs) <= 2


def test_filters(retriever):
    only = retriever.search("Turkish soldiers", k=5, doc_ids=["erdogan-putin-agree-to-meet"])
    assert only and {p.doc_id for p in only} == {"erdogan-putin-agree-to-meet"}
    dated = retriever.search("Turkish soldiers", k=5, date_from="2020-02-01", date_to="2020-02-29")
    assert {p.doc_id for p in dated} == {"russia-turkey-crisis-talks"}  # the only article with a known date
    assert retriever.search("Turkish soldiers", k=5, date_to="2019-01-01") == []


def test_bad_questions(retriever):
    with pytest.raises(QueryError, match="empty"):
        retriever.search("   \n\t ")
    with pytest.raises(QueryError, match="100,000 characters"):
        retriever.search("x" * 100_000)


def test_update_reembeds_only_the_changed_article(seeds_copy, tmp_path, real_embedder):
    index_dir = tmp_path / "ix"
    first, _ = open_index(seeds_copy, embedder=real_embedder, index_dir=index_dir)
    (seeds_copy / "extra.txt").write_text("Harbour reopens\nThe harbour of Zanthia reopened after 14 weeks.\n")
    second, status = open_index(seeds_copy, embedder=real_embedder, index_dir=index_dir)
    assert status == "updated"
    assert second.stats.reused_documents == 5
    assert second.stats.embedded <= 4  # the new chunk and its sentences only
    r = Retriever(second, real_embedder)
    assert r.search("How long was the Zanthia harbour closed?", k=1)[0].doc_id == "extra"
    third, status = open_index(seeds_copy, embedder=real_embedder, index_dir=index_dir)
    assert status == "loaded"


def test_killing_a_build_leaves_the_previous_index_loadable(seeds_copy, tmp_path):
    index_dir = tmp_path / "ix"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "rag.cli", "index", str(seeds_copy), "--index-dir", str(index_dir)]
    assert subprocess.run(cmd, env=env, capture_output=True).returncode == 0
    before = load(index_dir)
    # Grow the corpus so the next build has real work, then kill it mid-way.
    for i in range(40):
        # Distinct sentences: the build embeds a repeated text once.
        (seeds_copy / f"bulk{i}.txt").write_text(f"Bulk {i}\n" + "".join(
            f"The committee met on day {j} of session {i} and talked about item {i * 1000 + j}. " for j in range(200)))
    proc = subprocess.Popen(cmd + ["--rebuild"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(6)  # model loaded, chunking or embedding under way (the store test covers the write phase)
    assert proc.poll() is None, "the build finished before it could be killed; grow the bulk corpus"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    after = load(index_dir)  # must not raise
    assert [c.id for c in after.chunks] == [c.id for c in before.chunks]
