"""Open an index for a folder of articles: load it, update it, or build it.

This is the one place that decides what happens on disk:

- no index yet, or ``rebuild=True``      -> build everything and save;
- index of an older format                -> build everything and save, with a warning;
- index built with another model/chunking -> refuse (``IndexMismatchError``);
- a damaged index                         -> refuse (``IndexStoreError`` naming the file);
- articles added, changed or removed      -> incremental update and save;
- otherwise                               -> load as is.

Whether articles changed is first asked of the files' stats (:mod:`rag.ingest.stamps`): an
unchanged folder is not read at all, and a file whose stat changed is hashed on its own. An update
reads only the files whose stat changed (:mod:`rag.index.unread`).

Where the index must be written, the folder is checked first, so a bad
``--index-dir`` fails in a second, not after a full build.
"""
from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path
from typing import Callable

from rag.chunking.chunker import Chunker
from rag.embedding.protocol import Embedder
from rag.errors import IndexFormatError, IndexRecipeError, IndexStoreError
from rag.index.chunk_index import Index, Step, corpus_hash, doc_hash
from rag.ingest.corpus import Corpus
from rag.index.codec import check_compatible, load, read_manifest, save
from rag.index.generations import live_generation
from rag.index.unread import known_documents
from rag.ingest.stamps import record, stat_files, unchanged

INDEX_DIRNAME = ".rag-index"
STAMPS = "corpus-stamps.json"  # beside the generations: a cache of file stats (rag.ingest.stamps)


def default_index_dir(corpus_dir: str | Path) -> Path:
    return Path(corpus_dir) / INDEX_DIRNAME


def open_index(corpus_dir: str | Path, *, embedder: Embedder, index_dir: str | Path | None = None,
               chunker: Chunker | None = None, rebuild: bool = False, progress: bool = False,
               vector_kind: str = "auto", uploads_dir: str | Path | None = None,
               report: Callable[[Step], None] | None = None, store: str = "faiss",
               store_timeout: float | None = None, workers: int = 1,
               ray_address: str | None = None) -> tuple[Index, str]:
    """Returns ``(index, status)`` with status one of built/updated/loaded.

    ``uploads_dir`` is a second folder of articles (the user's uploads, see
    :mod:`rag.ingest.userdata`), indexed with the corpus when it exists; ``report``
    receives each :class:`~rag.index.chunk_index.Step` of a build (per-file progress).
    ``store``: "faiss" (in the index folder) or a Milvus URI (:mod:`rag.index.milvus_index`);
    ``workers``/``ray_address``: parse, chunk and embed in parallel (:mod:`rag.index.parallel_build`)."""
    chunker = chunker or Chunker()
    index_dir = Path(index_dir) if index_dir else default_index_dir(corpus_dir)
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexStoreError(f"--index-dir {str(index_dir)!r} is a file, not a folder; pass a folder (it is "
                              "created if missing).")
    build = builder(workers, ray_address)
    if store != "faiss":
        from rag.index.milvus_client import is_milvus_uri
        from rag.index.milvus_index import open_milvus_index

        if not is_milvus_uri(store):
            raise ValueError(f"--store {store!r}: use faiss, milvus-lite:PATH.db or milvus://HOST:PORT.")
        return open_milvus_index(corpus_dir, store=store, embedder=embedder, index_dir=index_dir, chunker=chunker,
                                 rebuild=rebuild, progress=progress, uploads_dir=uploads_dir, report=report,
                                 timeout=store_timeout, build=build)
    folders = [corpus_dir] + ([uploads_dir] if uploads_dir is not None else [])
    stamps, before = index_dir / STAMPS, stat_files(folders)  # stats before any read: see stamps.record
    corpus, previous, notes = None, None, []
    try:
        if not rebuild and live_generation(index_dir) is not None:
            manifest = read_manifest(index_dir)
            check_compatible(manifest, model=embedder.name, model_id=embedder.identity, chunking=chunker.settings(),
                             index_dir=index_dir)
            warnings = unchanged(stamps, manifest["corpus_hash"], folders, before)  # stat first: no article read
            if warnings is not None:
                index = load(index_dir)
                index.stats.warnings = list(warnings)
                return index, "loaded"
            previous = load(index_dir)
            # only the files whose stat changed are read (rag.index.unread)
            corpus = Corpus.from_dir(corpus_dir, uploads_dir, known_documents(stamps, folders, before, previous))
            if manifest["corpus_hash"] == corpus_hash([doc_hash(d) for d in corpus.documents]):
                record(stamps, manifest["corpus_hash"], folders, before, corpus.warnings)
                previous.stats.warnings = list(corpus.warnings)
                return previous, "loaded"
    except IndexFormatError as exc:  # derived data in an old layout or of another recipe: rebuilding loses nothing
        notes.append(str(exc) if isinstance(exc, IndexRecipeError) else
                     f"index at {str(index_dir)!r} was written by an older version of rag; rebuilt it.")
    corpus = corpus or Corpus.from_dir(corpus_dir, uploads_dir)
    writable(index_dir)
    index = build(corpus, embedder, chunker=chunker, previous=previous, progress=progress,
                  vector_kind=vector_kind, report=report)
    index.stats.warnings += notes
    save(index, index_dir)
    if index.corpus_hash == corpus_hash([doc_hash(d) for d in corpus.documents]):  # no article skipped
        record(stamps, index.corpus_hash, folders, before, corpus.warnings)
    return index, "updated" if previous is not None else "built"


def builder(workers: int, ray_address: str | None):
    """``Index.build``, or the same map of parse, chunk and embed in ``workers`` processes or on a Ray cluster."""
    if workers == 1 and not ray_address:
        return Index.build
    from rag.index.parallel_build import build_parallel

    return partial(build_parallel, workers=workers, ray_address=ray_address)


def writable(index_dir: Path) -> None:
    """Fail now, naming the folder, if the index cannot be written there."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=index_dir, prefix=".probe-"):
            pass
    except OSError as exc:
        where = exc.filename or index_dir
        raise IndexStoreError(f"cannot write the index at {str(index_dir)!r} ({exc.strerror} at {str(where)!r}); "
                              "pass --index-dir with a writable folder.") from None
