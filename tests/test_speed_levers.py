"""Issue 14's levers keep what they must: sentence vectors pooled from the chunk's pass, the lean
splitter, the stat-first open, and a `rag search` that never imports torch."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from rag.chunking.sentences import _nlp, split_sentences
from rag.embedding.pooled import embed_with_spans
from rag.index.open_index import STAMPS, open_index
from rag.ingest import corpus as corpus_module
from rag.records import Span
from tests.conftest import ROOT, SEEDS, FakeEmbedder

TEXT = "The frigate sailed at dawn. Officials in Ankara said talks would resume on Feb. 24. Nobody came."


def spans_of(text: str) -> list[tuple[int, int]]:
    return [(s.start, s.end) for s in split_sentences(text, [Span(0, len(text))])[0]]


def test_default_embed_spans_embeds_each_span_alone():
    emb = FakeEmbedder()
    texts, pooled, alone = embed_with_spans(emb, [TEXT, "Short one."], [spans_of(TEXT), []])
    assert alone == len(spans_of(TEXT))
    assert np.allclose(texts, emb.embed([TEXT, "Short one."]))
    assert np.allclose(np.stack(pooled[0]), emb.embed([TEXT[a:b] for a, b in spans_of(TEXT)]))
    assert pooled[1] == []


def test_batched_progress_reports_each_batch_and_the_end():
    seen = []
    texts = [f"text number {i}." for i in range(130)]
    vectors, _, _ = embed_with_spans(FakeEmbedder(), texts, [[] for _ in texts], on_batch=lambda d, t: seen.append((d, t)))
    assert vectors.shape == (130, 64) and seen == [(0, 130), (64, 130), (128, 130), (130, 130)]


def test_the_splitter_runs_senter_alone_with_the_sentences_of_the_fuller_pipeline():
    from rag.text.language import load_spacy, references_as_punctuation

    assert _nlp().pipe_names == ["senter"]
    fuller = load_spacy(exclude=["parser", "ner", "lemmatizer", "attribute_ruler", "tagger"])
    fuller.enable_pipe("senter")
    fuller = references_as_punctuation(fuller)
    assert "tok2vec" in fuller.pipe_names
    text = TEXT + " He said.[2] The U.S. envoy left on Monday; “We will see,” he said. Then rain."
    want = [(s.start_char, s.end_char) for s in fuller(text).sents]
    got = [(s.start_char, s.end_char) for s in _nlp()(text).sents]
    assert got == want and len(got) >= 5


def test_an_unchanged_folder_opens_without_reading_an_article(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for f in SEEDS.glob("*.txt"):
        (corpus / f.name).write_bytes(f.read_bytes())
    emb, index_dir = FakeEmbedder(), tmp_path / "index"
    built, status = open_index(corpus, embedder=emb, index_dir=index_dir)
    assert status == "built" and (index_dir / STAMPS).is_file()

    def no_read(*args, **kwargs):
        raise AssertionError("the corpus was read")

    with monkeypatch.context() as m:
        m.setattr(corpus_module.Corpus, "from_dir", no_read)
        m.setattr("rag.index.open_index.Corpus.from_dir", no_read)
        loaded, status = open_index(corpus, embedder=emb, index_dir=index_dir)
    assert status == "loaded" and loaded.corpus_hash == built.corpus_hash

    first = sorted(corpus.glob("*.txt"))[0]
    st = first.stat()
    os.utime(first, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # a touch: new stat, same bytes
    embedded = emb.texts_embedded
    assert open_index(corpus, embedder=emb, index_dir=index_dir)[1] == "loaded"
    assert emb.texts_embedded == embedded

    first.write_text(first.read_text(encoding="utf-8") + "\nA new closing line was added.\n", encoding="utf-8")
    index, status = open_index(corpus, embedder=emb, index_dir=index_dir)
    assert status == "updated" and emb.texts_embedded > embedded
    assert open_index(corpus, embedder=emb, index_dir=index_dir)[1] == "loaded"


def test_a_damaged_stamp_file_costs_a_read_not_a_wrong_answer(tmp_path):
    emb, index_dir = FakeEmbedder(), tmp_path / "index"
    open_index(SEEDS, embedder=emb, index_dir=index_dir)
    (index_dir / STAMPS).write_text("{not json", encoding="utf-8")
    index, status = open_index(SEEDS, embedder=emb, index_dir=index_dir)
    assert status == "loaded" and len(index.docs) == 5


@pytest.mark.integration
def test_pooled_sentence_vectors_come_from_the_chunk_pass_of_the_real_model():
    from rag.embedding.sentence_embedder import SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder(backend="onnx", pool_sentences=True)
    assert emb.pools_spans and not SentenceTransformerEmbedder().pools_spans
    assert emb.identity.endswith("+pooled-sentences")
    spans = spans_of(TEXT)
    texts, pooled = emb.embed_spans([TEXT, "x " * 600], [spans, [(1190, 1199)]])
    assert np.allclose(texts, emb.embed([TEXT, "x " * 600]), atol=1e-5)
    alone = emb.embed([TEXT[a:b] for a, b in spans])
    cos = [float(p @ a) for p, a in zip(pooled[0], alone)]
    assert all(abs(np.linalg.norm(p) - 1) < 1e-5 for p in pooled[0])
    assert min(cos) > 0.6, cos  # the same sentence, read in its context
    assert pooled[1] == [None]  # past the model's 256 tokens: nothing to pool, the caller embeds it alone


@pytest.mark.integration
def test_int8_graph_stays_close_to_fp32():
    from rag.embedding.sentence_embedder import SentenceTransformerEmbedder

    texts = [TEXT, "Which ministry reported the attack?", "Rain fell over the capital on Monday."]
    fp32 = SentenceTransformerEmbedder(backend="onnx", precision="fp32").embed(texts)
    int8 = SentenceTransformerEmbedder()  # the default, when ONNX Runtime serves
    assert int8.precision == "int8" and int8.identity.endswith("+int8+chunk-mean")
    assert SentenceTransformerEmbedder(backend="torch").precision == "fp32"  # no int8 graph on PyTorch
    cos = (fp32 * int8.embed(texts)).sum(1)
    # per-channel scales: about 0.006 from fp32 on average, short texts up to ~0.012 (one scale per matrix: 0.10)
    assert float(cos.mean()) > 0.99 and float(cos.min()) > 0.98, cos
    # its activations are quantised per batch, so each text is read alone: batch mates never move a vector
    mates = int8.embed(texts + ["Parliament adjourned after a long debate on the budget. " * 12])[:3]
    alone = np.stack([int8.embed([t])[0] for t in texts])
    assert np.allclose(mates, alone, atol=1e-6)


@pytest.mark.integration
def test_rag_search_never_imports_torch_when_onnx_serves(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    probe = ("import runpy, sys; sys.argv = ['rag', 'search', 'soldiers killed in Idlib', '--corpus', sys.argv[1],"
             " '--index-dir', sys.argv[2]]\ntry:\n    runpy.run_module('rag.cli', run_name='__main__')\n"
             "except SystemExit:\n    pass\nprint('torch' in sys.modules, 'gradio' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe, str(SEEDS), str(tmp_path / "index")], env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "idlib" in out.stdout.lower() and out.stdout.strip().splitlines()[-1] == "False False"


@pytest.mark.integration
def test_a_pooled_build_with_the_real_model_reads_each_chunk_once(tmp_path):
    from rag.embedding.sentence_embedder import SentenceTransformerEmbedder
    from rag.index.codec import load, read_manifest

    emb = SentenceTransformerEmbedder(backend="onnx", pool_sentences=True)
    index, status = open_index(SEEDS, embedder=emb, index_dir=tmp_path / "idx")
    chunk_texts = {c.text for c in index.chunks}
    assert status == "built" and len(index.sentences) > 2 * len(chunk_texts)
    # every chunk read once; a sentence the model cannot pool (past its 256 tokens) is rare
    assert len(chunk_texts) <= index.stats.embedded <= len(chunk_texts) + len(index.sentences) // 10
    first = {}
    for c in index.chunks:
        for s in c.sentences:
            first.setdefault(s.id, c)
    c = next(c for c in index.chunks if len(c.sentences) >= 3 and all(first[s.id] is c for s in c.sentences))
    s = c.sentences[1]
    _, pooled, _ = embed_with_spans(emb, [c.text], [[(s.start - c.start, s.end - c.start)]])
    reloaded = load(tmp_path / "idx")
    got = reloaded.vectors._collections["sentences"].vectors([s.id])[0]
    assert float(got @ pooled[0][0]) > 0.9999  # the vector of the chunk's pass, saved and loaded
    assert float(got @ emb.embed([s.text])[0]) < 0.999  # not the sentence read alone
    assert read_manifest(tmp_path / "idx")["model_id"].endswith("+pooled-sentences")
    hits = reloaded.vectors.search("sentences", emb.embed([s.text])[0], 3)
    assert s.id in [h.id for h in hits]
