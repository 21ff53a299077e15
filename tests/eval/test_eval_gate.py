"""The eval script end to end, and the CI quality gate on eval/gold.jsonl.

Fast tests drive ``evaluate`` with scripted assistants (answers fixed per
development-set question) over a fake-embedder index, so every metric has a
value known by hand. The gate (``integration``; the language model's also
``slow``) runs the real assistant with the real models on the whole gold set,
once per answerer, and fails when a metric in eval/floors.json is below that
answerer's floor, listing every such metric with both numbers.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eval import asking, run
from eval.datasets import load_jsonl
from eval.run import below_floors, evaluate, load_floors
from rag import Answer, Citation, Retriever, open_index

from conftest import FakeEmbedder, ROOT

GOLD = ROOT / "eval" / "gold.jsonl"
DEV = ROOT / "eval" / "dev.jsonl"


# -- a scripted assistant: the answers are chosen, the passages are real retrieval -------------------------------

class ScriptedAssistant:
    """``script`` maps a question to (short answer or None for a refusal, cited sentence texts)."""

    def __init__(self, retriever: Retriever, script: dict, name: str = "rules"):
        self.retriever, self.script, self.name, self.asked = retriever, script, name, []

    def ask_traced(self, question, history=None):
        answer = self.ask(question, history)
        return answer, {"draft": answer.short_answer, "reason": "scripted refusal" if answer.refused else None}

    def ask(self, question, history=None):
        self.asked.append((question, history))
        passages = tuple(self.retriever.search(question, k=8))
        short, cited = self.script.get(question, (None, []))
        if short is None:
            return Answer("The articles don't say.", None, True, (), question, passages, answered_by=self.name)
        p = passages[0]
        cits = tuple(Citation(n, p.doc_id, p.title, p.source, p.date, p.source_path, text, 0, len(text))
                     for n, text in enumerate(cited, 1))
        return Answer(f"{short} [1]", short, False, cits, question, passages, answered_by=self.name)


@pytest.fixture(scope="module")
def fake_index(tmp_path_factory):
    embedder = FakeEmbedder()
    index_dir = tmp_path_factory.mktemp("fake-index")
    open_index(ROOT / "seeds", embedder=embedder, index_dir=index_dir)
    return embedder, index_dir


def dev_subset(tmp_path, ids) -> Path:
    """Some development-set questions (never gold ones: the gold set is for measuring only)."""
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows if r["id"] in ids), encoding="utf-8")
    return path


def scripted(fake_index, script: dict, name: str = "rules") -> ScriptedAssistant:
    embedder, index_dir = fake_index
    index, _ = open_index(ROOT / "seeds", embedder=embedder, index_dir=index_dir)
    return ScriptedAssistant(Retriever(index, embedder), script, name)


def run_scripted(tmp_path, fake_index, gold: Path, scripts: dict):
    """``scripts`` maps answerer names to scripts; returns the metrics and the assistants."""
    embedder, index_dir = fake_index
    assistants = {name: scripted(fake_index, script, name) for name, script in scripts.items()}
    metrics = evaluate(gold, out=tmp_path / "out", index_dir=index_dir, embedder=embedder, answerers=tuple(scripts),
                       assistants=assistants, progress=False)
    return metrics, assistants


MERKEL = ("Separately, March 5th is named as the date when Russian President Vladimir Putin, German Chancellor Angela "
          "Merkel, French President Emmanuel Macron and Erdogan are supposed to meet and discuss Idlib.")
CHANCELLOR = "Which German chancellor was supposed to meet Putin, Macron and Erdogan to discuss Idlib?"
MEETING = "When did NATO hold its meeting on the Idlib crisis?"
SEA = "Toward which sea was it heading?"
SCRIPT = {  # d01 exact, d25 the same date in another form, d29 over-long, d40 (unanswerable) refused
    CHANCELLOR: ("Merkel", [MERKEL]),
    MEETING: ("Friday, 28 February", ["Turkey asked for the meeting."]),
    SEA: ("the Mediterranean Sea, on its way past Istanbul", ["Greece sent border guards."]),
}


def test_scripted_run_scores_known_values(tmp_path, fake_index):
    gold = dev_subset(tmp_path, {"d01", "d25", "d29", "d40"})
    metrics, assistants = run_scripted(tmp_path, fake_index, gold, {"rules": SCRIPT})
    m = metrics["answerers"]["rules"]
    a, c, r = m["answers"], m["citations"], m["refusals"]
    assert a["n"] == 3 and a["em"] == pytest.approx(1 / 3)          # only "Merkel" matches exactly
    assert a["correct"] == pytest.approx(2 / 3) and a["n_correct"] == 2  # and the date by value; not the long one
    assert a["number_date_em"] == 1.0 and a["n_number_date"] == 1    # d25 is the one date question
    assert 0 < a["f1"] < 1
    assert m["accuracy"] == pytest.approx(3 / 4)                     # d01, d25, d40 refused
    assert (r["tp"], r["fp"], r["fn"], r["tn"]) == (1, 0, 0, 3) and r["precision"] == r["recall"] == 1.0
    assert c["n_citations"] == 3 and c["precision"] == pytest.approx(1 / 3) and c["recall"] == pytest.approx(1 / 3)
    assert m["latency_ms"]["p50"] > 0 and set(m["by_kind"]) == {"factoid", "multi_source", "followup", "unanswerable"}
    assert 0 <= m["retrieval"]["ndcg@10"] <= 1 and m["retrieval"]["n"] == 3
    assert m["answered_by"] == {"rules": 4} and m["notes"] == []
    followup = next(h for q, h in assistants["rules"].asked if q == SEA)
    assert followup == [{"question": "Which Russian warship is shown in the Reuters photo?", "answer": "Admiral Makarov"}]

    out = tmp_path / "out"
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["d01", "d25", "d29", "d40"] and {r["answerer"] for r in rows} == {"rules"}
    for key in ("id", "question", "answer", "short_answer", "refused", "answered_by", "citations", "passages",
                "query", "latency_ms", "scores"):
        assert key in rows[0], key
    assert [r["scores"]["correct"] for r in rows] == [True, True, False, True]
    assert set(rows[0]["citations"][0]) >= {"n", "doc_id", "source_path", "text", "start", "end"}
    assert set(rows[0]["passages"][0]) >= {"doc_id", "chunk_id", "text", "start", "end", "score"}
    saved = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert saved["answerers"]["rules"]["answers"]["em"] == a["em"] and saved["run"]["answerers"] == ["rules"]
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "## Failed questions: rules (1 of 4)" in md and "| d29 | followup |" in md and "Mediterranean" in md
    assert "| Answerable answered correctly | 2/3 (66.7%) |" in md and "| Unanswerable refused | 1/1 (100.0%) |" in md
    assert "Correct (`eval/answer_match.py` `correct`): answerable: not refused" in md
    assert "![Scores by question kind, rules](scores_by_kind_rules.png)" in md
    assert (out / "scores_by_kind_rules.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_both_answerers_side_by_side(tmp_path, fake_index):
    """Two answerers on the same questions and retrieval: one block each, one column each, failures for each."""
    gold = dev_subset(tmp_path, {"d01", "d25", "d29", "d40"})
    worse = {CHANCELLOR: ("Macron", [MERKEL]), SEA: ("Mediterranean Sea", [])}
    metrics, assistants = run_scripted(tmp_path, fake_index, gold, {"llm": worse, "rules": SCRIPT})
    llm, rules = metrics["answerers"]["llm"], metrics["answerers"]["rules"]
    assert list(metrics["answerers"]) == ["llm", "rules"]
    assert llm["accuracy"] == pytest.approx(2 / 4) and rules["accuracy"] == pytest.approx(3 / 4)
    assert llm["answers"]["correct"] == pytest.approx(1 / 3) and llm["refusals"]["fn"] == 0
    assert llm["retrieval"] == rules["retrieval"]                    # the same retrieval for both
    assert [q for q, _ in assistants["llm"].asked] == [q for q, _ in assistants["rules"].asked]

    out = tmp_path / "out"
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["answerer"], r["id"]) for r in rows] == [(n, i) for n in ("llm", "rules")
                                                        for i in ("d01", "d25", "d29", "d40")]
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| metric | llm | rules | meaning |" in md
    assert "| Answerable answered correctly | 1/3 (33.3%) | 2/3 (66.7%) |" in md
    assert "## Failed questions: llm (2 of 4)" in md and "## Failed questions: rules (1 of 4)" in md
    assert "| d01 | factoid |" in md.split("## Failed questions: llm")[1].split("## Failed questions: rules")[0]
    assert (out / "scores_by_kind_llm.png").exists() and (out / "scores_by_kind_rules.png").exists()


class Interrupted(ScriptedAssistant):
    """Ctrl-C while the ``stop``-th real question is being answered."""

    def __init__(self, retriever, script, stop: int):
        super().__init__(retriever, script)
        self.stop = stop

    def ask(self, question, history=None):
        if question != asking.WARM_UP and sum(q != asking.WARM_UP for q, _ in self.asked) + 1 == self.stop:
            raise KeyboardInterrupt
        return super().ask(question, history)


def test_an_interrupted_run_resumes_asking_only_the_rest(tmp_path, fake_index):
    gold = dev_subset(tmp_path, {"d01", "d25", "d29", "d40"})
    questions = [item.question for item in load_jsonl(gold)]
    embedder, index_dir = fake_index
    common = dict(index_dir=index_dir, embedder=embedder, answerers=("rules",), progress=False)
    whole = evaluate(gold, out=tmp_path / "whole", assistants={"rules": scripted(fake_index, SCRIPT)}, **common)
    out = tmp_path / "out"
    broken = Interrupted(scripted(fake_index, SCRIPT).retriever, SCRIPT, stop=3)
    with pytest.raises(KeyboardInterrupt):
        evaluate(gold, out=out, assistants={"rules": broken}, **common)
    kept = [json.loads(line) for line in (out / "progress.jsonl").read_text(encoding="utf-8").splitlines()[1:]]
    assert len(kept) == 2  # the two answered before Ctrl-C

    again = scripted(fake_index, SCRIPT)
    resumed = evaluate(gold, out=out, assistants={"rules": again}, resume=True, **common)
    rest = sorted(set(questions) - {r["question"] for r in kept})
    assert sorted(q for q, _ in again.asked if q != asking.WARM_UP) == rest and len(rest) == 2
    def without_latency(block):
        return {k: v for k, v in block.items() if k != "latency_ms"}
    assert without_latency(resumed["answerers"]["rules"]) == without_latency(whole["answerers"]["rules"])
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["d01", "d25", "d29", "d40"]
    assert not (out / "progress.jsonl").exists()  # the report is written: the journal has served


def test_resume_refuses_a_journal_of_another_run(tmp_path, fake_index):
    gold = dev_subset(tmp_path, {"d01", "d40"})
    embedder, index_dir = fake_index
    out = tmp_path / "out"
    out.mkdir()
    (out / "progress.jsonl").write_text(json.dumps({"settings": {"seed": 1}}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="other settings.*seed: 1 then, 13 now"):
        evaluate(gold, out=out, index_dir=index_dir, embedder=embedder, answerers=("rules",), progress=False,
                 assistants={"rules": scripted(fake_index, SCRIPT)}, resume=True)


def test_cli_passes_the_answerer_flags_to_the_assistant(tmp_path, fake_index, monkeypatch, capsys):
    """--answerer both opens one assistant per answerer with the --llm-* settings, prints both columns."""
    import rag

    embedder, index_dir = fake_index
    opened = []

    def fake_open(name, corpus, **settings):
        opened.append((name, settings))
        return scripted(fake_index, SCRIPT, name)

    monkeypatch.setattr(rag, "SentenceTransformerEmbedder", lambda model=None, **settings: embedder)
    monkeypatch.setattr(run, "open_assistant", fake_open)
    gold = dev_subset(tmp_path, {"d01", "d40"})
    argv = ["--gold", str(gold), "--out", str(tmp_path / "out"), "--index-dir", str(index_dir),
            "--llm-model", "0.5b", "--llm-timeout", "5", "--llm-confirm", "0.6"]
    assert run.main(argv) == 0
    assert [name for name, _ in opened] == ["llm", "rules"]
    from rag.cli.environment import cache_dir

    assert opened[0][1] == {"index_dir": str(index_dir), "embedder": embedder, "cache_dir": cache_dir(),
                            "llm_model": "0.5b", "llm_url": None, "llm_name": None, "llm_timeout": 5.0,
                            "llm_confirm": 0.6}
    printed = capsys.readouterr().out
    assert re.search(r"Answerable answered correctly +1/1 \(100.0%\) +1/1 \(100.0%\)", printed)
    saved = json.loads((tmp_path / "out" / "metrics.json").read_text(encoding="utf-8"))
    assert saved["run"]["command"].endswith("--llm-model 0.5b --llm-timeout 5.0 --llm-confirm 0.6")
    assert saved["run"]["llm"]["llm_model"] == "0.5b"


def test_a_regressed_assistant_turns_the_gate_red(tmp_path, fake_index):
    """An assistant that answers everything wrongly, citing nothing useful, fails
    every answer, citation and refusal floor - with both numbers in the message."""
    items = load_jsonl(GOLD)
    script = {i.question: ("Ankara", ["Nothing relevant here at all."]) for i in items}
    metrics, _ = run_scripted(tmp_path, fake_index, GOLD, {"rules": script})
    failures = below_floors(metrics, load_floors())
    failed = {line.split(" = ")[0] for line in failures}
    assert {"rules: answers.em", "rules: citations.precision", "rules: refusals.recall",
            "rules: refusals.precision"} <= failed
    assert any(line.startswith("rules: answers.em = 0.0") and "below its floor" in line for line in failures)


def test_floors_cover_the_gated_metrics():
    floors = load_floors()
    assert "rules" in floors and set(floors) <= set(run.ANSWERERS)
    for name, mine in floors.items():
        for key in ("accuracy", "answers.correct", "answers.em", "answers.f1", "citations.precision",
                    "citations.recall", "refusals.precision", "refusals.recall", "refusals.accuracy",
                    "retrieval.recall@5"):
            assert 0 < mine[key] <= 1, (name, key)


def test_flags_match_rag_cli():
    from rag.cli.commands import build_parser

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


def test_ctrl_c_says_where_the_answers_are_and_how_to_continue(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(run, "evaluate", interrupted)
    assert run.main(["--out", str(tmp_path / "o"), "--resume"]) == 130
    err = capsys.readouterr().err
    assert f"kept in {tmp_path / 'o' / 'progress.jsonl'}" in err and "--resume" in err and "Traceback" not in err


def test_command_line_is_reproducible():
    args = run.build_parser().parse_args(["--gold", "x.json", "--limit", "2000", "-k", "5", "--answerer", "llm",
                                          "--llm-model", "0.5b", "--resume"])
    # --resume is how a run was asked, not what it measured: the line without it gives the same figures
    assert run.command(args) == "rag eval --gold x.json -k 5 --limit 2000 --answerer llm --llm-model 0.5b"
    assert run.answerer_names("both") == ("llm", "rules") and run.answerer_names("llm") == ("llm",)


def test_llm_floors_hold_only_for_the_default_model():
    from rag.answer.model_files import DEFAULT_LLM

    parse = run.build_parser().parse_args
    assert run.default_model(parse([])) and run.default_model(parse(["--llm-model", DEFAULT_LLM.upper()]))
    other = "0.5b" if DEFAULT_LLM != "0.5b" else "1.5b"
    assert not run.default_model(parse(["--llm-model", other]))
    assert not run.default_model(parse(["--llm-url", "http://127.0.0.1:8080/v1"]))


def test_unknown_answerer_is_a_user_error(tmp_path, fake_index):
    embedder, index_dir = fake_index
    with pytest.raises(ValueError, match="answerers must be some of llm, rules; got gpt"):
        evaluate(dev_subset(tmp_path, {"d01"}), out=tmp_path, index_dir=index_dir, embedder=embedder,
                 answerers=("gpt",), progress=False)


# -- the CI gate: each answerer on the whole gold set, against its own floors ------------------------------------

@pytest.fixture(scope="module", params=[pytest.param("rules", marks=pytest.mark.integration),
                                        pytest.param("llm", marks=[pytest.mark.integration, pytest.mark.slow])])
def gold_run(request, real_embedder, tmp_path_factory):
    """One answerer (the language model: the assistant's default one) on the gold set."""
    work = tmp_path_factory.mktemp(f"eval-gold-{request.param}")
    metrics = evaluate(GOLD, out=work / "out", index_dir=work / "index", embedder=real_embedder,
                       answerers=(request.param,), progress=False)
    return request.param, metrics["answerers"][request.param], work / "out"


def test_gold_metrics_meet_floors(gold_run):
    name, block, out = gold_run
    failures = below_floors({"answerers": {name: block}}, load_floors())
    assert not failures, (f"quality gate: {len(failures)} metric(s) below eval/floors.json "
                          f"(report: {out / 'report.md'}):\n  " + "\n  ".join(failures))


def test_gold_run_is_complete(gold_run):
    name, block, out = gold_run
    assert block["questions"] == {"total": 89, "answerable": 70, "unanswerable": 19, "errors": 0}
    assert len((out / "results.jsonl").read_text(encoding="utf-8").splitlines()) == 89
    answered_by_model = sum(n for who, n in block["answered_by"].items() if who.startswith(name))
    assert answered_by_model > 89 // 2, f"{name} answered only {answered_by_model} of 89: {block['notes']}"


def test_report_caps_failures_and_prints_missing_values_as_na():
    from eval.report import render_markdown, summarise

    rows = [{"answerer": "rules", "id": f"x{i}", "kind": None, "question": "Q | pipe?", "answerable": False, "expected": [],
             "answer": "Ankara [1]", "short_answer": "Ankara", "refused": False, "latency_ms": 10.0, "error": None,
             "scores": {"em": 0.0, "f1": 0.0, "value_em": None, "citations": 1, "supported_citations": 0,
                        "correct": False}} for i in range(250)]
    block = summarise(rows)
    assert block["refusals"]["precision"] is None and block["answers"]["em"] is None
    assert block["answers"]["correct"] is None and block["answered_by"] == {"none": 250}
    assert block["by_kind"] == {}  # no kinds tagged: no breakdown, no plot
    info = {"gold": "g.jsonl", "corpus": "c", "passages": 10, "model": "m", "command": "rag eval"}
    md = render_markdown({"answerers": {"rules": block}}, rows, info, floors={"rules": {"refusals.recall": 0.5}})
    assert "| Refusal precision | n/a |" in md and "## Failed questions: rules (250 of 250)" in md
    assert "| Unanswerable refused | **0/250 (0.0%)** (below floor 0.500) |" in md
    assert "The first 200" in md and md.count("| x") == 200 and "Q \\| pipe?" in md
