"""The `rag` command end to end: real model, real index on disk, exit codes and messages."""
import json

import pytest

from rag.cli import main
from rag.index.generations import live_generation

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from conftest import SEEDS
    import shutil

    root = tmp_path_factory.mktemp("cli")
    corpus = root / "seeds"
    shutil.copytree(SEEDS, corpus, ignore=shutil.ignore_patterns(".rag-index"))
    assert main(["index", str(corpus)]) == 0
    return corpus


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_index_prints_counts_and_time(built, capsys):
    code, out, _ = run(capsys, "index", str(built))
    assert code == 0 and "loaded index" in out and "5 documents" in out and "chunks" in out


def test_search_json_has_the_passage_fields(built, capsys):
    code, out, _ = run(capsys, "search", "how many soldiers from Turkey lost their lives?", "-k", "3", "--json",
                       "--corpus", str(built))
    assert code == 0
    passages = json.loads(out)
    assert len(passages) == 3
    fields = {"doc_id", "title", "source", "date", "source_path", "chunk_id", "text", "start", "end", "score",
              "sentences"}
    assert all(fields <= set(p) for p in passages)
    assert any("33 Turkish soldiers" in p["text"] for p in passages)
    for p in passages:
        assert open(p["source_path"], encoding="utf-8").read()[p["start"]:p["end"]] == p["text"]


def test_docs_lists_titles_sources_dates(built, capsys):
    code, out, _ = run(capsys, "docs", "--json", "--corpus", str(built))
    rows = json.loads(out)
    assert code == 0 and len(rows) == 5
    assert {r["source"] for r in rows} >= {"Sputnik News"} and all(r["chunks"] >= 1 for r in rows)


@pytest.mark.parametrize("question,message", [("   ", "empty"), ("x" * 100_000, "100,000 characters")])
def test_bad_questions_exit_2_with_one_line(built, capsys, question, message):
    code, out, err = run(capsys, "search", question, "--corpus", str(built))
    assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err


def test_missing_and_empty_folders(tmp_path, capsys):
    code, _, err = run(capsys, "index", str(tmp_path / "nope"))
    assert code == 2 and "does not exist" in err
    code, _, err = run(capsys, "index", str(tmp_path))
    assert code == 2 and "no .txt, .md or .html files" in err


@pytest.mark.parametrize("name", ["chunks.faiss", "bm25.npz", "chunks.cols", "manifest.json", "CURRENT"])
def test_corrupt_index_is_reported_and_rebuild_fixes_it(built, capsys, name):
    gen = live_generation(built / ".rag-index")
    path = built / ".rag-index" / name if name == "CURRENT" else gen / name
    data = path.read_bytes()
    path.write_bytes(data.replace(b"3", b"4", 1) if name == "chunks.cols" else b"" if name == "bm25.npz"
                     else b"garbage")
    code, _, err = run(capsys, "search", "Kalibr", "--corpus", str(built))
    assert code == 2 and "corrupt" in err and name in err and "rag index --rebuild" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert run(capsys, "index", str(built), "--rebuild")[0] == 0
    assert run(capsys, "search", "Kalibr", "--corpus", str(built))[0] == 0


def test_index_of_another_model_is_refused(built, capsys):
    from rag.index.codec import load, save

    index = load(built / ".rag-index")
    index.model, index.model_id = "some-other-model", "sha256:" + "0" * 64
    save(index, built / ".rag-index")
    code, _, err = run(capsys, "search", "Kalibr", "--corpus", str(built))
    assert code == 2 and "some-other-model" in err and "--rebuild" in err
    assert run(capsys, "index", str(built), "--rebuild")[0] == 0


def test_binary_and_non_utf8_files_are_named_in_warnings(built, capsys):
    (built / "blob.txt").write_bytes(b"\x00\x01\x02")
    (built / "latin.txt").write_bytes("Caf\xe9 reopened\nThe caf\xe9 in Idlib reopened on Monday.".encode("latin-1"))
    code, out, err = run(capsys, "index", str(built))
    assert code == 0 and "updated index" in out
    assert "blob.txt: skipped, looks binary" in err and "latin.txt: not valid UTF-8" in err
    (built / "blob.txt").unlink()
    (built / "latin.txt").unlink()


def test_the_bundled_model_given_by_its_own_path_uses_the_same_index(built, capsys):
    from rag.embedding.sentence_embedder import default_model_path

    assert run(capsys, "index", str(built))[0] == 0  # whatever earlier tests left, up to date now
    code, out, err = run(capsys, "index", str(built), "--model", default_model_path())
    assert code == 0 and "loaded index" in out and "embedded 0 texts" in out, err
