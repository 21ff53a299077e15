"""rag.embedding.onnx_encoder: the ONNX graph gives sentence-transformers' vectors, is exported once
per model content, and a folder it cannot use is refused with the fix.

The export takes ~13 s on 2 cores, so the tests that need the real graph are marked slow; they export
the bundled all-MiniLM-L6-v2 once into a private cache folder (never the user's ~/.cache)."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.embedding import onnx_encoder
from rag.embedding.onnx_encoder import OnnxEncoder, cache_dir, supported
from rag.embedding.sentence_embedder import default_model_path
from rag.errors import ModelError

MODEL = default_model_path()


def test_the_cache_folder_follows_rag_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_CACHE", str(tmp_path))
    assert cache_dir() == tmp_path / "onnx"


def test_the_bundled_model_is_supported():
    assert supported(Path(MODEL))


def model_like(tmp_path, pooling: dict, kinds=("Transformer", "Pooling", "Normalize")):
    folder = tmp_path / "model"
    (folder / "1_Pooling").mkdir(parents=True)
    modules = [{"idx": i, "name": str(i), "path": "", "type": f"sentence_transformers.models.{k}"}
               for i, k in enumerate(kinds)]
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    return folder


MEAN = {"pooling_mode_mean_tokens": True}


def test_supported_needs_mean_pooling_only(tmp_path):
    assert supported(model_like(tmp_path / "a", MEAN))
    assert not supported(model_like(tmp_path / "b", {"pooling_mode_cls_token": True}))
    assert not supported(model_like(tmp_path / "c", {**MEAN, "pooling_mode_max_tokens": True}))
    assert not supported(model_like(tmp_path / "d", {**MEAN, "pooling_mode_mean_sqrt_len_tokens": True}))
    assert not supported(model_like(tmp_path / "e", MEAN, kinds=("Pooling", "Transformer")))


def test_supported_is_false_for_missing_or_broken_files(tmp_path):
    assert not supported(tmp_path / "nowhere")
    broken = model_like(tmp_path, MEAN)
    (broken / "modules.json").write_text("{not json")
    assert not supported(broken)


def test_a_missing_model_folder_is_a_clear_error_and_writes_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_CACHE", str(tmp_path / "cache"))
    with pytest.raises(ModelError, match=r"the model folder '.*nowhere' does not exist; pass the folder of a "
                                         r"sentence-transformers model, or omit --model"):
        OnnxEncoder.from_model_dir(tmp_path / "nowhere")
    assert not (tmp_path / "cache").exists()


def test_a_folder_onnx_cannot_run_says_use_torch(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_CACHE", str(tmp_path / "cache"))
    cls = model_like(tmp_path, {"pooling_mode_cls_token": True})
    with pytest.raises(ModelError, match=r"is not a mean-pooling sentence-transformers folder .* use backend='torch'"):
        OnnxEncoder.from_model_dir(cls)
    assert not (tmp_path / "cache").exists()
