"""Sanity checks for the hand-made QA sets in eval/gold.jsonl and eval/dev.jsonl.

Every evidence quote must be a verbatim span of one of the bundled articles in
seeds/ (after whitespace normalisation), answerable items must carry answers and
evidence, and the two files must not share questions.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EVAL_DIR = ROOT / "eval"
SEEDS_DIR = ROOT / "seeds"
FILES = {"gold": EVAL_DIR / "gold.jsonl", "dev": EVAL_DIR / "dev.jsonl"}

KINDS = {
    "factoid",
    "numeric",
    "date",
    "paraphrase",
    "multi_source",
    "conflict",
    "followup",
    "unanswerable",
}
REQUIRED = {
    "id": str,
    "question": str,
    "answers": list,
    "evidence": list,
    "answerable": bool,
    "history": list,
    "kind": str,
}

_NUMBER_WORDS = {
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
    "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty",
    "sixty", "seventy", "eighty", "ninety", "hundred", "thousand", "and",
}


def normalise(text: str) -> str:
    """Collapse runs of whitespace (including U+00A0) to one space."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def is_number_word(text: str) -> bool:
    tokens = [t for t in re.split(r"[\s-]+", text.strip().lower()) if t]
    return bool(tokens) and all(t in _NUMBER_WORDS for t in tokens)


def load(path: Path) -> list[dict]:
    items = []
    lines = path.read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]  # trailing newline
    for lineno, line in enumerate(lines, 1):
        assert line.strip(), f"{path.name}:{lineno}: blank line"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:  # pragma: no cover - failure path
            pytest.fail(f"{path.name}:{lineno}: invalid JSON: {exc}")
        assert isinstance(obj, dict), f"{path.name}:{lineno}: not a JSON object"
        items.append(obj)
    return items


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    texts = [normalise(p.read_text(encoding="utf-8")) for p in sorted(SEEDS_DIR.glob("*.txt"))]
    assert texts, "no seed articles found"
    return texts


@pytest.fixture(scope="module")
def sets() -> dict[str, list[dict]]:
    return {name: load(path) for name, path in FILES.items()}


@pytest.mark.parametrize("name", FILES)
def test_schema(sets, name):
    for item in sets[name]:
        where = f"{name}:{item.get('id')}"
        for field, typ in REQUIRED.items():
            assert field in item, f"{where}: missing {field}"
            assert isinstance(item[field], typ), f"{where}: {field} should be {typ.__name__}"
        assert item["id"].strip(), f"{where}: empty id"
        assert item["question"].strip(), f"{where}: empty question"
        assert item["kind"] in KINDS, f"{where}: unknown kind {item['kind']!r}"
        for a in item["answers"]:
            assert isinstance(a, str) and a.strip(), f"{where}: bad answer {a!r}"
        for e in item["evidence"]:
            assert isinstance(e, str) and e.strip(), f"{where}: bad evidence {e!r}"
        for turn in item["history"]:
            assert isinstance(turn, dict), f"{where}: history turn must be an object"
            assert isinstance(turn.get("question"), str) and turn["question"].strip(), where
            assert isinstance(turn.get("answer"), str) and turn["answer"].strip(), where
        if item["kind"] == "followup":
            assert item["history"], f"{where}: followup without history"
        if item["kind"] == "unanswerable":
            assert not item["answerable"], f"{where}: kind unanswerable but answerable=true"


@pytest.mark.parametrize("name", FILES)
def test_ids_unique(sets, name):
    ids = Counter(item["id"] for item in sets[name])
    dupes = [i for i, n in ids.items() if n > 1]
    assert not dupes, f"{name}: duplicate ids {dupes}"


@pytest.mark.parametrize("name", FILES)
def test_questions_unique_within_file(sets, name):
    qs = Counter(normalise(item["question"]).lower() for item in sets[name])
    dupes = [q for q, n in qs.items() if n > 1]
    assert not dupes, f"{name}: duplicate questions {dupes}"


def test_no_question_shared_between_files(sets):
    gold = {normalise(i["question"]).lower() for i in sets["gold"]}
    dev = {normalise(i["question"]).lower() for i in sets["dev"]}
    shared = gold & dev
    assert not shared, f"questions in both gold and dev: {sorted(shared)}"


@pytest.mark.parametrize("name", FILES)
def test_answerable_iff_answers_and_evidence(sets, name):
    for item in sets[name]:
        where = f"{name}:{item['id']}"
        if item["answerable"]:
            assert item["answers"], f"{where}: answerable but no answers"
            assert item["evidence"], f"{where}: answerable but no evidence"
        else:
            assert item["answers"] == [], f"{where}: unanswerable but has answers"
            assert item["evidence"] == [], f"{where}: unanswerable but has evidence"


@pytest.mark.parametrize("name", FILES)
def test_evidence_is_verbatim(sets, corpus, name):
    missing = []
    for item in sets[name]:
        for ev in item["evidence"]:
            if not any(normalise(ev) in text for text in corpus):
                missing.append(f"{item['id']}: {ev!r}")
    assert not missing, f"{name}: evidence not found in seeds/:\n" + "\n".join(missing)


@pytest.mark.parametrize("name", FILES)
def test_first_answer_in_evidence(sets, name):
    bad = []
    for item in sets[name]:
        if not item["answers"]:
            continue
        first = item["answers"][0]
        if is_number_word(first):
            continue
        evidence = " ".join(normalise(e).lower() for e in item["evidence"])
        if normalise(first).lower() not in evidence:
            bad.append(f"{item['id']}: {first!r}")
    assert not bad, f"{name}: first answer not found in its evidence:\n" + "\n".join(bad)


def test_gold_counts(sets):
    gold = sets["gold"]
    assert len(gold) >= 80
    assert sum(not i["answerable"] for i in gold) >= 15


def test_dev_counts(sets):
    dev = sets["dev"]
    assert len(dev) >= 40
    assert sum(not i["answerable"] for i in dev) >= 8
    assert sum(bool(i["history"]) for i in dev) >= 4
