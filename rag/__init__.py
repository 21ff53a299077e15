"""Offline retrieval-augmented QA over news articles with exact citations.

    >>> from rag import Retriever                        # doctest: +SKIP
    >>> r = Retriever.open("seeds")                      # doctest: +SKIP
    >>> r.search("how many soldiers from Turkey lost their lives?", k=3)   # doctest: +SKIP

Names are imported lazily so ``import rag`` stays cheap (no torch).
"""
from importlib import import_module

_EXPORTS = {
    "Corpus": "rag.ingest.corpus", "Chunker": "rag.chunking.chunker", "Index": "rag.index.chunk_index", "Retriever": "rag.retrieval.retriever",
    "Embedder": "rag.embedding.protocol", "SentenceTransformerEmbedder": "rag.embedding.sentence_embedder", "Weights": "rag.retrieval.fusion",
    "open_index": "rag.index.open_index", "Assistant": "rag.answer.assistant",
    "VectorStore": "rag.index.protocols", "LexicalIndex": "rag.index.protocols", "Filter": "rag.index.protocols",
    "Hit": "rag.index.protocols", "FaissStore": "rag.index.faiss_store", "Bm25Index": "rag.index.bm25",
    "Document": "rag.records", "Chunk": "rag.records", "Sentence": "rag.records", "Passage": "rag.records",
    "SentenceHit": "rag.records", "Citation": "rag.records", "Answer": "rag.records", "Disagreement": "rag.records",
    "Version": "rag.records",
    "RagError": "rag.errors", "CorpusError": "rag.errors", "IndexStoreError": "rag.errors",
    "IndexMismatchError": "rag.errors", "ModelError": "rag.errors", "QueryError": "rag.errors",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
