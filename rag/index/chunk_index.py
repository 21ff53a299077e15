"""The searchable index: chunks, their vectors, sentence vectors and BM25.

It takes vectors from an :class:`~rag.embedding.sentence_embedder.Embedder` at build time but never
loads a model itself. ``build`` embeds everything; ``update`` re-embeds only
documents whose text changed, reusing the stored vectors of the rest.

Shapes::

    chunks[i]            -> chunk_vectors row i          (n_chunks, dim)
    sentences[j]         -> sentence_vectors row j       (n_sentences, dim)
    chunk_sentences[i]   -> list of rows j of chunk i    (overlapping chunks share rows)
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from rag.chunking.chunker import Chunker
from rag.embedding.pooled import embed_with_spans
from rag.embedding.protocol import Embedder
from rag.ingest.files import is_html
from rag.ingest.html_text import to_plain
from rag.ingest.corpus import Corpus
from rag.index.bm25 import Lexical
from rag.records import Chunk, Document, Sentence
from rag.index.faiss_store import VectorIndex

FORMAT_VERSION = 2  # 2: every file checksummed (rag.index.generations), model identity by content
log = logging.getLogger("rag.index.chunk_index")


@dataclass(frozen=True)
class DocRecord:
    """What the index keeps of a document (the text stays in the file)."""

    id: str
    title: str
    path: str
    source: str | None
    date: str | None
    sha256: str
    n_chunks: int


def doc_hash(doc: Document) -> str:
    """Path, text and metadata: a changed sidecar or a better metadata reader updates the index too."""
    key = "\x00".join([doc.path, doc.text, doc.title, doc.source or "", doc.date or ""])
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def corpus_hash(hashes: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(hashes)).encode()).hexdigest()


def embed_text(path: str, text: str) -> str:
    """What the model and BM25 read: HTML loses its inline tags and entities."""
    return to_plain(text) if is_html(path) else text


@dataclass(frozen=True)
class Step:
    """Where a build is, for a progress bar: ``stage`` "parsing" (``name`` is the
    file being split into sentences) or "embedding"; ``done`` of ``total``.

    >>> Step("embedding", 64, 200).fraction
    0.32
    """

    stage: str
    done: int
    total: int
    name: str = ""

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


@dataclass
class BuildStats:
    documents: int = 0
    chunks: int = 0
    sentences: int = 0
    embedded: int = 0  # texts actually sent to the model (0 when nothing changed)
    reused_documents: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


class Index:
    """In-memory index; see :mod:`rag.index.codec` for disk I/O."""

    def __init__(self, *, docs: list[DocRecord], chunks: list[Chunk], chunk_vectors: VectorIndex,
                 sentences: list[Sentence], sentence_vectors: np.ndarray, model: str, chunking: dict,
                 model_id: str | None = None):
        self.docs = docs
        self.chunks = chunks
        self.chunk_vectors = chunk_vectors
        self.sentences = sentences
        self.sentence_vectors = sentence_vectors
        self.model = model
        self.model_id = model_id or model  # what made the vectors: a hash of the model's files
        self.chunking = chunking
        self.doc_by_id = {d.id: d for d in docs}
        row = {s.id: j for j, s in enumerate(sentences)}
        self.chunk_sentences = [np.array([row[s.id] for s in c.sentences], dtype=np.int64) for c in chunks]
        self.chunk_doc = [c.doc_id for c in chunks]
        self.lexical = Lexical().fit([embed_text(self.doc_by_id[c.doc_id].path, c.text) for c in chunks])
        self.stats = BuildStats(documents=len(docs), chunks=len(chunks), sentences=len(sentences))

    @property
    def dim(self) -> int:
        return int(self.sentence_vectors.shape[1])

    @property
    def corpus_hash(self) -> str:
        return corpus_hash([d.sha256 for d in self.docs])

    # -- building ---------------------------------------------------------
    @classmethod
    def build(cls, corpus: Corpus, embedder: Embedder, *, chunker: Chunker | None = None,
              previous: "Index | None" = None, progress: bool = False, vector_kind: str = "auto",
              report: Callable[[Step], None] | None = None) -> "Index":
        """Chunk and embed ``corpus``. With ``previous``, unchanged documents
        (same path and text) keep their chunks and vectors: an incremental update.
        ``report`` receives a :class:`Step` per new file parsed and per batch embedded."""
        t0 = time.perf_counter()
        chunker = chunker or Chunker()
        old_docs = previous.doc_by_id if previous else {}
        old_vec = previous._vectors_by_id() if previous else {}
        docs, chunks, reused, warnings = [], [], 0, list(corpus.warnings)
        digests = [doc_hash(doc) for doc in corpus.documents]
        changed = [d.id for d, h in zip(corpus.documents, digests) if getattr(old_docs.get(d.id), "sha256", None) != h]
        position = {doc_id: i for i, doc_id in enumerate(changed)}
        for doc, digest in zip(corpus.documents, digests):
            if doc.id not in position:
                doc_chunks = [c for c in previous.chunks if c.doc_id == doc.id]
                reused += 1
            else:
                if report:
                    report(Step("parsing", position[doc.id], len(changed), Path(doc.path).name))
                try:
                    doc_chunks = chunker.run(doc)
                except Exception as exc:  # noqa: BLE001 - one article never stops the others
                    log.exception("cannot chunk %s", doc.path)
                    warnings.append(f"{doc.path}: skipped, it could not be split into sentences "
                                    f"({type(exc).__name__}: {str(exc)[:200]}).")
                    continue
            chunks.extend(doc_chunks)
            docs.append(DocRecord(doc.id, doc.title, doc.path, doc.source, doc.date, digest, len(doc_chunks)))
        paths = {d.id: d.path for d in docs}
        sentences = list({s.id: s for c in chunks for s in c.sentences}.values())
        vec = dict(old_vec)
        embedded = cls._embed(chunks, sentences, paths, vec, embedder, progress, report)
        dim = embedder.dim
        stack = lambda ids: np.stack([vec[i] for i in ids]).astype(np.float32) if ids else np.zeros((0, dim), np.float32)
        index = cls(docs=docs, chunks=chunks,
                    chunk_vectors=VectorIndex(kind=vector_kind).fit(stack([c.id for c in chunks])),
                    sentences=sentences, sentence_vectors=stack([s.id for s in sentences]),
                    model=embedder.name, chunking=chunker.settings(), model_id=embedder.identity)
        index.stats = BuildStats(len(docs), len(chunks), len(sentences), embedded, reused,
                                 time.perf_counter() - t0, warnings)
        return index

    @staticmethod
    def _embed(chunks: list[Chunk], sentences: list[Sentence], paths: dict[str, str], known: dict[str, np.ndarray],
               embedder: Embedder, progress: bool, report: Callable[[Step], None] | None) -> int:
        """Add to ``known`` the vectors of the chunks and sentences it lacks; returns the texts sent to the model.
        Sentences go to the embedder with their chunk (:mod:`rag.embedding.pooled`), which may pool their
        vectors from the chunk's pass; an HTML article's sentences are embedded alone (the model reads its
        text without tags, so offsets differ)."""
        todo = {s.id for s in sentences if s.id not in known}
        texts, spans, keys = [], [], []
        for c in {c.id: c for c in chunks if c.id not in known}.values():
            todo.discard(c.id)  # a one-sentence chunk has its sentence's id: one text, one vector
            mine = [s for s in c.sentences if s.id in todo] if not is_html(paths[c.doc_id]) else []
            todo -= {s.id for s in mine}
            texts.append(embed_text(paths[c.doc_id], c.text))
            spans.append([(s.start - c.start, s.end - c.start) for s in mine])
            keys.append((c.id, [s.id for s in mine]))
        for s in sentences:
            if s.id in todo:
                texts.append(embed_text(paths[s.doc_id], s.text))
                spans.append([])
                keys.append((s.id, []))
        on_batch = (lambda done, total: report(Step("embedding", done, total))) if report else None
        vectors, pooled = embed_with_spans(embedder, texts, spans, progress=progress, on_batch=on_batch)
        for (key, sentence_keys), vector, row in zip(keys, vectors, pooled):
            known[key] = vector
            known.update(zip(sentence_keys, row))
        return len(texts) + (0 if embedder.pools_spans else sum(map(len, spans)))

    def _vectors_by_id(self) -> dict[str, np.ndarray]:
        vec = {c.id: v for c, v in zip(self.chunks, self.chunk_vectors.vectors)}
        vec.update({s.id: v for s, v in zip(self.sentences, self.sentence_vectors)})
        return vec

    def manifest(self) -> dict:
        return {
            "format": "rag-index", "format_version": FORMAT_VERSION, "model": self.model, "model_id": self.model_id,
            "dim": self.dim,
            "chunking": self.chunking, "corpus_hash": self.corpus_hash, "vector_kind": self.chunk_vectors.kind,
            "counts": {"documents": len(self.docs), "chunks": len(self.chunks), "sentences": len(self.sentences)},
            "documents": {d.id: {"path": d.path, "sha256": d.sha256} for d in self.docs},
        }
