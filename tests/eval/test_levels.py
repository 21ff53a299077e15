"""eval.levels: a higher confirmation level read from a journal, without running the model."""
import json

import pytest

from eval.levels import at_level, at_levels, main


def row(answerable, refused, share, correct=None, f1=None, reason=None):
    correct = (not answerable) if refused else bool(correct) if correct is not None else answerable
    f1 = f1 if f1 is not None else float(correct)
    return {"answerer": "llm", "answerable": answerable, "refused": refused, "confirm": share, "reason": reason,
            "scores": {"f1": f1, "correct": correct}}


JOURNAL = [row(True, False, 0.9, correct=True),             # right, sure
           row(True, False, 0.62, correct=True),            # right, doubtful
           row(True, False, 0.7, correct=False, f1=0.5),    # half right
           row(False, False, 0.64),                         # unanswerable, answered
           row(False, True, 0.5, reason="the model did not confirm it (yes share 0.50)"),
           row(True, True, None, reason="support 0.1 below 0.27")]  # refused before the check


def test_a_shown_answer_below_the_level_becomes_a_refusal_scored_as_one():
    assert at_level(JOURNAL[1], 0.6) == (False, 1.0, True)
    assert at_level(JOURNAL[1], 0.65) == (True, 0.0, False)     # a right answer lost
    assert at_level(JOURNAL[3], 0.65) == (True, 1.0, True)      # an unanswerable question now refused
    assert at_level(JOURNAL[5], 0.99) == (True, 0.0, False)     # refused stays refused


def test_levels_trade_right_answers_for_refusals():
    low, high = at_levels(JOURNAL, [0.6, 0.65])
    assert (low["answerable_right"], low["refused_unanswerable"]) == (2, 1)
    assert (high["answerable_right"], high["refused_unanswerable"]) == (1, 2)
    assert low["f1"] == pytest.approx((1 + 1 + 0.5 + 0 + 1 + 0) / 6)
    assert high["f1"] == pytest.approx((1 + 0 + 0.5 + 1 + 1 + 0) / 6)
    assert high["refusal_recall"] == 1.0 and high["refusal_precision"] == pytest.approx(2 / 4)


def test_a_level_the_run_cannot_show_is_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"level 0.5 is not above the run's own .*--llm-confirm 0.5 or lower"):
        at_levels(JOURNAL, [0.5])


def test_the_command_prints_a_table_and_names_a_bad_journal(tmp_path, capsys):
    path = tmp_path / "results.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in JOURNAL) + "\n", encoding="utf-8")
    assert main([str(path), "--levels", "0.6", "0.65"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("0.60") and "2 / 4" in lines[1] and "1 / 2" in lines[1]
    old = tmp_path / "old.jsonl"
    old.write_text(json.dumps({"answerer": "llm", "answerable": True, "refused": False}) + "\n", encoding="utf-8")
    assert main([str(old)]) == 2 and "logs no confirmation shares" in capsys.readouterr().err
    assert main([str(tmp_path / "missing.jsonl")]) == 2 and "cannot read" in capsys.readouterr().err
