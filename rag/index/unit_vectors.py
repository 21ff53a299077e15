"""The vectors of the chunks and sentences a build must (re-)embed, in as few model passes as it can.

:meth:`Index._sync <rag.index.chunk_index.Index._sync>` decides *which* ids need vectors; this
module decides *how* they are made, and stays ignorant of models by asking the
:class:`~rag.embedding.protocol.Embedder` only:

- when chunk vectors come from sentences (``embedder.chunks_from_sentences``, the default of
  :class:`~rag.embedding.sentence_embedder.SentenceTransformerEmbedder`), each distinct sentence
  text is embedded once, on its own, and a chunk's vector is the normalised mean of its
  sentences' vectors: one model pass over the sentences, none over the chunks. Sentence vectors
  are those of the other ways (what the answerer's thresholds were calibrated on); SQuAD recall
  holds (see ``WHY_MEAN``);
- otherwise every distinct text (chunk or sentence) is embedded once: a one-sentence chunk and
  its sentence, or a sentence repeated in two articles, cost one text;
- when the embedder pools spans (``embedder.pools_spans``: ``pool_sentences=True`` on ONNX
  Runtime), each distinct chunk text goes to :meth:`Embedder.embed_spans` with the character
  spans of the new sentences it holds, and those sentences get vectors pooled from the chunk's
  own pass (:mod:`rag.embedding.pooled`). A sentence is pooled from the first new chunk holding it
  (the chunk that owns it in a full build, so an update makes the vectors a rebuild would); a
  sentence whose text is its chunk's shares the chunk's vector; a sentence with no new chunk, or
  in a chunk whose model text is not its raw text (HTML loses its tags, so offsets differ), or a
  span the model could not pool, is embedded alone.

Example (a fake embedder that does not pool: each distinct text once):
    >>> import numpy as np
    >>> from rag.records import Chunk, Sentence
    >>> from rag.embedding.protocol import Embedder
    >>> class Length(Embedder):
    ...     dim = 2
    ...     def embed(self, texts, *, progress=False):
    ...         return np.array([[len(t), 1.0] for t in texts], np.float32)
    >>> s = Sentence("s1", "d", 0, 3, "One")
    >>> c = Chunk("c1", "d", 0, 3, "One", 1, (s,))
    >>> out = unit_vectors([c], [s], lambda u: u.text, Length())
    >>> out.embedded, out.chunks[:, 0].tolist(), out.sentences[:, 0].tolist()
    (1, [3.0], [3.0])
"""
# WHY_MEAN: SQuAD v2.0 dev protocol (benchmarks/bench_retrieval.py: fusion weights tuned on half the 5,928
# questions, reported on the other half): chunk vectors embedded on their own, weights (0.2, 0.55, 0.25):
# R@1 0.854, MRR@10 0.907; the mean of the sentences' vectors, weights tuned the same way (0.0, 0.7, 0.3):
# R@1 0.856 (fp32) and 0.858 (the int8 graph), MRR@10 0.907. With those weights a chunk's own cosine only
# gathers the dense candidates (the best sentence carries the dense signal), and a build reads each
# sentence once instead of each sentence and each chunk (the chunks are as many tokens again).
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from rag.embedding.pooled import embed_with_spans
from rag.embedding.protocol import Embedder
from rag.records import Chunk, Sentence


@dataclass(frozen=True)
class UnitVectors:
    """Row ``i`` of ``chunks``/``sentences`` belongs to the ``i``-th chunk/sentence asked for;
    ``embedded`` counts the texts the model read (a pooled sentence costs none)."""

    chunks: np.ndarray
    sentences: np.ndarray
    embedded: int


def unit_vectors(chunks: list[Chunk], sentences: list[Sentence], text_of: Callable[[Chunk | Sentence], str],
                 embedder: Embedder, *, progress: bool = False,
                 on_batch: Callable[[int, int], None] | None = None) -> UnitVectors:
    """Vectors of ``chunks`` and ``sentences``; ``text_of(unit)`` is what the model reads of a unit;
    ``on_batch(done, total)`` is called per batch of texts when someone watches."""
    if embedder.chunks_from_sentences:
        return _from_sentences(chunks, sentences, text_of, embedder, progress=progress, on_batch=on_batch)
    chunk_texts = [text_of(c) for c in chunks]
    sentence_texts = [text_of(s) for s in sentences]
    holder = _holders(chunks, chunk_texts, sentences) if embedder.pools_spans else {}
    texts = list(dict.fromkeys(chunk_texts))  # the texts the model reads, each once
    row = {t: i for i, t in enumerate(texts)}
    spans: list[dict[tuple[int, int], int]] = [{} for _ in texts]  # per text: span -> its slot
    where: list[tuple[int, tuple[int, int] | None]] = []            # per sentence: (text row, span or None)
    for s, text in zip(sentences, sentence_texts):
        c = holder.get(s.id)
        if text in row or c is None:  # its chunk's text, a text seen before, or nothing to pool it from
            where.append((row.setdefault(text, len(row)), None))
            if len(row) > len(texts):
                texts.append(text)
                spans.append({})
            continue
        span = (s.start - c.start, s.end - c.start)
        spans[row[text_of(c)]].setdefault(span, len(spans[row[text_of(c)]]))
        where.append((row[text_of(c)], span))
    if not texts:
        empty = np.zeros((0, embedder.dim), np.float32)
        return UnitVectors(empty, empty, 0)
    vectors, pooled, alone = embed_with_spans(embedder, texts, [list(s) for s in spans], progress=progress,
                                              on_batch=on_batch)
    dim = vectors.shape[1]
    sentence_vectors = np.array([vectors[r] if span is None else pooled[r][spans[r][span]] for r, span in where],
                                np.float32).reshape(len(sentences), dim)
    chunk_vectors = vectors[[row[t] for t in chunk_texts]].reshape(len(chunks), dim)
    return UnitVectors(chunk_vectors, sentence_vectors, len(texts) + alone)


def _from_sentences(chunks: list[Chunk], sentences: list[Sentence], text_of: Callable[[Chunk | Sentence], str],
                    embedder: Embedder, *, progress: bool,
                    on_batch: Callable[[int, int], None] | None) -> UnitVectors:
    """Each distinct sentence text (of ``sentences`` and of the chunks' sentences) read once; a chunk's
    vector the normalised mean of its sentences' (a chunk without sentences is read as a whole)."""
    units = [*sentences, *(s for c in chunks for s in c.sentences)] + [c for c in chunks if not c.sentences]
    texts = list(dict.fromkeys(text_of(u) for u in units))
    if not texts:
        empty = np.zeros((0, embedder.dim), np.float32)
        return UnitVectors(empty, empty, 0)
    vectors, _, _ = embed_with_spans(embedder, texts, [[] for _ in texts], progress=progress, on_batch=on_batch)
    row = {t: i for i, t in enumerate(texts)}
    means = np.stack([vectors[[row[text_of(s)] for s in c.sentences]].mean(0) if c.sentences else
                      vectors[row[text_of(c)]] for c in chunks]) if chunks else np.zeros((0, vectors.shape[1]))
    means = means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
    sentence_vectors = vectors[[row[text_of(s)] for s in sentences]].reshape(len(sentences), vectors.shape[1])
    return UnitVectors(means.astype(np.float32), sentence_vectors.astype(np.float32, copy=False), len(texts))


def _holders(chunks: list[Chunk], chunk_texts: list[str], sentences: list[Sentence]) -> dict[str, Chunk]:
    """Sentence id -> the first of ``chunks`` holding it whose model text is its raw text (offsets hold)."""
    wanted, found = {s.id for s in sentences}, {}
    for c, text in zip(chunks, chunk_texts):
        if text != c.text:
            continue
        for s in c.sentences:
            if s.id in wanted:
                found.setdefault(s.id, c)
    return found
