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
from rag.embedding.onnx_encoder import OnnxEncoder, onnx_dir, supported
from rag.embedding.sentence_embedder import default_model_path
from rag.errors import ModelError

MODEL = default_model_path()


def test_the_graphs_live_in_the_onnx_folder_of_the_cache_given():
    assert onnx_dir("/tmp/c") == Path("/tmp/c/onnx")


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
    with pytest.raises(ModelError, match=r"the model folder '.*nowhere' does not exist; pass the folder of a "
                                         r"sentence-transformers model, or omit --model"):
        OnnxEncoder.from_model_dir(tmp_path / "nowhere", cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_a_folder_onnx_cannot_run_says_use_torch(monkeypatch, tmp_path):
    cls = model_like(tmp_path, {"pooling_mode_cls_token": True})
    with pytest.raises(ModelError, match=r"is not a mean-pooling sentence-transformers folder .* use backend='torch'"):
        OnnxEncoder.from_model_dir(cls, cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The bundled model exported into a private cache: (encoder, cache folder)."""
    cache = tmp_path_factory.mktemp("rag-cache")
    return OnnxEncoder.from_model_dir(MODEL, threads=2, cache_dir=cache), cache


@pytest.fixture(scope="module")
def reference():
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(MODEL, device="cpu")


TEXTS = ["33 Turkish soldiers were killed in an air strike in Idlib.", "Talks", "",
         "Ça va? Très bien, merci — 中文句子。",
         "Erdogan and Putin agreed to meet in Moscow. " * 80]  # over 256 tokens: truncated


@pytest.mark.slow
def test_onnx_vectors_equal_sentence_transformers(exported, reference):
    encoder, _ = exported
    ours = encoder.encode(TEXTS, batch_size=2)  # batches of unequal lengths: padding must not leak in
    theirs = reference.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    assert ours.shape == (5, 384) and ours.dtype == np.float32 and ours.flags.c_contiguous
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert np.abs(ours - theirs).max() < 1e-5  # measured 2.6e-7: float32 rounding
    assert encoder.max_length == 256  # from sentence_bert_config.json: the long text is truncated alike


@pytest.mark.slow
def test_batching_and_order_do_not_change_a_vector(exported):
    encoder, _ = exported
    one_by_one = np.vstack([encoder.encode([t]) for t in TEXTS])
    np.testing.assert_allclose(encoder.encode(TEXTS, batch_size=32), one_by_one, atol=1e-5)
    np.testing.assert_allclose(encoder.encode(TEXTS[::-1])[::-1], one_by_one, atol=1e-5)
    assert encoder.encode([]).shape == (0, 384)


@pytest.mark.slow
def test_the_export_is_cached_by_model_content_and_reused(exported, monkeypatch, tmp_path):
    from rag.embedding.model_id import model_identity

    _, cache = exported
    graph = cache / "onnx" / f"model-{model_identity(MODEL)[7:23]}.onnx"
    assert graph.is_file()
    files = {p.name: p.stat().st_mtime_ns for p in (cache / "onnx").iterdir()}
    assert not [name for name in files if ".tmp" in name]  # written atomically: no temporary file left behind

    def no_export(*args):
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_encoder, "export", no_export)
    again = OnnxEncoder.from_model_dir(MODEL, threads=1, cache_dir=cache)
    assert again.encode(["Talks"]).shape == (1, 384)
    assert {p.name: p.stat().st_mtime_ns for p in (cache / "onnx").iterdir()} == files  # nothing rewritten or added
    # A folder of the same name holding another model gets its own graph: the file is named by content.
    other = tmp_path / "model"
    other.mkdir()
    for path in Path(MODEL).rglob("*"):
        if path.is_file() and path != Path(MODEL) / "config.json":
            (other / path.relative_to(MODEL)).parent.mkdir(parents=True, exist_ok=True)
            (other / path.relative_to(MODEL)).symlink_to(path)
    config = json.loads((Path(MODEL) / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**config, "layer_norm_eps": 1e-6}))
    exports = []

    def fake_export(src, target):
        exports.append(target)
        shutil.copy(graph, target)

    monkeypatch.setattr(onnx_encoder, "export", fake_export)
    OnnxEncoder.from_model_dir(other, threads=1, cache_dir=cache)
    assert [t.name for t in exports] == [f"model-{model_identity(other)[7:23]}.onnx"]
    assert exports[0].name != graph.name and graph.stat().st_mtime_ns == files[graph.name]
