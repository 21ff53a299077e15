"""The searchable index: documents, chunks, and two stores keyed by chunk and sentence id.

It takes vectors from an :class:`~rag.embedding.protocol.Embedder` at build time but never
loads a model itself. ``build`` embeds everything; with ``previous`` it is an
incremental update that deletes and upserts the ids of changed documents only.

Where things are::

    vectors  (VectorStore)   "chunks":    chunk id    -> vector, payload {doc_id, date}
                             "sentences": sentence id -> vector, payload {doc_id, date, chunk_id}
    lexical  (LexicalIndex)  chunk id -> BM25 terms,     payload {doc_id, date}
    chunks[i].sentences      the sentences of a chunk (overlapping chunks share sentence ids)

The payload date is "" when a document has none (a date filter never admits it).
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Mapping

from rag.chunking.chunker import Chunker
from rag.embedding.protocol import Embedder
from rag.ingest.files import is_html
from rag.ingest.html_text import to_plain
from rag.ingest.corpus import Corpus
from rag.index.bm25 import Bm25Index
from rag.index.chunk_columns import sentence_count
from rag.index.faiss_store import FaissStore
from rag.index.protocols import CHUNKS, SENTENCES, LexicalIndex, VectorStore
from rag.index.unit_vectors import unit_vectors
from rag.records import Chunk, Document, Sentence

# 2: every file checksummed (rag.index.generations), model identity by content;
# 3: vectors by id in a FaissStore (chunks and sentences collections), BM25 saved with the generation;
# 4: documents, chunks and id maps as columns (rag.index.columns), read without decoding them (3 still loads).
FORMAT_VERSION = 4
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
    """Path, text and metadata: a changed sidecar or a better metadata reader updates the index too.
    A document not read again (rag.index.unread.KnownDocument) carries its previous hash."""
    known = getattr(doc, "sha256", None)
    if known:
        return known
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
    """In-memory index: documents and chunks, a :class:`VectorStore` of chunk and sentence
    vectors and a :class:`LexicalIndex` of chunk texts, all keyed by chunk/sentence id.
    See :mod:`rag.index.codec` for disk I/O."""

    def __init__(self, *, docs: list[DocRecord], chunks: list[Chunk], vectors: VectorStore, lexical: LexicalIndex,
                 dim: int, model: str, chunking: dict, model_id: str | None = None, sentence_count: int | None = None):
        self.docs = docs
        self.chunks = chunks
        self.vectors = vectors
        self.lexical = lexical
        self.dim = dim
        self.model = model
        self.model_id = model_id or model  # what made the vectors: a hash of the model's files
        self.chunking = chunking
        self.doc_by_id = _by_id(docs)
        self.chunk_by_id = _by_id(chunks)
        count = self.sentence_count() if sentence_count is None else sentence_count  # a load knows it
        self.stats = BuildStats(documents=len(docs), chunks=len(chunks), sentences=count)

    def sentence_count(self) -> int:
        """``len(self.sentences)``, without making the sentences of chunks that make them lazily."""
        return sentence_count(self.chunks)

    @cached_property
    def sentences(self) -> list[Sentence]:
        """Overlapping chunks share sentences: one entry (and one vector) per sentence id. Made on first
        use: a loaded index's chunks make their sentences when read (rag.index.codec.LoadedChunk)."""
        return list({s.id: s for c in self.chunks for s in c.sentences}.values())

    @property
    def corpus_hash(self) -> str:
        return corpus_hash([d.sha256 for d in self.docs])

    # -- building ---------------------------------------------------------
    @classmethod
    def build(cls, corpus: Corpus, embedder: Embedder, *, chunker: Chunker | None = None,
              previous: "Index | None" = None, progress: bool = False, vector_kind: str = "auto",
              report: Callable[[Step], None] | None = None,
              stores: "tuple[VectorStore, LexicalIndex] | None" = None) -> "Index":
        """Chunk and embed ``corpus``. With ``previous``, an incremental update: unchanged
        documents (same path, text and metadata) keep their chunks, and ``previous``'s
        stores are updated in place (so ``previous`` must not be used afterwards):
        only the ids of changed or removed documents are deleted or upserted.
        ``report`` receives a :class:`Step` per new file parsed and per batch embedded.
        ``stores``: empty stores to fill instead of a new FaissStore and Bm25Index (e.g. Milvus)."""
        t0 = time.perf_counter()
        chunker = chunker or Chunker()
        old_docs = previous.doc_by_id if previous else {}
        docs, chunks, reused, warnings = [], [], set(), list(corpus.warnings)
        digests = [doc_hash(doc) for doc in corpus.documents]
        changed = [d.id for d, h in zip(corpus.documents, digests) if getattr(old_docs.get(d.id), "sha256", None) != h]
        position = {doc_id: i for i, doc_id in enumerate(changed)}
        old_chunks = {}
        for c in previous.chunks if previous else ():
            old_chunks.setdefault(c.doc_id, []).append(c)
        for doc, digest in zip(corpus.documents, digests):
            if doc.id not in position:
                doc_chunks = old_chunks.get(doc.id, [])
                reused.add(doc.id)
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
        stale = [c for c in previous.chunks if c.doc_id not in reused] if previous else []
        vectors, lexical = (previous.vectors, previous.lexical) if previous else \
            stores or (FaissStore(dim=embedder.dim, kind=vector_kind), Bm25Index())
        index = cls(docs=docs, chunks=chunks, vectors=vectors, lexical=lexical, dim=embedder.dim,
                    model=embedder.name, chunking=chunker.settings(), model_id=embedder.identity)
        embedded = index._sync(stale, old_docs, reused, embedder, progress, report)
        index.stats = BuildStats(len(docs), len(chunks), index.stats.sentences, embedded, len(reused),
                                 time.perf_counter() - t0, warnings)
        return index

    def _sync(self, stale: list[Chunk], old_docs: dict, reused: set, embedder: Embedder, progress: bool,
              report: Callable[[Step], None] | None) -> int:
        """Bring the stores in line with ``self.chunks``: delete the ids of ``stale`` chunks (those of changed
        or removed documents) that are gone, embed and upsert the new ones (:mod:`rag.index.unit_vectors`: with an
        embedder that pools spans, new sentences get vectors pooled from their new chunk's pass). Returns the number
        of texts the model read.

        An id of a changed document whose payload is unchanged keeps its vector: ids hash the text and
        its offsets, the payload adds the date and, for a sentence, the first chunk holding it."""
        doc = self.doc_by_id
        fresh = [c for c in self.chunks if c.doc_id not in reused]
        same_date = {d for d in {c.doc_id for c in stale} if d in doc and old_docs[d].date == doc[d].date}
        old_owner = {s.id: c.id for c in reversed(stale) for s in c.sentences}  # reversed: the first chunk wins
        new_owner = {s.id: c.id for c in reversed(fresh) for s in c.sentences}
        stale_ids = {c.id for c in stale}
        keep_chunks = {c.id for c in fresh if c.id in stale_ids and c.doc_id in same_date}
        keep_sentences = {i for i, c in new_owner.items()
                          if old_owner.get(i) == c and self.chunk_by_id[c].doc_id in same_date}
        self.vectors.delete(CHUNKS, stale_ids - keep_chunks)
        self.vectors.delete(SENTENCES, set(old_owner) - keep_sentences)
        self.lexical.delete(stale_ids - keep_chunks)
        new_chunks = [c for c in fresh if c.id not in keep_chunks]
        new_sentences = [s for s in {s.id: s for c in fresh for s in c.sentences}.values()
                         if s.id not in keep_sentences]
        on_batch = (lambda done, total: report(Step("embedding", done, total))) if report and not progress else None
        vecs = unit_vectors(new_chunks, new_sentences, lambda u: embed_text(doc[u.doc_id].path, u.text), embedder,
                            progress=progress, on_batch=on_batch)
        payload = lambda doc_id: {"doc_id": doc_id, "date": doc[doc_id].date or ""}  # noqa: E731
        if new_chunks:
            ids, payloads = [c.id for c in new_chunks], [payload(c.doc_id) for c in new_chunks]
            self.vectors.upsert(CHUNKS, ids, vecs.chunks, payloads)
            self.lexical.upsert(ids, [embed_text(doc[c.doc_id].path, c.text) for c in new_chunks], payloads)
        if new_sentences:
            self.vectors.upsert(SENTENCES, [s.id for s in new_sentences], vecs.sentences,
                                [{**payload(s.doc_id), "chunk_id": new_owner[s.id]} for s in new_sentences])
        return vecs.embedded

    def manifest(self) -> dict:
        return {
            "format": "rag-index", "format_version": FORMAT_VERSION, "model": self.model, "model_id": self.model_id,
            "dim": self.dim, "chunking": self.chunking, "corpus_hash": self.corpus_hash,
            "vector_kind": self.vectors.kind(CHUNKS) if isinstance(self.vectors, FaissStore) else None,
            "counts": {"documents": len(self.docs), "chunks": len(self.chunks), "sentences": self.stats.sentences},
        }


def _by_id(records) -> Mapping:
    """``id -> record``; records loaded as columns (rag.index.record_rows.Rows) give a view that makes a record
    when it is looked up."""
    by_id = getattr(records, "by_id", None)
    return by_id() if by_id else {r.id: r for r in records}
