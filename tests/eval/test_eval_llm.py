"""`rag eval --answerer both` and the calibration run with the real local model on three
development questions (the bundled 0.5b model: the smallest, so the test takes seconds, not minutes)."""
from __future__ import annotations

import json

import pytest

from eval import calibrate
from eval.datasets import load_jsonl
from eval.run import evaluate

from conftest import ROOT

DEV = ROOT / "eval" / "dev.jsonl"
IDS = ("d01", "d15", "d48")  # a name, a weekday, a question the articles cannot answer

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def llm_index(real_embedder, tmp_path_factory):
    work = tmp_path_factory.mktemp("eval-llm")
    items = [line for line in DEV.read_text(encoding="utf-8").splitlines() if json.loads(line)["id"] in IDS]
    (work / "set.jsonl").write_text("\n".join(items) + "\n", encoding="utf-8")
    return work


def test_both_answerers_on_the_same_questions(llm_index, real_embedder):
    metrics = evaluate(llm_index / "set.jsonl", out=llm_index / "out", index_dir=llm_index / "index",
                       embedder=real_embedder, answerers=("llm", "rules"), llm_model="0.5b", llm_timeout=600,
                       progress=False)
    llm, rules = metrics["answerers"]["llm"], metrics["answerers"]["rules"]
    assert llm["questions"]["errors"] == rules["questions"]["errors"] == 0
    assert any(who.startswith("llm:") for who in llm["answered_by"]), llm["notes"]
    assert rules["answered_by"] == {"rules": 3}
    assert llm["retrieval"] == rules["retrieval"]
    assert llm["refusals"]["tp"] == rules["refusals"]["tp"] == 1  # nothing in the articles to ground a guess in
    md = (llm_index / "out" / "report.md").read_text(encoding="utf-8")
    assert "| metric | llm | rules | meaning |" in md


def test_calibration_rows_for_the_model(llm_index, real_embedder):
    from rag import Assistant

    assistant = Assistant.open(ROOT / "seeds", index_dir=llm_index / "index", embedder=real_embedder,
                               answerer="llm", llm_model="0.5b", llm_threshold=float("-inf"),
                               llm_timeout=600)
    assistant.warm_up()
    rows = calibrate.run(load_jsonl(llm_index / "set.jsonl"), assistant, "llm")
    assert [r["id"] for r in rows] == list(IDS)
    assert all(r["swept"] for r in rows), [r["reason"] for r in rows]  # the model answered every one itself
    answered = [r for r in rows if r["answered"]]
    assert answered and all(isinstance(r["support"], float) for r in answered)
    assert calibrate.outcome(rows, float("-inf"))["answerable"] == 2
