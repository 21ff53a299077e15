"""ONNX Runtime encoder for sentence-transformers models with mean pooling.

PyTorch spends most of a one-question forward pass in framework overhead
(about 13 ms for a 12-token question on this 2-core CPU); ONNX Runtime runs the
same graph in a fraction of that, with outputs equal to float32 rounding. The
graph is exported once from the local model with ``torch.onnx.export`` and
cached under ``<cache_dir>/onnx`` (default ``~/.cache/rag/onnx``), written atomically,
so nothing is ever downloaded; its optimised form and its int8 copy are cached
beside it. Texts are tokenised with Hugging Face ``tokenizers`` directly, so a
process that embeds with ONNX never imports torch or transformers (only the
one-time export does).

Example:
    >>> enc = OnnxEncoder.from_model_dir("/path/to/all-MiniLM-L6-v2")   # doctest: +SKIP
    >>> enc.encode(["33 Turkish soldiers"]).shape                       # doctest: +SKIP
    (1, 384)
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from rag.embedding.model_id import model_identity
from rag.paths import default_cache_dir
from rag.errors import ModelError

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
PRECISIONS = ("fp32", "int8")


def onnx_dir(cache_dir: str | Path | None = None) -> Path:
    """Where exported graphs are kept: ``cache_dir/onnx`` (default :func:`rag.paths.default_cache_dir`)."""
    return Path(cache_dir if cache_dir is not None else default_cache_dir()) / "onnx"


def supported(model_dir: Path) -> bool:
    """Mean-pooled, normalised BERT-style models (all-MiniLM-L6-v2 is one)."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text())
        pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
    except (OSError, ValueError):
        return False
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    mean_only = pooling.get("pooling_mode_mean_tokens") and not any(
        pooling.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens"))
    return kinds[:2] == ["Transformer", "Pooling"] and bool(mean_only)


def default_threads() -> int:
    """Batches embedded at once by a build: the cores, at most 4."""
    return min(4, os.cpu_count() or 1)


def quantized(fp32: Path) -> Path:
    """The int8 copy of the graph at ``fp32`` (dynamic quantisation of its weights), made once, atomically.

    One scale per output channel: a single scale per weight matrix moved vectors by up to 0.10 in
    cosine (mean 0.05) on SQuAD paragraphs; per channel, by under 0.01 (benchmarks/bench_levers.py)."""
    target = fp32.with_name(fp32.stem + "-int8-per-channel.onnx")
    if not target.exists():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = target.with_suffix(f".tmp{os.getpid()}.onnx")
        quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
        os.replace(tmp, target)
    return target


def optimized(graph: Path) -> Path:
    """``graph`` with ONNX Runtime's graph optimisations applied, saved once beside it: optimising on
    every start cost 0.2-1 s of each cold command. The "extended" level (operator fusions) runs as fast
    as "all" on this model and, unlike "all", writes no layout tied to this CPU."""
    import onnxruntime as ort

    target = graph.with_name(graph.stem + "-opt.onnx")
    if not target.exists():
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        tmp = target.with_suffix(f".tmp{os.getpid()}.onnx")
        options.optimized_model_filepath = str(tmp)
        ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        os.replace(tmp, target)
    return target


def export(model_dir: Path, target: Path) -> None:
    """Export the transformer of ``model_dir`` to ``target`` (atomic rename)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)  # a folder, never a hub name
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()

    class Body(torch.nn.Module):  # positional inputs: the exporter cannot bind BERT's keyword-only extras
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state

    sample = tok(["an example sentence"], return_tensors="pt")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "hidden")}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(Body(model), tuple(sample[k] for k in INPUTS), str(tmp), input_names=list(INPUTS),
                          output_names=["hidden"], dynamic_axes=axes, opset_version=17, dynamo=False)
    os.replace(tmp, target)


class OnnxEncoder:
    """Tokenize (Hugging Face ``tokenizers``, no PyTorch), run the ONNX graph, mean-pool over real
    tokens, L2-normalise. ``precision`` "int8" runs a dynamically quantised copy of the graph."""

    def __init__(self, session, tokenizer, max_length: int, workers: int = 1, one_per_batch: bool = False):
        self.session = session
        # An int8 graph quantises its activations with one scale per batch, so a text's vector would
        # move with its batch mates (cosine down to 0.979 on SQuAD sentences); read alone, it is what
        # a query read alone gets, and on 2 cores one text a batch embedded as fast as 16.
        self.one_per_batch = one_per_batch
        self.workers = workers
        self.tokenizer = tokenizer
        self.max_length = max_length
        tokenizer.enable_truncation(max_length)
        tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]") or 0, pad_token="[PAD]")

    @classmethod
    def from_model_dir(cls, model_dir: str | Path, *, threads: int = 1, workers: int | None = None,
                       precision: str = "fp32", cache_dir: str | Path | None = None) -> "OnnxEncoder":
        """The encoder of ``model_dir``, its graph exported once into :func:`onnx_dir` of ``cache_dir``.

        ``threads``: ONNX Runtime's threads for one batch; ``workers``: batches run at once
        (default: the cores, at most 4). One thread per batch measured fastest under concurrent
        requests and a busy machine (benchmarks/bench_threads.py). onnxruntime's own telemetry is
        switched off with its API here; its documentation says only ``ORT_DISABLE_TELEMETRY=1`` set
        before it initialises stops every event, and library code does not touch the environment, so
        the ``rag`` command sets it at start-up (:mod:`rag.cli.environment`)."""
        model_dir = Path(model_dir)
        if not model_dir.is_dir():  # else the tokenizer takes the path for a hub name and says so, obscurely
            raise ModelError(f"the model folder {str(model_dir)!r} does not exist; pass the folder of a "
                             "sentence-transformers model, or omit --model for the bundled all-MiniLM-L6-v2.")
        if not supported(model_dir):
            raise ModelError(f"{str(model_dir)!r} is not a mean-pooling sentence-transformers folder (modules.json, "
                             "1_Pooling/config.json), so it cannot run on ONNX Runtime; use backend='torch'.")
        import onnxruntime as ort
        from tokenizers import Tokenizer

        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}; got {precision!r}.")
        ort.disable_telemetry_events()
        identity = model_identity(model_dir, cache_dir=cache_dir)
        target = onnx_dir(cache_dir) / f"{model_dir.name}-{identity[7:23]}.onnx"  # by content, not name
        if not target.exists():
            export(model_dir, target)
        if precision == "int8":
            target = quantized(target)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # done once, below
        session = ort.InferenceSession(str(optimized(target)), options, providers=["CPUExecutionProvider"])
        try:
            cfg = json.loads((model_dir / "sentence_bert_config.json").read_text())
            max_length = int(cfg.get("max_seq_length", 256))
        except (OSError, ValueError):
            max_length = 256
        return cls(session, Tokenizer.from_file(str(model_dir / "tokenizer.json")), max_length,
                   workers or default_threads(), one_per_batch=precision == "int8")

    def _run(self, texts: list[str], idx: list[int]):
        encodings = self.tokenizer.encode_batch([texts[i] for i in idx])
        ids = np.array([e.ids for e in encodings], np.int64)
        mask = np.array([e.attention_mask for e in encodings], np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return idx, encodings, self.session.run(None, feed)[0], mask

    def _batches(self, texts: list[str], batch_size: int, progress: bool):
        """``(indices, encodings, hidden states, attention mask)`` per batch of similar lengths.

        Batches run ``workers`` at a time, each on the session's own (by default one) thread:
        a question never waits for a thread pool the other requests hold, and a build still
        uses every core."""
        # Sorting by length keeps padding small inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batch_size = 1 if self.one_per_batch else batch_size
        batches = [order[b : b + batch_size] for b in range(0, len(texts), batch_size)]
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(batches), desc="embedding", unit="batch")
        for result in self._results(texts, batches):
            yield result
            if bar is not None:
                bar.update()
        if bar is not None:
            bar.close()

    def _results(self, texts: list[str], batches: list[list[int]]):
        if len(batches) <= 1 or self.workers == 1:  # a question: no pool to start
            yield from (self._run(texts, idx) for idx in batches)
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(self.workers, thread_name_prefix="rag-embed") as pool:
            # a window of ``workers`` batches at a time: a long build never holds every batch's states at once
            for w in range(0, len(batches), self.workers):
                yield from pool.map(lambda idx: self._run(texts, idx), batches[w : w + self.workers])

    def encode(self, texts: list[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        return self.encode_spans(texts, [[] for _ in texts], batch_size=batch_size, progress=progress)[0]

    def encode_spans(self, texts: list[str], spans: list[list[tuple[int, int]]], *, batch_size: int = 32,
                     progress: bool = False) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
        """Vectors of ``texts`` and, from the same forward pass, of each character span
        ``(start, end)`` of ``spans[i]`` inside ``texts[i]``: the mean of the token states whose
        characters lie in the span, normalised. A span with no token left (cut off by the
        model's length limit) gets None."""
        out = np.zeros((len(texts), self.dim), np.float32)
        span_vectors: list[list[np.ndarray | None]] = [[None] * len(s) for s in spans]
        for idx, encodings, hidden, mask in self._batches(texts, batch_size, progress):
            weights = mask[..., None].astype(np.float32)
            out[idx] = _unit((hidden * weights).sum(1) / np.maximum(weights.sum(1), 1e-9))
            for row, (i, enc) in enumerate(zip(idx, encodings)):
                if not spans[i]:
                    continue
                real = np.array([m and not s for m, s in zip(enc.attention_mask, enc.special_tokens_mask)], bool)
                starts = np.array([o[0] for o in enc.offsets])
                ends = np.array([o[1] for o in enc.offsets])
                for j, (start, end) in enumerate(spans[i]):
                    inside = real & (starts >= start) & (ends <= end) & (ends > starts)
                    if inside.any():
                        span_vectors[i][j] = _unit(hidden[row, inside].mean(0, keepdims=True))[0]
        return out, span_vectors

    @property
    def dim(self) -> int:
        return int(self.session.get_outputs()[0].shape[-1])  # the export names only batch and tokens dynamic


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)).astype(np.float32)
