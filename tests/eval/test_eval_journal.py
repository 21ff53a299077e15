"""The evaluation journal: rows kept as they come, resumed only under the same settings."""
from __future__ import annotations

import json

import pytest

from eval.journal import NAME, PREVIOUS, Journal, JournalError

SETTINGS = {"gold": "/data/dev.jsonl", "limit": 100, "seed": 13, "answerers": ["llm"]}


def test_rows_survive_a_restart_and_a_line_cut_by_a_kill_is_asked_again(tmp_path):
    path = tmp_path / NAME
    with Journal.start(path, SETTINGS) as journal:
        journal.add({"answerer": "llm", "id": "q1", "short_answer": "33"})
        journal.add({"answerer": "llm", "id": "q2", "short_answer": None})
    with open(path, "a", encoding="utf-8") as f:
        f.write('{"answerer": "llm", "id": "q3", "short_ans')  # killed in the middle of a write
    with Journal.start(path, SETTINGS, resume=True) as journal:
        assert sorted(journal.done) == [("llm", "q1"), ("llm", "q2")]
        journal.add({"answerer": "llm", "id": "q3", "short_answer": "Ankara"})
    lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0]) == {"settings": SETTINGS}
    assert [json.loads(line)["id"] for line in lines[1:]] == ["q1", "q2", "q3"]  # the cut line is gone


def test_a_journal_of_other_settings_is_refused_naming_the_difference(tmp_path):
    path = tmp_path / NAME
    Journal.start(path, SETTINGS).close()
    with pytest.raises(JournalError, match=r"seed: 13 then, 7 now.*without --resume"):
        Journal.start(path, {**SETTINGS, "seed": 7}, resume=True)
    path.write_text("not json\n", encoding="utf-8")
    with pytest.raises(JournalError, match="not an evaluation journal"):
        Journal.start(path, SETTINGS, resume=True)


def test_a_fresh_start_moves_an_unfinished_journal_aside_and_finish_removes_it(tmp_path):
    path = tmp_path / NAME
    with Journal.start(path, SETTINGS) as journal:
        journal.add({"answerer": "llm", "id": "q1"})
    fresh = Journal.start(path, SETTINGS)
    assert fresh.done == {} and "q1" in (tmp_path / PREVIOUS).read_text(encoding="utf-8")
    fresh.finish()
    assert not path.exists()


def test_resume_without_a_journal_starts_afresh(tmp_path):
    with Journal.start(tmp_path / "out" / NAME, SETTINGS, resume=True) as journal:
        assert journal.done == {}
    assert (tmp_path / "out" / NAME).exists()
