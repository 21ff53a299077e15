"""ONNX Runtime encoder for sentence-transformers models with mean pooling.

PyTorch spends most of a one-question forward pass in framework overhead
(about 13 ms for a 12-token question on this 2-core CPU); ONNX Runtime runs the
same graph in a fraction of that, with outputs equal to float32 rounding. The
graph is exported once from the local model with ``torch.onnx.export`` and
cached under ``<cache_dir>/onnx`` (default ``~/.cache/rag/onnx``), written atomically,
so nothing is ever downloaded.

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


def export(model_dir: Path, target: Path) -> None:
    """Export the transformer of ``model_dir`` to ``target`` (atomic rename)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModel.from_pretrained(str(model_dir)).eval()

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
    """Tokenize, run the ONNX graph, mean-pool over real tokens, L2-normalise."""

    def __init__(self, session, tokenizer, max_length: int):
        self.session = session
        self.tokenizer = tokenizer
        self.max_length = max_length

    @classmethod
    def from_model_dir(cls, model_dir: str | Path, *, threads: int | None = None,
                       cache_dir: str | Path | None = None) -> "OnnxEncoder":
        """The encoder of ``model_dir``, its graph exported once into :func:`onnx_dir` of ``cache_dir``.

        onnxruntime's own telemetry is switched off with its API here. Its documentation says only
        ``ORT_DISABLE_TELEMETRY=1`` set before it initialises stops every event; library code does not
        touch the environment, so the ``rag`` command sets it at start-up (:mod:`rag.cli.environment`)."""
        model_dir = Path(model_dir)
        if not model_dir.is_dir():  # else the tokenizer takes the path for a hub name and says so, obscurely
            raise ModelError(f"the model folder {str(model_dir)!r} does not exist; pass the folder of a "
                             "sentence-transformers model, or omit --model for the bundled all-MiniLM-L6-v2.")
        if not supported(model_dir):
            raise ModelError(f"{str(model_dir)!r} is not a mean-pooling sentence-transformers folder (modules.json, "
                             "1_Pooling/config.json), so it cannot run on ONNX Runtime; use backend='torch'.")
        import onnxruntime as ort
        from transformers import AutoTokenizer

        ort.disable_telemetry_events()
        identity = model_identity(model_dir, cache_dir=cache_dir)
        target = onnx_dir(cache_dir) / f"{model_dir.name}-{identity[7:23]}.onnx"  # by content, not name
        if not target.exists():
            export(model_dir, target)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])
        try:
            cfg = json.loads((model_dir / "sentence_bert_config.json").read_text())
            max_length = int(cfg.get("max_seq_length", 256))
        except (OSError, ValueError):
            max_length = 256
        return cls(session, AutoTokenizer.from_pretrained(str(model_dir)), max_length)

    def encode(self, texts: list[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        # Sorting by length keeps padding small inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.session.get_outputs()[0].shape[-1]), np.float32)  # (0, dim) for no texts
        batches = range(0, len(texts), batch_size)
        if progress:
            from tqdm import tqdm

            batches = tqdm(batches, desc="embedding", unit="batch")
        parts = []
        for b in batches:
            idx = order[b : b + batch_size]
            enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                 max_length=self.max_length, return_tensors="np")
            feed = {k: enc[k].astype(np.int64) for k in INPUTS if k in enc}
            if "token_type_ids" not in feed:
                feed["token_type_ids"] = np.zeros_like(feed["input_ids"])
            hidden = self.session.run(None, feed)[0]
            mask = feed["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
            parts.append((idx, pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)))
        for idx, vecs in parts:
            out[idx] = vecs
        return np.ascontiguousarray(out, dtype=np.float32)
