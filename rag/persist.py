"""Save and load an :class:`~rag.index.Index` as a crash-safe generation.

``load`` checks the manifest before trusting anything: the format version,
then (when the caller says what it expects) the model, dimension and
chunking. A mismatch is refused with the command that fixes it; a corrupt
file is reported as corrupt, never as a Python traceback.
"""
from __future__ import annotations

import io
import json
from dataclasses import asdict

import numpy as np

from .errors import IndexMismatchError, IndexStoreError
from .index import FORMAT_VERSION, DocRecord, Index
from .store import read_generation, write_generation
from .types import Chunk, Sentence
from .vectors import VectorIndex

FILES = ("manifest.json", "documents.json", "chunks.json", "vectors.bin", "sentences.npy")


def _chunk_to_dict(c: Chunk) -> dict:
    d = asdict(c)
    d["sentences"] = [[s.id, s.start, s.end] for s in c.sentences]  # texts are slices of the chunk
    return d


def _chunk_from_dict(d: dict) -> Chunk:
    base = d["start"]
    sents = tuple(Sentence(id=i, doc_id=d["doc_id"], start=s, end=e, text=d["text"][s - base : e - base])
                  for i, s, e in d["sentences"])
    return Chunk(id=d["id"], doc_id=d["doc_id"], start=d["start"], end=d["end"], text=d["text"],
                 n_tokens=d["n_tokens"], sentences=sents)


def save(index: Index, index_dir) -> str:
    """Write ``index`` to ``index_dir`` atomically; returns the generation name."""
    buf = io.BytesIO()
    np.save(buf, index.sentence_vectors, allow_pickle=False)
    files = {
        "manifest.json": json.dumps(index.manifest(), indent=1).encode(),
        "documents.json": json.dumps([asdict(d) for d in index.docs]).encode(),
        "chunks.json": json.dumps([_chunk_to_dict(c) for c in index.chunks], ensure_ascii=False).encode(),
        "vectors.bin": index.chunk_vectors.to_bytes(),
        "sentences.npy": buf.getvalue(),
    }
    return write_generation(index_dir, files)


def read_manifest(index_dir) -> dict:
    files = read_generation(index_dir, only=("manifest.json",))
    return _manifest(files, index_dir, required=("manifest.json",))


def _corrupt(index_dir, what: str) -> IndexStoreError:
    return IndexStoreError(f"index at {str(index_dir)!r} is corrupt ({what}); rebuild it with `rag index --rebuild`.")


def _manifest(files: dict, index_dir, required: tuple[str, ...] = FILES) -> dict:
    missing = [f for f in required if f not in files]
    if missing:
        raise _corrupt(index_dir, f"missing {', '.join(missing)}")
    try:
        manifest = json.loads(files["manifest.json"])
    except ValueError:
        raise _corrupt(index_dir, "manifest.json is not valid JSON") from None
    if manifest.get("format") != "rag-index" or manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"index at {str(index_dir)!r} has format {manifest.get('format')!r} version "
            f"{manifest.get('format_version')!r}; this program reads version {FORMAT_VERSION}. "
            "Rebuild it with `rag index --rebuild`.")
    return manifest


def check_compatible(manifest: dict, *, model: str, chunking: dict, index_dir) -> None:
    """Refuse an index built with another model or chunking."""
    if manifest["model"] != model:
        raise IndexMismatchError(
            f"index at {str(index_dir)!r} was built with model {manifest['model']!r}, not {model!r}. "
            f"Use --model {manifest['model']} or rebuild with `rag index --rebuild`.")
    if manifest["chunking"] != chunking:
        raise IndexMismatchError(
            f"index at {str(index_dir)!r} was built with chunking {manifest['chunking']}, not {chunking}. "
            "Pass the same settings or rebuild with `rag index --rebuild`.")


def load(index_dir) -> Index:
    """Load the live generation, validating every file."""
    files = read_generation(index_dir)
    manifest = _manifest(files, index_dir)
    try:
        docs = [DocRecord(**d) for d in json.loads(files["documents.json"])]
        chunks = [_chunk_from_dict(d) for d in json.loads(files["chunks.json"])]
        sentence_vectors = np.load(io.BytesIO(files["sentences.npy"]), allow_pickle=False)
    except (ValueError, KeyError, TypeError, OSError) as exc:
        raise _corrupt(index_dir, f"{type(exc).__name__}: {exc}") from None
    try:
        vectors = VectorIndex.from_bytes(files["vectors.bin"])
    except ValueError as exc:
        raise _corrupt(index_dir, f"vectors.bin: {exc}") from None
    sentences = list({s.id: s for c in chunks for s in c.sentences}.values())
    if len(vectors) != len(chunks) or len(sentence_vectors) != len(sentences):
        raise _corrupt(index_dir, f"{len(chunks)} chunks but {len(vectors)} vectors")
    if sentence_vectors.ndim != 2 or (len(sentences) and sentence_vectors.shape[1] != manifest["dim"]):
        raise _corrupt(index_dir, f"sentence vectors have shape {sentence_vectors.shape}")
    return Index(docs=docs, chunks=chunks, chunk_vectors=vectors, sentences=sentences,
                 sentence_vectors=sentence_vectors.astype(np.float32), model=manifest["model"],
                 chunking=manifest["chunking"])
