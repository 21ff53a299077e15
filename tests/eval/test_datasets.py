"""Gold-set loaders: our JSONL, SQuAD JSON with auto-detection, seeded sampling."""
from __future__ import annotations

import doctest
import json
from pathlib import Path

import pytest

from eval import datasets
from eval.datasets import GoldSetError, detect_format, load, load_jsonl, sample, write_corpus

ROOT = Path(__file__).resolve().parents[2]

SQUAD = {"version": "v2.0", "data": [
    {"title": "Fresno,_California", "paragraphs": [
        {"context": "Fresno is a city in California.\nIt was founded in 1872.", "qas": [
            {"id": "a1", "question": "When was Fresno founded?", "is_impossible": False,
             "answers": [{"text": "1872", "answer_start": 50}, {"text": "1872", "answer_start": 50},
                         {"text": "in 1872", "answer_start": 47}]},
            {"id": "u1", "question": "When was Fresno abandoned?", "is_impossible": True, "answers": []}]},
        {"context": "Its airport is FAT.", "qas": [
            {"id": "a2", "question": "What is the airport code?", "answers": [{"text": "FAT", "answer_start": 15}]}]},
    ]}]}


def write_jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def test_docstring_examples():
    failed, tried = doctest.testmod(datasets)
    assert tried and not failed


def test_bundled_gold_set_loads():
    items = load_jsonl(ROOT / "eval" / "gold.jsonl")
    assert len(items) == 89
    followup = next(i for i in items if i.kind == "followup")
    assert followup.history and set(followup.history[0]) == {"question", "answer"}
    assert sum(not i.answerable for i in items) == 19


def test_jsonl_keeps_unknown_fields_and_fills_defaults(tmp_path):
    path = write_jsonl(tmp_path / "g.jsonl", [
        {"id": "x", "question": "Who?", "answers": ["Rollo"], "difficulty": "easy", "notes": {"by": "me"}},
        "",
        {"question": "Capital of Mars?", "answers": []},
    ])
    first, second = load_jsonl(path)
    assert first.extra == {"difficulty": "easy", "notes": {"by": "me"}}
    assert first.answerable and first.evidence == () and first.kind is None and first.documents is None
    assert second.id == "g.jsonl:3" and not second.answerable


@pytest.mark.parametrize("row, message", [
    ("{not json", "g.jsonl:1: not valid JSON"),
    ('["a list"]', "expected a JSON object"),
    ({"answers": ["x"]}, "missing or empty \"question\""),
    ({"question": "Q?", "answers": "33"}, "answers must be a list of strings"),
    ({"question": "Q?", "answerable": True}, "answerable question without answers"),
    ({"question": "Q?", "answers": ["a"], "history": [{"question": "only"}]}, "history must be a list"),
])
def test_jsonl_errors_name_line_and_fix(tmp_path, row, message):
    path = write_jsonl(tmp_path / "g.jsonl", [row])
    with pytest.raises(GoldSetError, match=message.replace("(", r"\(")):
        load_jsonl(path)


def test_jsonl_duplicate_ids_and_empty_and_missing(tmp_path):
    path = write_jsonl(tmp_path / "g.jsonl", [{"id": "a", "question": "Q?", "answers": ["x"]}] * 2)
    with pytest.raises(GoldSetError, match="g.jsonl:2: duplicate id 'a'"):
        load_jsonl(path)
    with pytest.raises(GoldSetError, match="no questions"):
        load_jsonl(write_jsonl(tmp_path / "empty.jsonl", [""]))
    with pytest.raises(GoldSetError, match="does not exist; pass --gold"):
        load(tmp_path / "nope.jsonl")


def test_detect_format(tmp_path):
    squad = tmp_path / "s.json"
    squad.write_text(json.dumps(SQUAD), encoding="utf-8")
    one_line = write_jsonl(tmp_path / "one.jsonl", [{"question": "Q?", "answers": ["x"], "data": [1]}])
    assert detect_format(squad) == "squad"
    assert detect_format(ROOT / "eval" / "gold.jsonl") == "jsonl"
    assert detect_format(one_line) == "jsonl"  # a "data" field is not a SQuAD file


def test_squad_questions_and_paragraphs(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(SQUAD), encoding="utf-8")
    items, paragraphs = load(path)
    assert [p.file_name for p in paragraphs] == ["Fresno_California-000.txt", "Fresno_California-001.txt"]
    assert paragraphs[0].title == "Fresno, California (paragraph 0)"
    a1, u1, a2 = items
    assert a1.answers == ("1872", "in 1872") and a1.evidence == a1.answers   # deduplicated, order kept
    assert a1.documents == ("Fresno_California-000",) and a1.kind == "answerable"
    assert not u1.answerable and u1.answers == () and u1.kind == "unanswerable"
    assert a2.answerable  # v1.1 files have no is_impossible


def test_squad_titles_that_slug_alike_keep_separate_files(tmp_path):
    doc = {"data": [{"title": t, "paragraphs": [{"context": t, "qas": [{"id": t, "question": "Q?", "answers": []}]}]}
                    for t in ("A,B", "A_B")]}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    items, paragraphs = load(path)
    assert [p.file_name for p in paragraphs] == ["A_B-000.txt", "A_B-1-000.txt"]
    assert [i.documents for i in items] == [("A_B-000",), ("A_B-1-000",)]


def test_squad_format_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"data": [{"title": "T", "paragraphs": [{"qas": []}]}]}), encoding="utf-8")
    with pytest.raises(GoldSetError, match="not a SQuAD file"):
        load(bad, fmt="squad")
    with pytest.raises(GoldSetError, match="format must be"):
        load(bad, fmt="csv")


def test_write_corpus_offsets_and_reuse(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(SQUAD), encoding="utf-8")
    _, paragraphs = load(path)
    folder = write_corpus(paragraphs, tmp_path / "corpus")
    text = (folder / "Fresno_California-000.txt").read_text(encoding="utf-8")
    assert text == SQUAD["data"][0]["paragraphs"][0]["context"]
    assert text[50:54] == "1872"   # answer_start offsets hold in the written file
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    assert meta["Fresno_California-001.txt"]["title"] == "Fresno, California (paragraph 1)"
    before = (folder / "Fresno_California-000.txt").stat().st_mtime_ns
    write_corpus(paragraphs, folder)
    assert (folder / "Fresno_California-000.txt").stat().st_mtime_ns == before  # unchanged files not rewritten


def test_corpus_is_read_by_the_normal_ingestion(tmp_path):
    from rag import Corpus

    path = tmp_path / "s.json"
    path.write_text(json.dumps(SQUAD), encoding="utf-8")
    _, paragraphs = load(path)
    corpus = Corpus.from_dir(write_corpus(paragraphs, tmp_path / "corpus"))
    assert [d.id for d in corpus.documents] == [p.doc_id for p in paragraphs]
    assert corpus.documents[0].title == "Fresno, California (paragraph 0)"
    assert corpus.documents[0].cleaned_text().replace("\n\n", "\n") == paragraphs[0].text


def make_items(n_yes, n_no):
    yes = [datasets.GoldItem(f"y{i}", "q", ("a",)) for i in range(n_yes)]
    no = [datasets.GoldItem(f"n{i}", "q", (), answerable=False) for i in range(n_no)]
    return [x for pair in zip(yes, no) for x in pair] + yes[len(no):] + no[len(yes):]


def test_sample_is_seeded_ordered_and_balanced():
    items = make_items(70, 30)
    a = sample(items, 20, seed=13, balanced=True)
    assert a == sample(items, 20, seed=13, balanced=True)
    assert a != sample(items, 20, seed=14, balanced=True)
    assert sum(i.answerable for i in a) == 10 and len(a) == 20
    assert [items.index(i) for i in a] == sorted(items.index(i) for i in a)      # file order kept
    odd = sample(items, 7, seed=1, balanced=True)
    assert sum(i.answerable for i in odd) == 4
    short = sample(make_items(70, 3), 20, seed=13, balanced=True)
    assert sum(not i.answerable for i in short) == 3 and len(short) == 20  # the answerable side fills up
    plain = sample(items, 10, seed=13)
    assert len(plain) == 10 and plain == sample(items, 10, seed=13)
    assert sample(items, None, seed=13) == items and len(sample(items, 10**6, seed=1)) == 100
    with pytest.raises(GoldSetError, match="--limit must be at least 1; got 0"):
        sample(items, 0, seed=13)
