"""Save and load an :class:`~rag.index.chunk_index.Index` as a crash-safe generation.

``load`` trusts nothing: the store checks every file against its checksum,
then the manifest's format version is checked, then (when the caller says
what it expects) the model, dimension and chunking. A mismatch is refused
with the command that fixes it; a damaged file is named, never reported
as a Python traceback. An index of an older format raises
:class:`~rag.errors.IndexFormatError` (the engine rebuilds it).
"""
from __future__ import annotations

import json
from dataclasses import fields
from functools import cached_property


from rag.errors import IndexFormatError, IndexMismatchError, IndexStoreError
from rag.index.chunk_index import FORMAT_VERSION, DocRecord, Index
from rag.index.generation_files import consistent
from rag.index.generations import FIX, StaleGeneration, read_file, read_generation, write_generation
from rag.index.bm25 import Bm25Index
from rag.index.faiss_store import FaissStore
from rag.index.protocols import CHUNKS, SENTENCES
from rag.records import Chunk, Sentence

# The stores' own files (FaissStore.to_files, Bm25Index.to_files) sit beside these in the generation.
FILES = ("manifest.json", "documents.json", "chunks.json", "vectors.json", "bm25.json", "bm25.npz")


def _shallow(record) -> dict:
    """A record's fields as a dict. Not ``asdict``: it deep-copies every field (and every sentence of a
    chunk only to replace them): saving bench_open's 10,000 articles took 1.0 s with it, 0.4 s without."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


def _chunk_to_dict(c: Chunk) -> dict:
    d = {f.name: getattr(c, f.name) for f in fields(c) if f.name != "sentences"}
    # texts are slices of the chunk; a loaded chunk that never made its sentences saves what it read
    d["sentences"] = c.__dict__["_spans"] if isinstance(c, LoadedChunk) and "sentences" not in c.__dict__ else \
        [[s.id, s.start, s.end] for s in c.sentences]
    return d


class LoadedChunk(Chunk):
    """A chunk read from chunks.json that makes its :class:`Sentence` records on first use: an open made
    all of them (130,000 at bench_open's 10,000 articles, ~0.25 s of every open) while a search reads the
    sentences of a few chunks. Equal to a :class:`Chunk` of the same fields."""

    @cached_property
    def sentences(self) -> tuple[Sentence, ...]:  # noqa: F811 - the field, made when first read
        base, doc_id, text = self.start, self.doc_id, self.text
        # positional and from a list: a third faster than keywords and a generator
        return tuple([Sentence(i, doc_id, s, e, text[s - base : e - base]) for i, s, e in self.__dict__["_spans"]])

    def sentence_ids(self) -> list[str]:
        return [i for i, _, _ in self.__dict__["_spans"]]

    def __eq__(self, other):
        if not isinstance(other, Chunk):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in fields(Chunk))

    __hash__ = Chunk.__hash__


def _chunk_from_dict(d: dict) -> Chunk:
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
            "documents.json": json.dumps([_shallow(d) for d in index.docs]).encode(),
            "chunks.json": json.dumps([_chunk_to_dict(c) for c in index.chunks], ensure_ascii=False).encode()}


def read_records(index_dir, files: dict) -> tuple[list[DocRecord], list[Chunk]]:
    """The documents and chunks of a generation's ``files`` (read from ``index_dir``); a damaged file is named."""
    docs = _parse(index_dir, files, "documents.json", lambda b: [DocRecord(**d) for d in json.loads(b)])
    chunks = _parse(index_dir, files, "chunks.json", lambda b: [_chunk_from_dict(d) for d in json.loads(b)])
    return docs, chunks


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
    files = read_generation(index_dir, as_paths=(".faiss",))
    manifest = _manifest(files, index_dir)
    docs, chunks = read_records(index_dir, files)
    vectors = _store(index_dir, files, FaissStore)
    lexical = _store(index_dir, files, Bm25Index)
    sentence_ids = _parse(index_dir, files, "chunks.json", lambda _: {i for c in chunks for i in c.sentence_ids()})
    index = Index(docs=docs, chunks=chunks, vectors=vectors, lexical=lexical, dim=manifest["dim"],
                  model=manifest["model"], chunking=manifest["chunking"], model_id=manifest.get("model_id"),
                  sentence_count=len(sentence_ids))
    for collection, want in ((CHUNKS, {c.id for c in chunks}), (SENTENCES, sentence_ids)):
        if vectors.ids(collection) != want:
            raise _corrupt(index_dir, f"the {collection} vectors ({vectors.count(collection)}) do not match "
                                      f"chunks.json ({len(want)} {collection})")
    if len(lexical) != len(chunks) or vectors.dim != manifest["dim"]:
        raise _corrupt(index_dir, f"bm25 holds {len(lexical)} texts and the vectors dimension {vectors.dim}, for "
                                  f"{len(chunks)} chunks of dimension {manifest['dim']}")
    return index
