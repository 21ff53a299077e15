"""Build an index with the parsing, chunking and embedding spread over workers
(``rag index --workers N`` on this machine, ``--ray ADDRESS`` on a Ray cluster).

:meth:`Index.build` does three things for each new or changed document: split
it into sentences and chunks ("parse+chunk", spaCy), embed every chunk and
sentence ("embed", the model: about 25 passages/s per core) and write the
stores. The first two are a pure map, so they run first, as two stages of
:class:`~rag.index.workers.Workers` tasks with a progress bar each; then
``Index.build`` runs as usual with a chunker and an embedder that answer from
the map's results. The index written is the single-process one by
construction (same ids, same payloads, same updates); only the vectors may
differ in the last float bits, as batches are grouped differently.

Example (the one-process map; tests/index/test_parallel_build.py runs processes and Ray):
    >>> index = build_parallel(Corpus.from_dir("seeds"), FakeEmbedder(), workers=2)  # doctest: +SKIP
"""
from __future__ import annotations

import numpy as np

from rag.chunking.chunker import Chunker
from rag.embedding.protocol import Embedder
from rag.index.chunk_index import Index, doc_hash, embed_text
from rag.index.workers import Workers
from rag.ingest.corpus import Corpus

DOCS_PER_TASK = 8     # documents per parse+chunk task: small, so the bar moves and the workers stay even
TEXTS_PER_TASK = 256  # texts per embedding task: a few model batches, so a task costs more than its shipping


class _Chunked:
    """A chunker that returns the map's chunks (or raises its error) for the documents it saw."""

    def __init__(self, chunker: Chunker, results: dict):
        self._chunker, self._results = chunker, results

    def settings(self) -> dict:
        return self._chunker.settings()

    def run(self, doc):
        found = self._results.get(doc.id)
        if found is None:
            return self._chunker.run(doc)
        if isinstance(found, BaseException):
            raise found
        return found


class _Embedded(Embedder):
    """An embedder that returns the map's vectors, and asks the real one only for a text it lacks."""

    def __init__(self, embedder: Embedder, vectors: dict[str, np.ndarray]):
        self._embedder, self._vectors = embedder, vectors
        self.name = embedder.name

    @property
    def identity(self) -> str:
        return self._embedder.identity

    @property
    def chunks_from_sentences(self) -> bool:
        return self._embedder.chunks_from_sentences

    @property
    def dim(self) -> int:
        return len(next(iter(self._vectors.values()))) if self._vectors else self._embedder.dim

    def embed(self, texts, *, progress: bool = False) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            self._vectors.update(zip(missing, self._embedder.embed(missing)))
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([self._vectors[t] for t in texts]).astype(np.float32, copy=False)


def _batches(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def build_parallel(corpus: Corpus, embedder: Embedder, *, chunker: Chunker | None = None,
                   previous: Index | None = None, workers: int = 1, ray_address: str | None = None,
                   **build_kwargs) -> Index:
    """:meth:`Index.build` with parse+chunk and embed mapped over ``workers`` processes or the
    Ray cluster at ``ray_address``; the other keyword arguments go to ``Index.build``."""
    if embedder.pools_spans:  # the map embeds texts alone; pooled sentence vectors would be saved as plain ones
        raise ValueError(f"{embedder.name} pools sentence vectors from their chunk (pool_sentences), which a "
                         "parallel build cannot do yet; build with one worker, or turn pool_sentences off.")
    chunker = chunker or Chunker()
    old = previous.doc_by_id if previous else {}
    todo = [d for d in corpus.documents if getattr(old.get(d.id), "sha256", None) != doc_hash(d)]
    with Workers(chunker, embedder, workers=workers, ray_address=ray_address) as pool:
        batches = _batches(todo, DOCS_PER_TASK)
        parts = pool.map("chunk", batches, desc="parse+chunk", sizes=[len(b) for b in batches])
        results = {doc_id: found for part in parts for doc_id, found in part}
        path = {d.id: d.path for d in todo}
        mean = embedder.chunks_from_sentences  # a chunk's vector from its sentences': its own text is not read
        texts = list(dict.fromkeys(
            embed_text(path[unit.doc_id], unit.text)
            for found in results.values() if not isinstance(found, BaseException)
            for chunk in found for unit in ((*chunk.sentences,) if mean and chunk.sentences else
                                            (chunk, *chunk.sentences))))
        batches = _batches(texts, TEXTS_PER_TASK)
        parts = pool.map("embed", batches, desc="embed", sizes=[len(b) for b in batches])
    vectors = dict(zip(texts, (row for part in parts for row in part)))
    return Index.build(corpus, _Embedded(embedder, vectors), chunker=_Chunked(chunker, results),
                       previous=previous, **build_kwargs)
