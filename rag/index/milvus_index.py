"""Open an index whose vectors and BM25 live in Milvus (``--store milvus-lite:PATH`` or ``milvus://HOST:PORT``).

The same decisions as :func:`rag.index.open_index.open_index` (load, update
incrementally, or build), with the work split: Milvus holds the vectors and
the BM25 texts, and the index folder holds, in the subfolder ``milvus/``, a
generation with the manifest, the documents and the chunks (a few MB for
thousands of articles). A rebuild empties the store's collections first.

Milvus writes are not part of that generation's atomic switch: if a build
stops half way, the next open finds the store's counts out of line with the
saved chunks and rebuilds, with a warning; nothing is served half-built.

Example:
    >>> index, status = open_milvus_index("seeds", store="milvus-lite:/tmp/ix.db",  # doctest: +SKIP
    ...                                   embedder=SentenceTransformerEmbedder(), index_dir="/tmp/ix")
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from rag.chunking.chunker import Chunker
from rag.embedding.protocol import Embedder
from rag.index.chunk_index import Index, corpus_hash, doc_hash
from rag.index.codec import read_manifest, read_records, record_files
from rag.index.generations import live_generation, read_generation, write_generation
from rag.index.milvus_client import MilvusSession
from rag.index.milvus_store import MilvusLexical, MilvusStore
from rag.index.protocols import CHUNKS
from rag.ingest.corpus import Corpus

SUBDIR = "milvus"


def open_milvus_index(corpus_dir: str | Path, *, store: str, embedder: Embedder, index_dir: str | Path,
                      chunker: Chunker | None = None, rebuild: bool = False, progress: bool = False,
                      uploads_dir: str | Path | None = None, report: Callable | None = None,
                      timeout: float | None = None, build: Callable = Index.build) -> tuple[Index, str]:
    """Returns ``(index, status)``, status one of built/updated/loaded; ``build`` is
    :meth:`Index.build` or :func:`~rag.index.parallel_build.build_parallel` with its workers bound."""
    chunker = chunker or Chunker()
    meta_dir = Path(index_dir) / SUBDIR
    corpus = Corpus.from_dir(corpus_dir, uploads_dir)
    saved = None if rebuild or live_generation(meta_dir) is None else read_manifest(meta_dir)
    if saved is not None and saved.get("store") != store:
        saved = None  # the folder describes another store: this one is built afresh
    # Connect first: an unreachable server fails in seconds, before any model loads.
    session = MilvusSession(store) if timeout is None else MilvusSession(store, timeout=timeout)
    # The saved dimension spares loading the model just to open an index that is up to date.
    dim = saved["dim"] if saved and saved.get("model_id") == embedder.identity else embedder.dim
    manifest = {"model": embedder.name, "model_id": embedder.identity, "dim": dim, "chunking": chunker.settings()}
    vectors = MilvusStore(session, manifest=manifest, fresh=saved is None)
    lexical, previous, notes = MilvusLexical(vectors.session), None, []
    if saved is not None:
        docs, chunks = read_records(meta_dir, read_generation(meta_dir))
        if vectors.count(CHUNKS) == len(chunks) == len(lexical):
            previous = Index(docs=docs, chunks=chunks, vectors=vectors, lexical=lexical, dim=dim,
                             model=embedder.name, chunking=manifest["chunking"], model_id=embedder.identity)
            if saved["corpus_hash"] == corpus_hash([doc_hash(d) for d in corpus.documents]):
                previous.stats.warnings = list(corpus.warnings)
                return previous, "loaded"
        else:
            notes.append(f"the Milvus store {store!r} does not hold the {len(chunks)} chunks saved in "
                         f"{str(meta_dir)!r} (a build that stopped half way?); rebuilt it.")
            vectors = MilvusStore(vectors.session, manifest=manifest, fresh=True)
            lexical = MilvusLexical(vectors.session)
    from rag.index.open_index import writable

    writable(meta_dir)
    index = build(corpus, embedder, chunker=chunker, previous=previous, progress=progress, report=report,
                  stores=(vectors, lexical))
    index.stats.warnings += notes
    write_generation(meta_dir, record_files(index, store=store))
    return index, "updated" if previous is not None else "built"
