"""The eval script end to end, and the CI quality gate on eval/gold.jsonl.

Fast tests drive ``evaluate`` with a scripted assistant (answers fixed per
question) over a fake-embedder index, so every metric has a value known by
hand. The gate (``integration``) runs the real assistant with the real model
on the whole gold set once and fails when a metric in eval/floors.json is
below its floor, listing every such metric with both numbers.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval import run
from eval.datasets import load_jsonl
from eval.run import below_floors, evaluate, load_floors
from rag import Answer, Citation, Retriever, open_index

from conftest import FakeEmbedder, ROOT

GOLD = ROOT / "eval" / "gold.jsonl"


# -- a scripted assistant: the answers are chosen, the passages are real retrieval -------------------------------

class ScriptedAssistant:
    """``script`` maps a question to (short answer or None for a refusal, cited sentence texts)."""

    def __init__(self, retriever: Retriever, script: dict):
        self.retriever, self.script, self.asked = retriever, script, []

    def ask(self, question, history=None):
        self.asked.append((question, history))
        passages = tuple(self.retriever.search(question, k=8))
        short, cited = self.script.get(question, (None, []))
        if short is None:
            return Answer("The articles don't say.", None, True, (), question, passages)
        p = passages[0]
        cits = tuple(Citation(n, p.doc_id, p.title, p.source, p.date, p.source_path, text, 0, len(text))
                     for n, text in enumerate(cited, 1))
        return Answer(f"{short} [1]", short, False, cits, question, passages)


@pytest.fixture(scope="module")
def fake_index(tmp_path_factory):
    embedder = FakeEmbedder()
    index_dir = tmp_path_factory.mktemp("fake-index")
    open_index(ROOT / "seeds", embedder=embedder, index_dir=index_dir)
    return embedder, index_dir


def subset(tmp_path, ids) -> Path:
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows if r["id"] in ids), encoding="utf-8")
    return path


def run_scripted(tmp_path, fake_index, gold: Path, script: dict):
    embedder, index_dir = fake_index
    index, _ = open_index(ROOT / "seeds", embedder=embedder, index_dir=index_dir)
    assistant = ScriptedAssistant(Retriever(index, embedder), script)
    metrics = evaluate(gold, out=tmp_path / "out", index_dir=index_dir, embedder=embedder, assistant=assistant,
                       progress=False)
    return metrics, assistant


def test_scripted_run_scores_known_values(tmp_path, fake_index):
    gold = subset(tmp_path, {"q01", "q22", "q66", "q72"})
    script = {
        "How many Turkish troops died?": ("33 Turkish soldiers", ["Ankara said 33 Turkish soldiers were killed in a "
                                                                 "regime air strike in Syria on Thursday."]),
        "Who is the NATO Secretary-General?": ("Jens Stoltenberg", ["Turkey asked for the meeting."]),
        "With which country did he say the alliance stood in solidarity?": ("Greece", ["Greece sent border guards."]),
    }
    metrics, assistant = run_scripted(tmp_path, fake_index, gold, script)
    a, c, r = metrics["answers"], metrics["citations"], metrics["refusals"]
    assert a["n"] == 3 and a["em"] == pytest.approx(1 / 3)          # only "Jens Stoltenberg" matches exactly
    assert a["number_date_em"] == 1.0 and a["n_number_date"] == 1    # "33 Turkish soldiers" states 33
    assert metrics["accuracy"] == pytest.approx(3 / 4)               # q22 by value, q01 exact, q72 refused
    assert (r["tp"], r["fp"], r["fn"], r["tn"]) == (1, 0, 0, 3) and r["precision"] == r["recall"] == 1.0
    assert c["n_citations"] == 3 and c["precision"] == pytest.approx(1 / 3) and c["recall"] == pytest.approx(1 / 3)
    assert metrics["latency_ms"]["p50"] > 0 and set(metrics["by_kind"]) == {"factoid", "numeric", "followup",
                                                                            "unanswerable"}
    assert 0 <= metrics["retrieval"]["ndcg@10"] <= 1 and metrics["retrieval"]["n"] == 3
    followup = next(h for q, h in assistant.asked if q.startswith("With which country"))
    assert followup == [{"question": "Who is the Secretary-General of NATO?", "answer": "Jens Stoltenberg"}]

    out = tmp_path / "out"
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["q01", "q22", "q66", "q72"]
    for key in ("id", "question", "answer", "short_answer", "refused", "citations", "passages", "query",
                "latency_ms", "scores"):
        assert key in rows[0], key
    assert set(rows[0]["citations"][0]) >= {"n", "doc_id", "source_path", "text", "start", "end"}
    assert set(rows[0]["passages"][0]) >= {"doc_id", "chunk_id", "text", "start", "end", "score"}
    assert json.loads((out / "metrics.json").read_text(encoding="utf-8"))["answers"]["em"] == a["em"]
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "## Failed questions (1 of 4)" in md and "| q66 | followup |" in md and "Greece" in md
    assert "![Scores by question kind](scores_by_kind.png)" in md
    assert (out / "scores_by_kind.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_regressed_assistant_turns_the_gate_red(tmp_path, fake_index):
    """An assistant that answers everything wrongly, citing nothing useful, fails
    every answer, citation and refusal floor - with both numbers in the message."""
    items = load_jsonl(GOLD)
    script = {i.question: ("Ankara", ["Nothing relevant here at all."]) for i in items}
    metrics, _ = run_scripted(tmp_path, fake_index, GOLD, script)
    failures = below_floors(metrics, load_floors())
    failed = {line.split(" = ")[0] for line in failures}
    assert {"answers.em", "citations.precision", "refusals.recall", "refusals.precision"} <= failed
    assert any(line.startswith("answers.em = 0.0") and "below its floor" in line for line in failures)


def test_floors_cover_the_gated_metrics():
    floors = load_floors()
    for key in ("answers.em", "answers.f1", "citations.precision", "citations.recall", "refusals.precision",
                "refusals.recall", "refusals.accuracy", "retrieval.recall@5"):
        assert 0 < floors[key] <= 1, key


def test_flags_match_rag_cli():
    from rag.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command").choices["eval"]
    def spec(parser):
        return {a.dest: (tuple(a.option_strings), a.default, a.type, tuple(a.choices or ())) for a in parser._actions
                if a.dest != "help"}
    assert spec(sub) == spec(run.build_parser())


def test_user_errors_are_one_line(tmp_path, capsys):
    assert run.main(["--gold", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: gold file") and "Traceback" not in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "Q?", "answers": ["x"]}\n{oops\n', encoding="utf-8")
    assert run.main(["--gold", str(bad), "--out", str(tmp_path)]) == 2
    assert "bad.jsonl:2: not valid JSON" in capsys.readouterr().err
    assert run.main(["-k", "0", "--out", str(tmp_path)]) == 2
    assert "-k must be at least 1; got 0" in capsys.readouterr().err


def test_command_line_is_reproducible():
    args = run.build_parser().parse_args(["--gold", "x.json", "--limit", "2000", "-k", "5"])
    assert run.command(args) == "rag eval --gold x.json -k 5 --limit 2000"


# -- the CI gate ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gold_metrics(real_embedder, tmp_path_factory):
    work = tmp_path_factory.mktemp("eval-gold")
    metrics = evaluate(GOLD, out=work / "out", index_dir=work / "index", embedder=real_embedder, progress=False)
    return metrics, work / "out"


@pytest.mark.integration
def test_gold_metrics_meet_floors(gold_metrics):
    metrics, out = gold_metrics
    failures = below_floors(metrics, load_floors())
    assert not failures, (f"quality gate: {len(failures)} metric(s) below eval/floors.json "
                          f"(report: {out / 'report.md'}):\n  " + "\n  ".join(failures))


@pytest.mark.integration
def test_gold_run_is_complete(gold_metrics):
    metrics, out = gold_metrics
    assert metrics["questions"] == {"total": 89, "answerable": 70, "unanswerable": 19, "errors": 0}
    assert len((out / "results.jsonl").read_text(encoding="utf-8").splitlines()) == 89


def test_report_caps_failures_and_prints_missing_values_as_na():
    from eval.report import render_markdown, summarise

    rows = [{"id": f"x{i}", "kind": None, "question": "Q | pipe?", "answerable": False, "expected": [],
             "answer": "Ankara [1]", "short_answer": "Ankara", "refused": False, "latency_ms": 10.0, "error": None,
             "scores": {"em": 0.0, "f1": 0.0, "value_em": None, "citations": 1, "supported_citations": 0,
                        "correct": False}} for i in range(250)]
    metrics = summarise(rows)
    assert metrics["refusals"]["precision"] is None and metrics["answers"]["em"] is None
    assert metrics["by_kind"] == {}  # no kinds tagged: no breakdown, no plot
    info = {"gold": "g.jsonl", "corpus": "c", "passages": 10, "model": "m", "command": "rag eval"}
    md = render_markdown(metrics, rows, info, plot=None)
    assert "| Refusal precision | n/a |" in md and "## Failed questions (250 of 250)" in md
    assert "The first 200" in md and md.count("| x") == 200 and "Q \\| pipe?" in md
