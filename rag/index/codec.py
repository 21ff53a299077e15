"""Save and load an :class:`~rag.index.chunk_index.Index` as a crash-safe generation.

``load`` trusts nothing: the store checks every file against its checksum,
then the manifest's format version is checked, then (when the caller says
what it expects) the model, dimension and chunking. A mismatch is refused
with the command that fixes it; a damaged file is named, never reported
as a Python traceback. An index of an older format raises
:class:`~rag.errors.IndexFormatError` (the engine rebuilds it).

Format 4 keeps the documents, the chunks and the vector stores' id maps as columns files
(:mod:`rag.index.columns`; ``documents.cols``, ``chunks.cols``, ``<collection>.ids.cols``), memory-mapped
once checked and decoded a record at a time (:mod:`rag.index.record_rows`): opening bench_open's 10,000
articles decoded 17.7 MB of ``chunks.json`` and made every record (0.25 s of a 0.62 s open). Format 3,
the same with JSON files, still loads (and is written as format 4 by its next update).
"""
from __future__ import annotations

import json
from typing import Sequence

from rag.errors import IndexFormatError, IndexMismatchError, IndexRecipeError, IndexStoreError
from rag.index.chunk_index import FORMAT_VERSION, DocRecord, Index
from rag.index.columns import encode, read_columns
from rag.index.generation_files import consistent
from rag.index.generations import FIX, StaleGeneration, read_file, read_generation, write_generation
from rag.index.bm25 import Bm25Index
from rag.index.faiss_store import FaissStore
from rag.index.protocols import CHUNKS, SENTENCES
from rag.index.chunk_columns import chunk_arrays
from rag.index.record_rows import ChunkRows, DocRows, LoadedChunk, doc_arrays
from rag.records import Chunk

# The stores' own files (FaissStore.to_files, Bm25Index.to_files) sit beside these in the generation;
# documents and chunks are ``.cols`` files (rag.index.record_rows), or ``.json`` in format 3.
FILES = ("manifest.json", "vectors.json", "bm25.json", "bm25.npz")
READABLE = (3, FORMAT_VERSION)  # 3: the records as JSON; 4: as columns
MAPPED = (".faiss", ".cols")  # files read by path, memory-mapped once checked


def _chunk_from_dict(d: dict) -> Chunk:
    """A chunk of ``chunks.json`` (the layout before ``chunks.cols``)."""
    c = object.__new__(LoadedChunk)  # the frozen dataclass's fields, set as its __init__ would
    c.__dict__.update(id=d["id"], doc_id=d["doc_id"], start=d["start"], end=d["end"], text=d["text"],
                      n_tokens=d["n_tokens"], _spans=d["sentences"])
    return c


def save(index: Index, index_dir) -> str:
    """Write ``index`` to ``index_dir`` atomically; returns the generation name.

    The index must hold the in-process stores (:class:`FaissStore`, :class:`Bm25Index`): a server
    store keeps its own data, and a codec for it would save only the documents and chunks."""
    if not isinstance(index.vectors, FaissStore) or not isinstance(index.lexical, Bm25Index):
        raise TypeError(f"codec.save writes a FaissStore and a Bm25Index; this index holds a "
                        f"{type(index.vectors).__name__} and a {type(index.lexical).__name__}.")
    files = {**record_files(index), **index.lexical.to_files()}
    try:  # the vectors of a loaded index as its files plus a delta (rag.index.faiss_delta) ...
        return write_generation(index_dir, {**files, **index.vectors.to_files(incremental=True)})
    except StaleGeneration:  # ... unless another writer replaced those files meanwhile: whole
        return write_generation(index_dir, {**files, **index.vectors.to_files()})


def record_files(index: Index, **manifest) -> dict[str, bytes]:
    """The files every index keeps whatever its store: the manifest (plus the ``manifest`` items given),
    the documents and the chunks. A store that keeps its own data (Milvus) saves only these."""
    return {"manifest.json": json.dumps({**index.manifest(), **manifest}, indent=1).encode(),
            "documents.cols": encode(doc_arrays(index.docs)), "chunks.cols": encode(chunk_arrays(index.chunks))}


def read_records(index_dir, files: dict) -> tuple[Sequence[DocRecord], Sequence[Chunk]]:
    """The documents and chunks of a generation's ``files`` (read from ``index_dir``): columns (a record is
    made when first used), or the JSON of an index written before them; a damaged file is named."""
    if "chunks.json" in files:
        docs = _parse(index_dir, files, "documents.json", lambda b: [DocRecord(**d) for d in json.loads(b)])
        return docs, _parse(index_dir, files, "chunks.json", lambda b: [_chunk_from_dict(d) for d in json.loads(b)])
    docs = _parse(index_dir, files, "documents.cols", lambda data: DocRows(read_columns(data)[0], DocRecord))
    return docs, _parse(index_dir, files, "chunks.cols", lambda data: ChunkRows(read_columns(data)[0]))


def read_manifest(index_dir) -> dict:
    files = read_generation(index_dir, only=("manifest.json",))
    return _manifest(files, index_dir, required=("manifest.json",))


def _corrupt(index_dir, what: str) -> IndexStoreError:
    return IndexStoreError(f"index at {str(index_dir)!r} is corrupt: {what}; {FIX}.")


def _manifest(files: dict, index_dir, required: tuple[str, ...] = FILES) -> dict:
    missing = [f for f in required if f not in files]
    if required == FILES:
        missing += [f"{name}.cols" for name in ("documents", "chunks")
                    if f"{name}.cols" not in files and f"{name}.json" not in files]
    if missing:
        raise _corrupt(index_dir, f"missing {', '.join(missing)}")
    try:
        manifest = json.loads(files["manifest.json"])
    except ValueError:
        raise _corrupt(index_dir, "manifest.json is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != "rag-index":
        raise _corrupt(index_dir, "manifest.json is not a rag index manifest")
    version = manifest.get("format_version")
    if isinstance(version, int) and version < READABLE[0]:
        raise IndexFormatError(f"index at {str(index_dir)!r} has format version {version}, older than this "
                               f"program's {FORMAT_VERSION}; {FIX}.")
    if version not in READABLE:
        raise IndexMismatchError(
            f"index at {str(index_dir)!r} has format version {version!r}, which this program (version "
            f"{FORMAT_VERSION}) cannot read: it was written by a newer rag. Upgrade rag, or {FIX}.")
    return manifest


def check_compatible(manifest: dict, *, model: str, chunking: dict, index_dir, model_id: str | None = None) -> None:
    """Refuse an index built with another model (by identity: a hash of the model's
    files, not its folder name) or another chunking."""
    built, wanted = manifest.get("model_id", manifest["model"]), model_id or model
    # Only a content hash (sha256:..., rag.embedding.model_id) carries recipe suffixes; another embedder's
    # identity is its name, where a "+" proves nothing about the model.
    if built != wanted and built.split("+")[0] == wanted.split("+")[0] and built.startswith("sha256:"):
        raise IndexRecipeError(f"index at {str(index_dir)!r} holds vectors made another way ({_recipe(built)}) "
                               f"than this embedder's ({_recipe(wanted)}); rebuilt it.")
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


def _recipe(identity: str) -> str:
    """How vectors were made, from a model identity's suffixes: ``sha256:..+int8`` -> "int8"."""
    return "+".join(identity.split("+")[1:]) or "plain"


def _parse(index_dir, files: dict, name: str, parse):
    """``parse`` the bytes of one file (or, for a store, the files it names); any failure names the file."""
    try:
        return read_file(files, name, parse)
    except ValueError as exc:
        raise _corrupt(index_dir, str(exc)) from None


def _store(index_dir, files: dict, cls):
    """``cls.from_files(files)``; its ValueError already names the damaged file."""
    try:
        return cls.from_files(files)
    except ValueError as exc:
        raise _corrupt(index_dir, str(exc)) from None


def load(index_dir) -> Index:
    """Load the live generation, validating every file (the stores are read, not rebuilt). faiss opens its
    files itself after they were checked, so a writer removing the generation meanwhile means: load again."""
    return consistent(index_dir, lambda _: _load(index_dir))


def _load(index_dir) -> Index:
    files = read_generation(index_dir, as_paths=MAPPED)
    manifest = _manifest(files, index_dir)
    docs, chunks = read_records(index_dir, files)
    vectors = _store(index_dir, files, FaissStore)
    lexical = _store(index_dir, files, Bm25Index)
    records = "chunks.json" if "chunks.json" in files else "chunks.cols"
    # a loaded index's chunks are made when used: the ids are checked from the columns
    rows = isinstance(chunks, ChunkRows)
    chunk_ids = set(chunks.ids) if rows else {c.id for c in chunks}
    sentence_ids = _parse(index_dir, files, records, lambda _: chunks.id_set if rows else
                          {i for c in chunks for i in c.sentence_ids()})
    index = Index(docs=docs, chunks=chunks, vectors=vectors, lexical=lexical, dim=manifest["dim"],
                  model=manifest["model"], chunking=manifest["chunking"], model_id=manifest.get("model_id"),
                  sentence_count=len(sentence_ids))
    for collection, want in ((CHUNKS, chunk_ids), (SENTENCES, sentence_ids)):
        if vectors.ids(collection) != want:
            raise _corrupt(index_dir, f"the {collection} vectors ({vectors.count(collection)}) do not match "
                                      f"{records} ({len(want)} {collection})")
    if len(lexical) != len(chunks) or vectors.dim != manifest["dim"]:
        raise _corrupt(index_dir, f"bm25 holds {len(lexical)} texts and the vectors dimension {vectors.dim}, for "
                                  f"{len(chunks)} chunks of dimension {manifest['dim']}")
    return index
