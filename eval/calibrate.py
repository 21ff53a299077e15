"""Calibrate the refusal threshold on the development set, and report figures.

    .venv/bin/python eval/calibrate.py                      # sweep on eval/dev.jsonl, pick the threshold
    .venv/bin/python eval/calibrate.py --set eval/gold.jsonl --threshold 0.45   # report only, no tuning

Each question runs once with the threshold off, recording the support score of
the best answer; the assistant refuses exactly when that score is below the
threshold, so every threshold's outcome follows without re-running. The
chosen threshold maximises right decisions (answerable answered correctly +
unanswerable refused) minus half the wrong answers, ties broken towards the
middle of the best range.

Correct (the rule used throughout): after SQuAD normalisation (lower case, no
punctuation, no articles), the short answer equals a gold answer, or one
contains the other as a contiguous run of whole tokens. A citation "supports"
when its sentence contains one of the item's evidence quotes (or is contained
in one), or contains a gold answer as whole tokens.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.values import squad_normalize  # noqa: E402


def _contains(big: list[str], small: list[str]) -> bool:
    n = len(small)
    return n > 0 and any(big[i:i + n] == small for i in range(len(big) - n + 1))


def correct(pred: str | None, answers: list[str]) -> bool:
    if not pred:
        return False
    p = squad_normalize(pred).split()
    return any(p == g or _contains(p, g) or _contains(g, p) for g in (squad_normalize(a).split() for a in answers))


def supporting(citation_text: str, item: dict) -> bool:
    c = " ".join(citation_text.split())
    for ev in item["evidence"]:
        e = " ".join(ev.split())
        if e in c or c in e:
            return True
    return any(_contains(squad_normalize(c).split(), squad_normalize(a).split()) for a in item["answers"])


def run(items: list[dict], assistant) -> list[dict]:
    rows = []
    for item in items:
        answer, trace = assistant.ask_traced(item["question"], item["history"])
        rows.append({"id": item["id"], "answerable": item["answerable"], "question": item["question"],
                     "query": answer.query, "short": answer.short_answer, "support": trace["support"],
                     "correct": correct(answer.short_answer, item["answers"]),
                     "cites": [supporting(c.text, item) for c in answer.citations],
                     "words": len((answer.short_answer or "").split()), "trace": trace})
    return rows


def outcome(rows: list[dict], t: float) -> dict:
    answered = [r for r in rows if r["support"] is not None and r["support"] >= t]
    ans = [r for r in rows if r["answerable"]]
    refused = [r for r in rows if r not in answered]
    cites = [c for r in answered if r["answerable"] for c in r["cites"]]
    right = sum(r["correct"] for r in answered if r["answerable"])
    return {
        "threshold": round(t, 4), "answerable": len(ans), "correct": right,
        "correct_share": right / max(1, len(ans)),
        "citations": len(cites), "citations_supporting": sum(cites) / max(1, len(cites)),
        "unanswerable": len(rows) - len(ans), "unanswerable_refused": sum(not r["answerable"] for r in refused),
        "answerable_refused": sum(r["answerable"] for r in refused),
        "refusal_precision": sum(not r["answerable"] for r in refused) / max(1, len(refused)),
        "refusal_recall": sum(not r["answerable"] for r in refused) / max(1, len(rows) - len(ans)),
        "mean_short_answer_words": sum(r["words"] for r in answered) / max(1, len(answered)),
        "decisions_right": right + sum(not r["answerable"] for r in refused),
        "wrong_answers": len(answered) - right,
    }


def objective(o: dict) -> float:
    """Right decisions, with a wrong answer costing half a right one more than
    a refusal (a reader can act on "the articles don't say"; not on a wrong figure)."""
    return o["decisions_right"] - 0.5 * o["wrong_answers"]


def sweep(rows: list[dict]) -> float:
    values = sorted({r["support"] for r in rows if r["support"] is not None})
    cuts = [(a + b) / 2 for a, b in zip(values, values[1:])]
    best = max(objective(outcome(rows, t)) for t in cuts)
    good = [t for t in cuts if objective(outcome(rows, t)) == best]
    return good[len(good) // 2]  # the middle of the best plateau: farthest from flipping a decision


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", default=str(ROOT / "eval" / "dev.jsonl"))
    ap.add_argument("--threshold", type=float, default=None, help="evaluate this threshold instead of sweeping")
    ap.add_argument("--corpus", default=str(ROOT / "seeds"))
    ap.add_argument("--index-dir", default=None)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    from rag.answer.assistant import Assistant

    items = [json.loads(line) for line in open(args.set, encoding="utf-8") if line.strip()]
    assistant = Assistant.open(args.corpus, index_dir=args.index_dir, threshold=float("-inf"))
    rows = run(items, assistant)
    t = args.threshold if args.threshold is not None else sweep(rows)
    if args.verbose:
        for r in rows:
            answered = r["support"] is not None and r["support"] >= t
            if r["answerable"]:
                mark = "ok " if answered and r["correct"] else "BAD"
            else:
                mark = "(u)" if not answered else "BAD"
            sup = "-" if r["support"] is None else f"{r['support']:.3f}"
            state = repr(r["short"]) if answered else "refused"
            print(f"{r['id']} {mark} {sup:>6} {state:40.40s} | {r['query'][:70]}")
    print(json.dumps({"set": args.set, "swept": args.threshold is None, **outcome(rows, t)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
