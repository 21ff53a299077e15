"""Turn scored questions into metrics.json, report.md and a PNG plot per answerer.

``summarise`` is pure: it reads the per-question ``scores`` that
``eval.scoring.score`` wrote into each results row of one answerer and
averages them; the report puts the answerers side by side. Which questions
count where, stated once:

- correct: :func:`eval.answer_match.correct` (``CORRECT_RULE``), every question;
- retrieval: answerable questions with evidence; answers, number/date EM and
  citations: answerable questions (a refusal scores 0 and has no citations);
- SQuAD v2 EM/F1: every question, an unanswerable one scoring 1 when refused;
- refusals: every question, positives are the unanswerable ones;
- citation precision is micro-averaged over citations, recall over answered
  answerable questions.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from eval.answer_match import CORRECT_RULE
from eval.metrics import mean, percentile, ratio, refusal_scores
from eval.plot import plot_by_kind

RETRIEVAL_KEYS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
PLOT_STEM = "scores_by_kind"  # one PNG per answerer: scores_by_kind_<answerer>.png
MAX_FAILURES = 200  # a readable report; SQuAD runs fail in the thousands


def _answers(rows: list[dict]) -> dict:
    yes = [r for r in rows if r["answerable"]]
    values = [r["scores"]["value_em"] for r in yes if r["scores"]["value_em"] is not None]
    return {"correct": mean(float(r["scores"]["correct"]) for r in yes),
            "n_correct": sum(r["scores"]["correct"] for r in yes),
            "em": mean(r["scores"]["em"] for r in yes), "f1": mean(r["scores"]["f1"] for r in yes),
            "number_date_em": mean(values), "n": len(yes), "n_number_date": len(values),
            "squad_v2_em": mean(r["scores"]["em"] for r in rows), "squad_v2_f1": mean(r["scores"]["f1"] for r in rows)}


def _citations(rows: list[dict]) -> dict:
    answered = [r for r in rows if r["answerable"] and not r["refused"]]
    n_cit = sum(r["scores"]["citations"] for r in answered)
    return {"precision": ratio(sum(r["scores"]["supported_citations"] for r in answered), n_cit),
            "recall": ratio(sum(r["scores"]["supported_citations"] > 0 for r in answered), len(answered)),
            "n_citations": n_cit, "n_answered": len(answered)}


def _retrieval(rows: list[dict]) -> dict:
    scored = [r["scores"] for r in rows if r["scores"].get("recall@1") is not None]
    out = {key: mean(s[key] for s in scored) for key in RETRIEVAL_KEYS}
    return {**out, "n": len(scored)}


def summarise(rows: list[dict]) -> dict:
    """One answerer's block of metrics.json; every ratio with an empty denominator is None.
    ``answered_by`` counts who proposed each answer (a model's fallback to the rules shows here)."""
    latencies = [r["latency_ms"] for r in rows]
    by_kind = defaultdict(list)
    for r in rows:
        by_kind[r.get("kind") or "untagged"].append(r)
    kinds = {}
    if set(by_kind) != {"untagged"}:
        for kind, group in sorted(by_kind.items()):
            a, c, ret = _answers(group), _citations(group), _retrieval(group)
            kinds[kind] = {"n": len(group), "accuracy": mean(float(r["scores"]["correct"]) for r in group),
                           "em": a["em"], "f1": a["f1"], "number_date_em": a["number_date_em"],
                           "citation_precision": c["precision"], "citation_recall": c["recall"],
                           "refusal_accuracy": refusal_scores([r["refused"] for r in group],
                                                              [r["answerable"] for r in group])["accuracy"],
                           "recall@5": ret["recall@5"]}
    return {
        "questions": {"total": len(rows), "answerable": sum(r["answerable"] for r in rows),
                      "unanswerable": sum(not r["answerable"] for r in rows),
                      "errors": sum(bool(r.get("error")) for r in rows)},
        "accuracy": mean(float(r["scores"]["correct"]) for r in rows),
        "retrieval": _retrieval(rows), "answers": _answers(rows), "citations": _citations(rows),
        "refusals": refusal_scores([r["refused"] for r in rows], [r["answerable"] for r in rows]),
        "latency_ms": {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
                       "mean": mean(latencies), "max": max(latencies, default=None)},
        "by_kind": kinds,
        "answered_by": dict(Counter(r.get("answered_by") or "none" for r in rows)),
        "notes": sorted({r["note"] for r in rows if r.get("note")}),
    }


def flatten(metrics: dict, prefix: str = "") -> dict:
    """Dotted keys for floors and tables: ``{"answers": {"em": 1}}`` -> ``{"answers.em": 1}``.

    >>> flatten({"answers": {"em": 0.5}, "by_kind": {"x": {"n": 1}}})
    {'answers.em': 0.5, 'by_kind.x.n': 1}
    """
    out = {}
    for key, value in metrics.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def cell(flat: dict, key: str) -> str:
    """A headline value as shown: counted shares as "n/N (p%)", latency in 0.1 ms, others as :func:`fmt`.

    >>> cell({"answers.correct": 0.75, "answers.n_correct": 3, "answers.n": 4}, "answers.correct")
    '3/4 (75.0%)'
    """
    value = flat.get(key)
    if key in COUNTS and value is not None:
        num, den = (flat.get(k) for k in COUNTS[key])
        return f"{num}/{den} ({100 * value:.1f}%)"
    return fmt(value, 1 if key.startswith("latency") else 3)


def fmt(value, digits: int = 3) -> str:
    """Table cell: None prints as "n/a" (nothing to divide by), floats rounded.

    >>> fmt(None), fmt(0.91666), fmt(12)
    ('n/a', '0.917', '12')
    """
    if value is None:
        return "n/a"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


HEADLINE = [  # (dotted key, label, what it means)
    ("answers.correct", "Answerable answered correctly", "`correct` (above), answerable questions"),
    ("refusals.recall", "Unanswerable refused", "refusal recall: unanswerable questions refused"),
    ("accuracy", "Overall accuracy", "`correct`, all questions"),
    ("answers.em", "Answer exact match", "SQuAD-normalised short answer vs gold, answerable questions"),
    ("answers.f1", "Answer token F1", "SQuAD token F1, answerable questions (partial credit)"),
    ("answers.number_date_em", "Number/date correct", "`correct` on questions whose answer is a number or date"),
    ("answers.squad_v2_em", "SQuAD v2 EM (all)", "unanswerable scores 1 when refused"),
    ("answers.squad_v2_f1", "SQuAD v2 F1 (all)", "as above, token F1"),
    ("citations.precision", "Citation precision", "cited sentences that contain/overlap an evidence quote"),
    ("citations.recall", "Citation recall", "answered answerable questions with a supporting citation"),
    ("refusals.precision", "Refusal precision", "refusals that were of unanswerable questions"),
    ("refusals.accuracy", "Refusal accuracy", "refused exactly when unanswerable, all questions"),
    ("retrieval.recall@1", "Retrieval recall@1", "evidence found in the top passage"),
    ("retrieval.recall@5", "Retrieval recall@5", "evidence found in the top 5 passages"),
    ("retrieval.recall@10", "Retrieval recall@10", "evidence found in the top 10 passages"),
    ("retrieval.mrr@10", "Retrieval MRR@10", "1/rank of the first relevant passage"),
    ("retrieval.ndcg@10", "Retrieval nDCG@10", "binary gain, ideal over the whole index"),
    ("latency_ms.p50", "Latency p50 (ms)", "one `ask`, model loaded"),
    ("latency_ms.p95", "Latency p95 (ms)", ""),
]
COUNTS = {"answers.correct": ("answers.n_correct", "answers.n"),  # shown as "52/70 (74.3%)"
          "refusals.recall": ("refusals.tp", "questions.unanswerable")}
KIND_COLUMNS = ["n", "accuracy", "em", "f1", "number_date_em", "citation_precision", "citation_recall",
                "refusal_accuracy", "recall@5"]


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _floored(text: str, value, floor) -> str:
    if floor is None:
        return text
    return f"**{text}** (below floor {floor:.3f})" if value is None or value < floor else f"{text} (floor {floor:.3f})"


def _failures(name: str, rows: list[dict]) -> list[str]:
    failed = [r for r in rows if not r["scores"]["correct"]]
    lines = [f"## Failed questions: {name} ({len(failed)} of {len(rows)})", ""]
    if len(failed) > MAX_FAILURES:
        lines += [f"The first {MAX_FAILURES} in file order; results.jsonl has every question.", ""]
    if failed:
        lines += ["| id | kind | question | expected | got | F1 | citations supported |", "|---|---|---|---|---|---|---|"]
        for r in failed[:MAX_FAILURES]:
            expected = " / ".join(r["expected"]) if r["answerable"] else "(refuse)"
            got = "(refused)" if r["refused"] else (r["short_answer"] or r["answer"][:120])
            if r.get("error"):
                got = f"error: {r['error']}"
            s = r["scores"]
            lines.append(f"| {_cell(r['id'])} | {_cell(r.get('kind') or '')} | {_cell(r['question'])} | "
                         f"{_cell(expected)} | {_cell(got)} | {fmt(s['f1'], 2)} | "
                         f"{s['supported_citations']}/{s['citations']} |")
    return lines + [""]


def render_markdown(metrics: dict, rows: list[dict], info: dict, plots: dict | None = None,
                    floors: dict | None = None) -> str:
    """report.md: one column per answerer (with its floors when given), then per answerer
    the per-kind table, plot and failed questions. ``plots`` maps answerers to PNG names."""
    blocks, plots, floors = metrics["answerers"], plots or {}, floors or {}
    names, flats = list(blocks), {n: flatten(b) for n, b in blocks.items()}
    q = next(iter(blocks.values()))["questions"]
    lines = ["# Evaluation report", "",
             f"{q['total']} questions ({q['answerable']} answerable, {q['unanswerable']} unanswerable) from "
             f"`{info['gold']}` over `{info['corpus']}`; {info['passages']} passages scored per question; "
             f"embedding model {info['model']}; the same retrieval for every answerer.", "",
             f"Reproduce: `{info['command']}`", "",
             f"Correct (`eval/answer_match.py` `correct`): {CORRECT_RULE}.", "", "## Metrics", "",
             "| metric | " + " | ".join(names) + " | meaning |", "|---" * (len(names) + 2) + "|"]
    for key, label, meaning in HEADLINE:
        cells = [_floored(cell(flats[n], key), flats[n].get(key), floors.get(n, {}).get(key)) for n in names]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {meaning} |")
    lines.append("")
    for n, b in blocks.items():
        by = ", ".join(f"{who} {count}" for who, count in sorted(b["answered_by"].items()))
        lines.append(f"- {n}: answered by {by}; {b['answers']['n_number_date']} number/date questions, "
                     f"{b['citations']['n_citations']} citations on {b['citations']['n_answered']} answered "
                     f"answerable questions, {b['questions']['errors']} errors."
                     + "".join(f" Note: {_cell(note)}" for note in b["notes"]))
    lines.append("")
    for n, b in blocks.items():
        if b["by_kind"]:
            lines += [f"## By question kind: {n}", "", "| kind | " + " | ".join(KIND_COLUMNS) + " |",
                      "|---" * (len(KIND_COLUMNS) + 1) + "|"]
            lines += [f"| {kind} | " + " | ".join(fmt(m[c]) for c in KIND_COLUMNS) + " |"
                      for kind, m in b["by_kind"].items()]
            lines.append("")
        if plots.get(n):
            lines += [f"![Scores by question kind, {n}]({plots[n]})", ""]
    for n in names:
        lines += _failures(n, [r for r in rows if r.get("answerer", n) == n])
    return "\n".join(lines)


def headline_text(metrics: dict) -> str:
    """The headline metrics as a plain-text table, one column per answerer (what ``rag eval`` prints)."""
    blocks = metrics["answerers"]
    flats = {n: flatten(b) for n, b in blocks.items()}
    lines = [f"{'':<30}" + "".join(f" {n:>15}" for n in blocks)]
    lines += [f"{label:<30}" + "".join(f" {cell(flats[n], key):>15}" for n in blocks) for key, label, _ in HEADLINE]
    return "\n".join(lines)


def write(out_dir: Path, rows: list[dict], metrics: dict, info: dict, floors: dict | None = None) -> None:
    """Write results.jsonl, metrics.json, a plot per answerer and report.md into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "results.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    (out_dir / "metrics.json").write_text(json.dumps({**metrics, "run": info}, indent=1, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
    plots = {}
    for name, block in metrics["answerers"].items():
        plot = plot_by_kind(block, out_dir / f"{PLOT_STEM}_{name}.png", title=name)
        plots[name] = plot and plot.name
    (out_dir / "report.md").write_text(render_markdown(metrics, rows, info, plots, floors) + "\n", encoding="utf-8")
