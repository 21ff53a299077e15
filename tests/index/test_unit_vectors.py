"""Which texts a build sends to the model: each distinct text once, or (an embedder that pools spans)
one pass per chunk with its sentences pooled from it; updates pool only what changed (fake embedders)."""
from __future__ import annotations

import doctest

import numpy as np

from conftest import SEEDS, ChunkMeanFake, FakeEmbedder
from rag.index import unit_vectors
from rag.index.chunk_index import Index
from rag.index.open_index import open_index
from rag.index.protocols import CHUNKS, SENTENCES
from rag.ingest.corpus import Corpus
from rag.ingest.html_text import to_plain

CHANGED = "russia-turkey-crisis-talks.txt"
WORDS = FakeEmbedder()  # a second instance: its calls are not the model's


def pooled(span_text: str, context: np.ndarray) -> np.ndarray:
    """What PoolingFake makes of a span: its own words, leaning towards the text it was read in."""
    v = WORDS.embed([span_text])[0] + 0.5 * context
    return (v / np.linalg.norm(v)).astype(np.float32)


class PoolingFake(FakeEmbedder):
    """Pools spans from the text's own pass (no extra texts counted); a span that starts at or past
    ``limit`` characters cannot be pooled (as past a model's length limit) and comes back None."""

    name = "fake-pooling"

    def __init__(self, limit: int = 10**9):
        super().__init__()
        self.limit, self.span_calls = limit, []

    @property
    def pools_spans(self) -> bool:
        return True

    def embed_spans(self, texts, spans, *, progress=False):
        self.span_calls.append((list(texts), [list(row) for row in spans]))
        vectors = self.embed(texts)
        return vectors, [[None if a >= self.limit else pooled(t[a:b], v) for a, b in row]
                         for t, v, row in zip(texts, vectors, spans)]


def stored(index, collection, ids):
    return index.vectors._collections[collection].vectors(list(ids))


def expected_sentence_vectors(index, embedder_limit=10**9):
    """Each sentence: its chunk's vector when it is the whole chunk, else pooled from its first chunk
    (alone past the limit)."""
    first = {}
    for c in index.chunks:
        for s in c.sentences:
            first.setdefault(s.id, c)
    out = {}
    for s in index.sentences:
        c = first[s.id]
        if s.text == c.text:
            out[s.id] = WORDS.embed([c.text])[0]
        elif s.start - c.start >= embedder_limit:
            out[s.id] = WORDS.embed([s.text])[0]
        else:
            out[s.id] = pooled(s.text, WORDS.embed([c.text])[0])
    return out


def test_the_module_examples_run():
    assert doctest.testmod(unit_vectors).failed == 0


def test_without_pooling_each_distinct_text_is_read_once_and_sentences_alone():
    emb = FakeEmbedder()
    index = Index.build(Corpus.from_dir(SEEDS), emb)
    distinct = {c.text for c in index.chunks} | {s.text for s in index.sentences}
    assert index.stats.embedded == emb.texts_embedded == len(distinct)
    ids = [s.id for s in index.sentences]
    assert np.allclose(stored(index, SENTENCES, ids), WORDS.embed([s.text for s in index.sentences]), atol=1e-6)


def mean_of_sentences(chunk) -> np.ndarray:
    v = WORDS.embed([s.text for s in chunk.sentences]).mean(0)
    return v / np.linalg.norm(v)


def test_chunk_vectors_from_sentences_read_each_sentence_once_and_no_chunk_text():
    emb = ChunkMeanFake()
    index = Index.build(Corpus.from_dir(SEEDS), emb)
    sentences = {s.text for s in index.sentences}
    multi = [c for c in index.chunks if len(c.sentences) > 1]
    assert multi and not any(c.text in sentences for c in multi)  # several chunks are no sentence of their own
    assert index.stats.embedded == emb.texts_embedded == len(sentences)
    ids = [s.id for s in index.sentences]
    assert np.allclose(stored(index, SENTENCES, ids), WORDS.embed([s.text for s in index.sentences]), atol=1e-6)
    want = np.stack([mean_of_sentences(c) for c in index.chunks])
    assert np.allclose(stored(index, CHUNKS, [c.id for c in index.chunks]), want, atol=1e-6)
    assert not np.allclose(want, WORDS.embed([c.text for c in index.chunks]), atol=1e-3)  # not the chunk read whole


def test_an_update_with_chunk_means_reads_only_the_changed_article_and_makes_what_a_rebuild_makes(tmp_path,
                                                                                                   seeds_copy):
    emb, index_dir = ChunkMeanFake(), tmp_path / "idx"
    open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    path = seeds_copy / CHANGED
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n\nA second convoy of ambulances crossed "
                    "at Cilvegozu. Its drivers waited for six hours.\n", encoding="utf-8")
    before = emb.texts_embedded
    after, status = open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    changed = next(d.id for d in after.docs if d.path.endswith(CHANGED))
    assert status == "updated"
    assert 0 < emb.texts_embedded - before <= len({s.text for s in after.sentences if s.doc_id == changed})
    rebuilt = Index.build(Corpus.from_dir(seeds_copy), ChunkMeanFake())
    for collection, ids in ((CHUNKS, [c.id for c in rebuilt.chunks]), (SENTENCES, [s.id for s in rebuilt.sentences])):
        assert after.vectors.ids(collection) == set(ids)
        assert np.allclose(stored(after, collection, ids), stored(rebuilt, collection, ids), atol=1e-6)


def test_a_build_that_pools_reads_each_chunk_once_and_pools_its_sentences():
    emb = PoolingFake()
    index = Index.build(Corpus.from_dir(SEEDS), emb)
    chunk_texts = {c.text for c in index.chunks}
    assert len(index.sentences) > 2 * len(chunk_texts)  # the saving is real: several sentences a chunk
    assert index.stats.embedded == emb.texts_embedded == len(chunk_texts)
    assert sorted(t for texts, _ in emb.span_calls for t in texts) == sorted(chunk_texts)
    want = expected_sentence_vectors(index)
    assert np.allclose(stored(index, SENTENCES, want), np.stack(list(want.values())), atol=1e-6)
    assert np.allclose(stored(index, CHUNKS, [c.id for c in index.chunks]),
                       WORDS.embed([c.text for c in index.chunks]), atol=1e-6)


def test_a_span_the_model_cannot_pool_is_embedded_alone():
    emb = PoolingFake(limit=200)
    index = Index.build(Corpus.from_dir(SEEDS), emb)
    want = expected_sentence_vectors(index, embedder_limit=200)
    alone = {s.text for s in index.sentences if np.allclose(want[s.id], WORDS.embed([s.text])[0])} - \
        {c.text for c in index.chunks}
    assert alone  # some sentences start past 200 characters into their chunk
    assert np.allclose(stored(index, SENTENCES, want), np.stack(list(want.values())), atol=1e-6)
    assert index.stats.embedded == emb.texts_embedded == len({c.text for c in index.chunks}) + len(alone)


def test_an_html_article_s_sentences_are_embedded_alone(tmp_path):
    (tmp_path / "a.html").write_text("<html><body><p>The <b>convoy</b> left Idlib at dawn. It reached the "
                                     "border by noon. Officials counted forty trucks.</p></body></html>")
    (tmp_path / "b.txt").write_text("Talks resumed in Ankara. The envoys met for six hours. Nothing was signed.\n")
    emb = PoolingFake()
    index = Index.build(Corpus.from_dir(tmp_path), emb)
    html_doc = next(d.id for d in index.docs if d.path.endswith("a.html"))
    html = [s for s in index.sentences if s.doc_id == html_doc]
    text = [s for s in index.sentences if s.doc_id != html_doc]
    assert len(html) >= 2 and len(text) >= 2
    # the model reads HTML without its tags, so the chunk's offsets do not hold: each sentence alone
    alone = WORDS.embed([to_plain(s.text) for s in html])
    assert "<b>" in html[0].text and np.allclose(stored(index, SENTENCES, [s.id for s in html]), alone, atol=1e-6)
    assert not np.allclose(stored(index, SENTENCES, [s.id for s in text]), WORDS.embed([s.text for s in text]))


def test_an_update_pools_only_the_changed_article_and_makes_what_a_rebuild_makes(tmp_path, seeds_copy):
    emb, index_dir = PoolingFake(), tmp_path / "idx"
    before, _ = open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    old_labels = dict(before.vectors._collections[SENTENCES].label_of)
    old_payload = dict(before.vectors._collections[SENTENCES].payload)
    path = seeds_copy / CHANGED
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n\nA second convoy of ambulances crossed "
                    "at Cilvegozu. Its drivers waited for six hours.\n", encoding="utf-8")
    emb.span_calls.clear()
    after, status = open_index(seeds_copy, embedder=emb, index_dir=index_dir)
    assert status == "updated"
    changed = next(d.id for d in after.docs if d.path.endswith(CHANGED))
    new_labels = after.vectors._collections[SENTENCES].label_of
    sent = {t for texts, _ in emb.span_calls for t in texts}
    assert sent and sent <= {c.text for c in after.chunks if c.doc_id == changed}
    others = {i: label for i, label in old_labels.items() if old_payload[label]["doc_id"] != changed}
    assert others and {i: new_labels[i] for i in others} == others  # untouched: not re-added

    rebuilt = Index.build(Corpus.from_dir(seeds_copy), PoolingFake())
    for collection, ids in ((CHUNKS, [c.id for c in rebuilt.chunks]), (SENTENCES, [s.id for s in rebuilt.sentences])):
        assert after.vectors.ids(collection) == set(ids)
        assert np.allclose(stored(after, collection, ids), stored(rebuilt, collection, ids), atol=1e-6)
