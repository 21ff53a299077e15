"""rag.ingest.userdata: uploads live outside the project, one folder per corpus path."""
import hashlib
from pathlib import Path

from rag.ingest.userdata import uploads_dir


def test_the_default_data_dir_is_under_home_and_nothing_is_created(monkeypatch, tmp_path):
    # The environment ($RAG_DATA_DIR, $XDG_DATA_HOME) is read by the CLI (tests/cli/test_settings.py), not here.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "ignored"))
    folder = uploads_dir(tmp_path / "news")
    assert folder.parent == tmp_path / "home" / ".local" / "share" / "rag" / "uploads"
    assert not (tmp_path / "home").exists() and not (tmp_path / "ignored").exists()


def test_uploads_dir_is_named_after_the_corpus_and_unique_to_its_path(monkeypatch, tmp_path):
    corpus = tmp_path / "my news!"
    folder = uploads_dir(corpus, data_dir=tmp_path / "data")
    digest = hashlib.sha256(str(corpus.resolve()).encode()).hexdigest()[:8]
    assert folder == tmp_path / "data" / "uploads" / f"my-news-{digest}"
    # Same folder by any path to it; another folder of the same name elsewhere gets its own uploads.
    monkeypatch.chdir(tmp_path)
    assert uploads_dir(Path("my news!"), data_dir=tmp_path / "data") == folder
    assert uploads_dir(tmp_path / "other" / "my news!", data_dir=tmp_path / "data") != folder


def test_a_corpus_name_with_no_usable_character_is_called_corpus(monkeypatch, tmp_path):
    assert uploads_dir(tmp_path / "日本", data_dir=tmp_path).name.startswith("corpus-")
