"""What a higher confirmation level (``--llm-confirm``) would do, read from an eval journal.

Every shown answer passed every step, the check included, and its results row logs the check's
share of "yes" (``confirm``); so a level above the run's refuses exactly the shown answers whose
share is below it, and changes nothing else: no model is run. Scores follow :mod:`eval.scoring` (a refused
answerable question scores 0 and is not correct; a refused unanswerable one scores 1 and is).
A level below the run's cannot be read this way (the answers it would let through were refused).

    python -m eval.levels OUT/results.jsonl [--levels 0.55 0.6 0.65] [--answerer llm]

Example:
    >>> rows = [{"answerer": "llm", "answerable": True, "refused": False, "confirm": 0.7,
    ...          "scores": {"f1": 1.0, "correct": True}},
    ...         {"answerer": "llm", "answerable": False, "refused": False, "confirm": 0.58,
    ...          "scores": {"f1": 0.0, "correct": False}}]
    >>> [(x["level"], x["f1"], x["refused_unanswerable"]) for x in at_levels(rows, [0.55, 0.6])]
    [(0.55, 0.5, 0), (0.6, 1.0, 1)]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eval.metrics import mean, refusal_scores

LEVELS = (0.55, 0.6, 0.65, 0.7, 0.75)


def at_level(row: dict, level: float) -> tuple[bool, float, bool]:
    """``(refused, f1, correct)`` of one results row had the check needed ``level``."""
    share = row.get("confirm")
    if row["refused"] or share is None or share >= level:
        return row["refused"], row["scores"]["f1"], bool(row["scores"]["correct"])
    return True, 0.0 if row["answerable"] else 1.0, not row["answerable"]


def run_floor(rows: list[dict]) -> float:
    """The highest share the run's own check refused (0.0 if none): levels at or below it are unreadable."""
    return max((r["confirm"] for r in rows if r["refused"] and r.get("confirm") is not None
                and "did not confirm" in (r.get("reason") or "")), default=0.0)


def at_levels(rows: list[dict], levels=LEVELS, answerer: str = "llm") -> list[dict]:
    """One summary per level: SQuAD v2 F1 over every question, answerable right, unanswerable refused,
    refusal precision, recall and F1. ValueError for a level below the run's own."""
    rows = [r for r in rows if r.get("answerer", answerer) == answerer and not r.get("error")]
    floor = run_floor(rows)
    out = []
    for level in levels:
        if level <= floor:
            raise ValueError(f"level {level} is not above the run's own (its check refused a share of "
                             f"{floor:.3f}); read it from a run with --llm-confirm {level} or lower.")
        judged = [at_level(r, level) for r in rows]
        refusals = refusal_scores([j[0] for j in judged], [r["answerable"] for r in rows])
        p, rc = refusals["precision"], refusals["recall"]
        out.append({"level": level, "f1": mean(j[1] for j in judged),
                    "answerable_right": sum(j[2] for j, r in zip(judged, rows) if r["answerable"]),
                    "answerable": sum(r["answerable"] for r in rows),
                    "refused_unanswerable": refusals["tp"], "unanswerable": refusals["tp"] + refusals["fn"],
                    "refusal_precision": p, "refusal_recall": rc,
                    "refusal_f1": 2 * p * rc / (p + rc) if p and rc else None})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.levels", description=__doc__.split("\n")[0])
    ap.add_argument("journal", help="an eval run's results.jsonl")
    ap.add_argument("--levels", type=float, nargs="+", default=list(LEVELS))
    ap.add_argument("--answerer", default="llm")
    args = ap.parse_args(argv)
    path = Path(args.journal)
    try:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        print(f"error: cannot read {path} ({exc}); pass the results.jsonl an eval run wrote.", file=sys.stderr)
        return 2
    if not any("confirm" in r for r in rows):
        print(f"error: {path} logs no confirmation shares; it was written before the check, or with "
              "--llm-confirm off: re-run the eval.", file=sys.stderr)
        return 2
    fmt = lambda x: "-" if x is None else f"{x:.3f}"  # noqa: E731
    try:
        summaries = at_levels(rows, args.levels, args.answerer)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("level  F1     right       refused     refusal P / R / F1")
    for s in summaries:
        print(f"{s['level']:.2f}   {fmt(s['f1'])}  {s['answerable_right']:>4} / {s['answerable']:<4}  "
              f"{s['refused_unanswerable']:>4} / {s['unanswerable']:<4}  {fmt(s['refusal_precision'])} / "
              f"{fmt(s['refusal_recall'])} / {fmt(s['refusal_f1'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
