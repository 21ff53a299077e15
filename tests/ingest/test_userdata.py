"""rag.ingest.userdata: uploads live outside the project, one folder per corpus path."""
import hashlib
from pathlib import Path

from rag.ingest.userdata import data_home, uploads_dir


def test_data_home_prefers_rag_data_dir_then_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "rag-data"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_home() == tmp_path / "rag-data"
    monkeypatch.setenv("RAG_DATA_DIR", "")  # empty counts as unset
    assert data_home() == tmp_path / "xdg" / "rag"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_home() == tmp_path / "home" / ".local" / "share" / "rag"
    assert not (tmp_path / "home").exists()  # nothing is created


def test_uploads_dir_is_named_after_the_corpus_and_unique_to_its_path(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    corpus = tmp_path / "my news!"
    folder = uploads_dir(corpus)
    digest = hashlib.sha256(str(corpus.resolve()).encode()).hexdigest()[:8]
    assert folder == tmp_path / "data" / "uploads" / f"my-news-{digest}"
    # Same folder by any path to it; another folder of the same name elsewhere gets its own uploads.
    monkeypatch.chdir(tmp_path)
    assert uploads_dir(Path("my news!")) == folder
    assert uploads_dir(tmp_path / "other" / "my news!") != folder


def test_a_corpus_name_with_no_usable_character_is_called_corpus(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path))
    assert uploads_dir(tmp_path / "日本").name.startswith("corpus-")
