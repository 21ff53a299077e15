"""Save and load an :class:`~rag.index.chunk_index.Index` as a crash-safe generation.

``load`` trusts nothing: the store checks every file against its checksum,
then the manifest's format version is checked, then (when the caller says
what it expects) the model, dimension and chunking. A mismatch is refused
with the command that fixes it; a damaged file is named, never reported
as a Python traceback. An index of an older format raises
:class:`~rag.errors.IndexFormatError` (the engine rebuilds it).
"""
from __future__ import annotations

import io
import json
from dataclasses import asdict

import numpy as np

from rag.errors import IndexFormatError, IndexMismatchError, IndexStoreError
from rag.index.chunk_index import FORMAT_VERSION, DocRecord, Index
from rag.index.generations import FIX, read_generation, write_generation
from rag.records import Chunk, Sentence
from rag.index.faiss_store import VectorIndex

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
    return IndexStoreError(f"index at {str(index_dir)!r} is corrupt: {what}; {FIX}.")


def _manifest(files: dict, index_dir, required: tuple[str, ...] = FILES) -> dict:
    missing = [f for f in required if f not in files]
    if missing:
        raise _corrupt(index_dir, f"missing {', '.join(missing)}")
    try:
        manifest = json.loads(files["manifest.json"])
    except ValueError:
        raise _corrupt(index_dir, "manifest.json is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != "rag-index":
        raise _corrupt(index_dir, "manifest.json is not a rag index manifest")
    version = manifest.get("format_version")
    if isinstance(version, int) and version < FORMAT_VERSION:
        raise IndexFormatError(f"index at {str(index_dir)!r} has format version {version}, older than this "
                               f"program's {FORMAT_VERSION}; {FIX}.")
    if version != FORMAT_VERSION:
        raise IndexMismatchError(
            f"index at {str(index_dir)!r} has format version {version!r}, which this program (version "
            f"{FORMAT_VERSION}) cannot read: it was written by a newer rag. Upgrade rag, or {FIX}.")
    return manifest


def check_compatible(manifest: dict, *, model: str, chunking: dict, index_dir, model_id: str | None = None) -> None:
    """Refuse an index built with another model (by identity: a hash of the model's
    files, not its folder name) or another chunking."""
    built, wanted = manifest.get("model_id", manifest["model"]), model_id or model
    if built != wanted:
        same_name = " (a model of the same name, with other files)" if manifest["model"] == model else ""
        raise IndexMismatchError(
            f"index at {str(index_dir)!r} was built with model {manifest['model']!r} ({built[:19]}), not "
            f"{model!r} ({wanted[:19]}){same_name}. Pass the model it was built with (--model), or rebuild "
            "with `rag index --rebuild`.")
    if manifest["chunking"] != chunking:
        raise IndexMismatchError(
            f"index at {str(index_dir)!r} was built with chunking {manifest['chunking']}, not {chunking}. "
            "Pass the same settings or rebuild with `rag index --rebuild`.")


def _parse(index_dir, files: dict, name: str, parse):
    """``parse`` the bytes of one file; any failure names the file."""
    try:
        return parse(files[name])
    except (ValueError, KeyError, TypeError, IndexError, EOFError, OSError, RecursionError) as exc:
        raise _corrupt(index_dir, f"{name} cannot be read ({type(exc).__name__}: {str(exc)[:200]})") from None


def load(index_dir) -> Index:
    """Load the live generation, validating every file."""
    files = read_generation(index_dir)
    manifest = _manifest(files, index_dir)
    docs = _parse(index_dir, files, "documents.json", lambda b: [DocRecord(**d) for d in json.loads(b)])
    chunks = _parse(index_dir, files, "chunks.json", lambda b: [_chunk_from_dict(d) for d in json.loads(b)])
    sentence_vectors = _parse(index_dir, files, "sentences.npy", lambda b: np.load(io.BytesIO(b), allow_pickle=False))
    vectors = _parse(index_dir, files, "vectors.bin", VectorIndex.from_bytes)
    sentences = list({s.id: s for c in chunks for s in c.sentences}.values())
    if len(vectors) != len(chunks):
        raise _corrupt(index_dir, f"chunks.json has {len(chunks)} chunks but vectors.bin {len(vectors)} vectors")
    if sentence_vectors.ndim != 2 or len(sentence_vectors) != len(sentences) or (
            len(sentences) and sentence_vectors.shape[1] != manifest["dim"]):
        raise _corrupt(index_dir, f"sentences.npy has shape {sentence_vectors.shape} for {len(sentences)} sentences "
                                  f"of dimension {manifest['dim']}")
    return Index(docs=docs, chunks=chunks, chunk_vectors=vectors, sentences=sentences,
                 sentence_vectors=sentence_vectors.astype(np.float32), model=manifest["model"],
                 chunking=manifest["chunking"], model_id=manifest.get("model_id"))
