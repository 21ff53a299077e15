"""The CLI's edge: flags, else environment variables, become explicit arguments of the library."""
from __future__ import annotations

import argparse

import pytest

from rag.cli import environment
from rag.cli.flags import (add_answerer_flags, add_index_flags, add_store_flags, assistant_settings, embedding_settings,
                           uploads_for)


def parse(*argv):
    p = argparse.ArgumentParser()
    add_index_flags(p)
    add_store_flags(p)
    add_answerer_flags(p)
    return p.parse_args(list(argv))


def test_flags_win_over_the_environment(tmp_path):
    env = {"RAG_MODEL": "/env/model", "RAG_EMBED_BACKEND": "onnx", "RAG_CACHE": str(tmp_path / "env-cache")}
    args = parse("--model", "/flag/model", "--embed-backend", "torch", "--cache-dir", str(tmp_path / "flag-cache"))
    assert embedding_settings(args, env) == {"model": "/flag/model", "embed_backend": "torch",
                                             "cache_dir": tmp_path / "flag-cache"}
    assert embedding_settings(parse(), env) == {"model": "/env/model", "embed_backend": "onnx",
                                                "cache_dir": tmp_path / "env-cache"}


def test_without_flags_or_variables_the_library_defaults_hold(tmp_path):
    from rag.paths import default_cache_dir

    assert embedding_settings(parse(), {}) == {"model": None, "embed_backend": "auto", "cache_dir": default_cache_dir()}
    settings = assistant_settings(parse("--answerer", "rules", "--index-dir", "idx"), {})
    assert settings["answerer"] == "rules" and settings["index_dir"] == "idx" and settings["llm_threads"] is None
    assert settings["store"] == "faiss" and settings["store_timeout"] is None


def test_the_store_flags_reach_the_assistant():
    settings = assistant_settings(parse("--store", "milvus://10.0.0.5:19530", "--store-timeout", "3"), {})
    assert settings["store"] == "milvus://10.0.0.5:19530" and settings["store_timeout"] == 3.0


def test_uploads_go_under_the_data_dir_of_the_environment(tmp_path):
    folder = uploads_for(parse(), tmp_path / "news", {"XDG_DATA_HOME": str(tmp_path / "xdg")})
    assert folder.parent == tmp_path / "xdg" / "rag" / "uploads" and folder.name.startswith("news-")
    assert uploads_for(parse(), tmp_path / "news", {"RAG_DATA_DIR": str(tmp_path / "d")}).parent == tmp_path / "d" / "uploads"
    assert uploads_for(parse("--uploads-dir", str(tmp_path / "u")), "news", {"RAG_DATA_DIR": "/x"}) == tmp_path / "u"


def test_a_bad_backend_is_a_usage_error():
    with pytest.raises(SystemExit):
        parse("--embed-backend", "cuda")


def test_offline_sets_only_what_the_user_left_unset():
    env = {"GRADIO_ANALYTICS_ENABLED": "True"}
    environment.offline(env)
    assert env == {"GRADIO_ANALYTICS_ENABLED": "True", "HF_HUB_OFFLINE": "1", "ORT_DISABLE_TELEMETRY": "1"}


def test_the_command_passes_backend_and_cache_to_the_embedder(tmp_path, monkeypatch, capsys):
    """`rag docs --embed-backend torch --cache-dir DIR` builds the embedder with exactly those settings."""
    import rag.embedding.sentence_embedder
    from conftest import FakeEmbedder
    from rag.cli import main

    made = []

    def fake(model=None, **settings):
        made.append((model, settings))
        return FakeEmbedder()

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Glacier survey\n\nThe glacier lost 12 metres in 2023, the survey said.\n")
    monkeypatch.setattr(rag.embedding.sentence_embedder, "SentenceTransformerEmbedder", fake)
    monkeypatch.setenv("RAG_MODEL", "/env/model")
    assert main(["docs", "--corpus", str(corpus), "--index-dir", str(tmp_path / "idx"), "--embed-backend", "torch",
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    assert made == [("/env/model", {"backend": "torch", "cache_dir": tmp_path / "cache"})]
    assert "Glacier survey" in capsys.readouterr().out


def test_the_confirmation_flag_takes_a_share_or_off(capsys):
    assert assistant_settings(parse(), {})["llm_confirm"] is None  # the model's own level
    assert assistant_settings(parse("--llm-confirm", "0.7"), {})["llm_confirm"] == 0.7
    assert assistant_settings(parse("--llm-confirm", "OFF"), {})["llm_confirm"] == "off"
    for bad in ("1.2", "often"):
        with pytest.raises(SystemExit):
            parse("--llm-confirm", bad)
        assert f"expected a share between 0 and 1 (e.g. 0.55) or off; got '{bad}'" in capsys.readouterr().err
