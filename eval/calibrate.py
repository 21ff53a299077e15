"""Calibrate one answerer's refusal threshold on the development set, and report figures.

    .venv/bin/python eval/calibrate.py                                  # rules: sweep `threshold` on eval/dev.jsonl
    .venv/bin/python eval/calibrate.py --answerer llm --llm-model 0.5b  # the model: sweep `llm_threshold`
    .venv/bin/python eval/calibrate.py --set eval/gold.jsonl --threshold 0.45   # report only, no tuning

Each question runs once with the answerer's threshold off (``threshold`` for
the rules, ``llm_threshold`` for a model: every grounded proposal is then
answered), recording the support score of the answer it gives; the assistant
refuses exactly when that score is below the threshold, so every
threshold's outcome follows without re-running. An answer refused anyway
(a claim failed verification) stays refused, and a question the model could
not answer (the rules stood in, under their own threshold) keeps its
decision. The chosen threshold maximises right decisions minus half the
wrong answers, ties broken towards the middle of the best range.

Right and wrong are :func:`eval.answer_match.correct`, as in ``rag eval``; a
citation supports as in :func:`eval.scoring.supports`.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # `python eval/calibrate.py`: as in eval/run.py
    sys.path[0] = str(Path(__file__).resolve().parents[1])
    __package__ = "eval"  # noqa: A001

from eval.datasets import GoldItem, load_jsonl  # noqa: E402
from eval.answer_match import correct  # noqa: E402
from eval.metrics import mean, refusal_scores  # noqa: E402
from eval.scoring import supports  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PARAMETER = {"rules": "threshold", "llm": "llm_threshold"}  # Assistant.open's setting for each answerer


def run(items: list[GoldItem], assistant, answerer: str = "rules") -> list[dict]:
    """Ask every question once (threshold off); one row of what decides each threshold's outcome."""
    rows = []
    for item in items:
        answer, trace = assistant.ask_traced(item.question, [dict(t) for t in item.history])
        fallback = answerer == "llm" and trace["backend"] == "rules"
        rows.append({"id": item.id, "answerable": item.answerable, "golds": list(item.answers),
                     "question": item.question, "query": answer.query, "short": answer.short_answer,
                     "answered": not answer.refused, "support": trace["support"], "swept": not fallback,
                     "cites": [supports(item, {"doc_id": c.doc_id, "text": c.text}) for c in answer.citations],
                     "reason": trace["reason"], "draft": trace.get("draft")})
    return rows


def answered(row: dict, t: float) -> bool:
    """Whether the assistant answers this question with threshold ``t``."""
    return row["answered"] and (not row["swept"] or row["support"] >= t)


def outcome(rows: list[dict], t: float) -> dict:
    """What the assistant would score on these questions with threshold ``t``."""
    said = [answered(r, t) for r in rows]
    ok = [correct(r["short"] if a else None, r["golds"], answerable=r["answerable"], refused=not a)
          for r, a in zip(rows, said)]
    ref = refusal_scores([not a for a in said], [r["answerable"] for r in rows])
    right = sum(o for r, o in zip(rows, ok) if r["answerable"])
    cites = [c for r, a in zip(rows, said) if a and r["answerable"] for c in r["cites"]]
    n_ans = sum(r["answerable"] for r in rows)
    return {
        "threshold": round(t, 4), "answerable": n_ans, "correct": right, "correct_share": right / max(1, n_ans),
        "citations": len(cites), "citations_supporting": sum(cites) / max(1, len(cites)),
        "unanswerable": len(rows) - n_ans, "unanswerable_refused": ref["tp"], "answerable_refused": ref["fp"],
        "refusal_precision": ref["precision"], "refusal_recall": ref["recall"],
        "mean_short_answer_words": mean(len((r["short"] or "").split()) for r, a in zip(rows, said) if a),
        "decisions_right": sum(ok), "wrong_answers": sum(said) - right,
    }


def objective(o: dict) -> float:
    """Right decisions, with a wrong answer costing half a right one more than
    a refusal (a reader can act on "the articles don't say"; not on a wrong figure)."""
    return o["decisions_right"] - 0.5 * o["wrong_answers"]


def sweep(rows: list[dict]) -> float:
    """The threshold in the middle of the best plateau: farthest from flipping a decision.

    >>> rows = [{"answered": True, "swept": True, "support": s, "short": a, "golds": g, "answerable": bool(g),
    ...          "cites": []} for s, a, g in [(0.9, "Ankara", ["Ankara"]), (0.5, "Rome", []), (0.2, "Oslo", [])]]
    >>> sweep(rows)
    0.7
    """
    cuts = sorted({r["support"] for r in rows if r["answered"] and r["swept"]})
    cuts = [(a + b) / 2 for a, b in zip(cuts, cuts[1:])]
    if not cuts:
        raise ValueError("nothing to sweep: fewer than two answered questions with different support scores "
                         "(with --answerer llm: did the model load? see the notes above).")
    scores = [objective(outcome(rows, t)) for t in cuts]
    good = [t for t, s in zip(cuts, scores) if s == max(scores)]
    return good[len(good) // 2]


def current_threshold(answerer: str) -> float:
    """The threshold the assistant uses today (rag/answer/assistant.py), for comparison."""
    from rag.answer import assistant

    return {"rules": assistant.THRESHOLD, "llm": assistant.LLM_THRESHOLD}[answerer]


def _line(r: dict, t: float) -> str:
    said = answered(r, t)
    ok = correct(r["short"] if said else None, r["golds"], answerable=r["answerable"], refused=not said)
    mark = ("ok " if ok else "BAD") if r["answerable"] else ("(u)" if ok else "BAD")
    sup = "-" if r["support"] is None else f"{r['support']:.3f}"
    state = repr(r["short"]) if said else f"refused ({r['reason'] or 'below threshold'})"
    return f"{r['id']} {mark} {sup:>6} {state:48.48s} | {r['query'][:70]}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", default=str(ROOT / "eval" / "dev.jsonl"))
    ap.add_argument("--answerer", choices=sorted(PARAMETER), default="rules",
                    help="whose threshold: the rule reader's (default) or the language model's")
    ap.add_argument("--threshold", type=float, default=None, help="evaluate this threshold instead of sweeping")
    ap.add_argument("--corpus", default=str(ROOT / "seeds"))
    ap.add_argument("--index-dir", default=None)
    ap.add_argument("--llm-model", default=None, help="0.5b, 1.5b or a GGUF path (default: the assistant's)")
    ap.add_argument("--llm-url", default=None, help="an OpenAI-compatible server instead of the local model")
    ap.add_argument("--llm-name", default=None, help="model name to ask the --llm-url server for")
    ap.add_argument("--llm-timeout", type=float, default=30.0)
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per question")
    args = ap.parse_args(argv)
    from rag import Assistant

    items = load_jsonl(Path(args.set))
    param = PARAMETER[args.answerer]
    assistant = Assistant.open(args.corpus, index_dir=args.index_dir, answerer=args.answerer,
                               llm_model=args.llm_model, llm_url=args.llm_url, llm_name=args.llm_name,
                               llm_timeout=args.llm_timeout, **{param: float("-inf")})
    assistant.warm_up()
    if assistant.note:
        print(f"note: {assistant.note}", file=sys.stderr)
    rows = run(items, assistant, args.answerer)
    t = args.threshold if args.threshold is not None else sweep(rows)
    if args.verbose:
        for r in rows:
            print(_line(r, t))
    by = sorted({r["id"] for r in rows if not r["swept"]})
    current = current_threshold(args.answerer)
    print(json.dumps({"set": args.set, "answerer": args.answerer, "parameter": param, "swept": args.threshold is None,
                      "rules_stood_in": by, **outcome(rows, t), "at_current_threshold": outcome(rows, current)},
                     indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
