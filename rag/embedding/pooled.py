"""Texts and the character spans inside them in one model pass: chunk vectors and sentence vectors together.

A build used to embed every sentence a second time on its own, beside the chunk that holds it
(~6 sentences a chunk). :meth:`Embedder.embed_spans` pools a sentence's vector from the token
states of its chunk's forward pass instead; this module batches that call for a progress bar and
embeds on its own any span the model could not pool (cut off by its length limit).

Example:
    >>> import numpy as np
    >>> from rag.embedding.protocol import Embedder
    >>> class Length(Embedder):
    ...     dim = 2
    ...     def embed(self, texts, *, progress=False):
    ...         return np.array([[len(t), 1.0] for t in texts], np.float32)
    >>> texts, spans, alone = embed_with_spans(Length(), ["ab cd", "efg"], [[(0, 2), (3, 5)], []])
    >>> texts[:, 0].tolist(), [[float(v[0]) for v in row] for row in spans], alone
    ([5.0, 3.0], [[2.0, 2.0], []], 2)
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from rag.embedding.protocol import Embedder

BATCH = 64  # texts per model call when someone watches the progress


def embed_with_spans(embedder: Embedder, texts: list[str], spans: list[list[tuple[int, int]]], *,
                     progress: bool = False, on_batch: Callable[[int, int], None] | None = None,
                     ) -> tuple[np.ndarray, list[list[np.ndarray]], int]:
    """``(vectors of texts, vectors of each span of each text, spans the model read on their own)``:
    an embedder that pools spans reads a span alone only where it could not pool it; one that does
    not pool reads every span alone. ``on_batch(done, total)`` is called before each batch of
    :data:`BATCH` texts and once at the end."""
    if on_batch is None or progress or not texts:
        vectors, pooled = embedder.embed_spans(texts, spans, progress=progress)
    else:
        parts, pooled = [], []
        for start in range(0, len(texts), BATCH):
            on_batch(start, len(texts))
            v, p = embedder.embed_spans(texts[start : start + BATCH], spans[start : start + BATCH])
            parts.append(v)
            pooled += p
        on_batch(len(texts), len(texts))
        vectors = np.concatenate(parts)
    missing = [(i, j) for i, row in enumerate(pooled) for j, v in enumerate(row) if v is None]
    wanted = [texts[i][slice(*spans[i][j])] for i, j in missing]
    unique = list(dict.fromkeys(wanted))  # a span text repeated elsewhere is read once
    if missing:
        row = dict(zip(unique, embedder.embed(unique)))
        for (i, j), text in zip(missing, wanted):
            pooled[i][j] = row[text]
    spans_alone = len(unique) if embedder.pools_spans else sum(map(len, spans))
    return vectors, pooled, spans_alone
