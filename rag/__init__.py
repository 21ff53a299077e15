"""Offline retrieval-augmented QA over news articles with exact citations.

    >>> from rag import Retriever                        # doctest: +SKIP
    >>> r = Retriever.open("seeds")                      # doctest: +SKIP
    >>> r.search("how many soldiers from Turkey lost their lives?", k=3)   # doctest: +SKIP

Names are imported lazily so ``import rag`` stays cheap (no torch).
"""
from importlib import import_module

_EXPORTS = {
    "Corpus": "rag.ingest", "Chunker": "rag.chunk", "Index": "rag.index", "Retriever": "rag.retriever",
    "Embedder": "rag.embed", "SentenceTransformerEmbedder": "rag.embed", "Weights": "rag.fusion",
    "open_index": "rag.engine", "Assistant": "rag.answer.assistant",
    "Document": "rag.types", "Chunk": "rag.types", "Sentence": "rag.types", "Passage": "rag.types",
    "SentenceHit": "rag.types", "Citation": "rag.types", "Answer": "rag.types", "Disagreement": "rag.types",
    "Version": "rag.types",
    "RagError": "rag.errors", "CorpusError": "rag.errors", "IndexStoreError": "rag.errors",
    "IndexMismatchError": "rag.errors", "ModelError": "rag.errors", "QueryError": "rag.errors",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
