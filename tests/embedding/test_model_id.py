"""Model identity is the model's files, not its folder's name."""
from __future__ import annotations

import shutil

import pytest

from rag.embedding.sentence_embedder import DEFAULT_MODEL, SentenceTransformerEmbedder, default_model_path
from rag.errors import IndexMismatchError
from rag.embedding.model_id import model_files, model_identity
from rag.index.codec import check_compatible


@pytest.fixture
def cache(tmp_path):
    """A cache folder of the test's own: the user's ~/.cache/rag is never written."""
    return tmp_path / "cache"


def fake_model(folder, weights: bytes):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text('{"hidden_size": 4}')
    (folder / "model.safetensors").write_bytes(weights)
    (folder / "README.md").write_text("a model card")
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text('{"pooling_mode_mean_tokens": true}')
    return folder


def test_the_bundled_model_by_name_and_by_path_is_one_model(cache):
    by_name = SentenceTransformerEmbedder(cache_dir=cache)
    by_path = SentenceTransformerEmbedder(default_model_path(), cache_dir=cache)
    assert by_name.identity == by_path.identity and by_name.identity.startswith("sha256:")
    assert by_path.name == DEFAULT_MODEL


def test_two_models_in_folders_of_the_same_name_are_two_models(tmp_path, cache):
    a = SentenceTransformerEmbedder(str(fake_model(tmp_path / "a" / "mymodel", b"\x00" * 64)), cache_dir=cache)
    b = SentenceTransformerEmbedder(str(fake_model(tmp_path / "b" / "mymodel", b"\x01" * 64)), cache_dir=cache)
    assert a.name == b.name == "mymodel" and a.identity != b.identity
    manifest = {"model": a.name, "model_id": a.identity, "chunking": {}}
    with pytest.raises(IndexMismatchError, match="a model of the same name, with other files.*--rebuild"):
        check_compatible(manifest, model=b.name, model_id=b.identity, chunking={}, index_dir="idx")
    check_compatible(manifest, model=a.name, model_id=a.identity, chunking={}, index_dir="idx")


def test_a_copy_anywhere_is_the_same_model_and_docs_do_not_count(tmp_path, cache):
    original = fake_model(tmp_path / "one" / "m", b"weights")
    copy = tmp_path / "elsewhere" / "renamed"
    shutil.copytree(original, copy)
    (copy / "README.md").write_text("edited card")
    assert model_identity(original, cache_dir=cache) == model_identity(copy, cache_dir=cache)
    assert [p.name for p in model_files(copy)] == ["config.json", "config.json", "model.safetensors"]


def test_a_changed_weight_file_is_hashed_again_despite_the_cache(tmp_path, cache):
    folder = fake_model(tmp_path / "m", b"\x00" * 64)
    first = model_identity(folder, cache_dir=cache)
    assert first in (cache / "model-ids.json").read_text()  # the cache is where it was told to be
    assert model_identity(folder, cache_dir=cache) == first  # from the cache
    (folder / "model.safetensors").write_bytes(b"\x00" * 63 + b"\x01")
    assert model_identity(folder, cache_dir=cache) != first


def test_a_model_that_is_nowhere_is_a_model_error(cache):
    from rag.errors import ModelError

    with pytest.raises(ModelError, match="neither a local folder nor in the local Hugging Face cache"):
        SentenceTransformerEmbedder("no-such-model-anywhere-xyz", cache_dir=cache).identity
