"""Turn scored questions into metrics.json, report.md and one PNG plot.

``summarise`` is pure: it reads the per-question ``scores`` that
``eval.run.score`` wrote into each results row and averages them. Which
questions count where, stated once:

- retrieval: answerable questions with evidence; answers, number/date EM and
  citations: answerable questions (a refusal scores 0 and has no citations);
- SQuAD v2 EM/F1: every question, an unanswerable one scoring 1 when refused;
- refusals: every question, positives are the unanswerable ones;
- citation precision is micro-averaged over citations, recall over answered
  answerable questions.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from .metrics import mean, percentile, ratio, refusal_scores

RETRIEVAL_KEYS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
PLOT_NAME = "scores_by_kind.png"
MAX_FAILURES = 200  # a readable report; SQuAD runs fail in the thousands


def _answers(rows: list[dict]) -> dict:
    yes = [r for r in rows if r["answerable"]]
    values = [r["scores"]["value_em"] for r in yes if r["scores"]["value_em"] is not None]
    return {"em": mean(r["scores"]["em"] for r in yes), "f1": mean(r["scores"]["f1"] for r in yes),
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
    """The metrics.json content; every ratio with an empty denominator is None."""
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


def fmt(value, digits: int = 3) -> str:
    """Table cell: None prints as "n/a" (nothing to divide by), floats rounded.

    >>> fmt(None), fmt(0.91666), fmt(12)
    ('n/a', '0.917', '12')
    """
    if value is None:
        return "n/a"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


HEADLINE = [  # (dotted key, label, what it means)
    ("accuracy", "Overall accuracy", "right short answer, or refused when unanswerable"),
    ("answers.em", "Answer exact match", "SQuAD-normalised short answer vs gold, answerable questions"),
    ("answers.f1", "Answer token F1", "SQuAD token F1, answerable questions"),
    ("answers.number_date_em", "Number/date exact match", "numbers and dates compared by value"),
    ("answers.squad_v2_em", "SQuAD v2 EM (all)", "unanswerable scores 1 when refused"),
    ("answers.squad_v2_f1", "SQuAD v2 F1 (all)", "as above, token F1"),
    ("citations.precision", "Citation precision", "cited sentences that contain/overlap an evidence quote"),
    ("citations.recall", "Citation recall", "answered answerable questions with a supporting citation"),
    ("refusals.precision", "Refusal precision", "refusals that were of unanswerable questions"),
    ("refusals.recall", "Refusal recall", "unanswerable questions refused"),
    ("refusals.accuracy", "Refusal accuracy", "refused exactly when unanswerable, all questions"),
    ("retrieval.recall@1", "Retrieval recall@1", "evidence found in the top passage"),
    ("retrieval.recall@5", "Retrieval recall@5", "evidence found in the top 5 passages"),
    ("retrieval.recall@10", "Retrieval recall@10", "evidence found in the top 10 passages"),
    ("retrieval.mrr@10", "Retrieval MRR@10", "1/rank of the first relevant passage"),
    ("retrieval.ndcg@10", "Retrieval nDCG@10", "binary gain, ideal over the whole index"),
    ("latency_ms.p50", "Latency p50 (ms)", "one `ask`, model loaded"),
    ("latency_ms.p95", "Latency p95 (ms)", ""),
]
KIND_COLUMNS = ["n", "accuracy", "em", "f1", "number_date_em", "citation_precision", "citation_recall",
                "refusal_accuracy", "recall@5"]


def plot_by_kind(metrics: dict, path: Path) -> Path | None:
    """Grouped bars per question kind; None when the gold set has no kinds."""
    kinds = metrics["by_kind"]
    if not kinds:
        return None
    import matplotlib

    matplotlib.use("Agg")  # no display, no GUI toolkit
    import matplotlib.pyplot as plt

    series = [("accuracy", "accuracy"), ("f1", "answer F1"), ("citation_precision", "citation precision"),
              ("recall@5", "retrieval recall@5")]
    names = list(kinds)
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(names) + 2), 4.2), dpi=110)
    for i, (key, label) in enumerate(series):
        xs = [j + (i - (len(series) - 1) / 2) * width for j in range(len(names))]
        ax.bar(xs, [kinds[n][key] or 0.0 for n in names], width, label=label)
    ax.set_xticks(range(len(names)), [f"{n}\n(n={kinds[n]['n']})" for n in names], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title("Scores by question kind (missing bar: not applicable)")
    ax.legend(fontsize=8, ncols=len(series), loc="upper center", bbox_to_anchor=(0.5, -0.18))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(metrics: dict, rows: list[dict], info: dict, plot: str | None,
                    floors: dict | None = None) -> str:
    """report.md: headline table (with floors when given), per-kind table, plot, failures."""
    flat, q = flatten(metrics), metrics["questions"]
    lines = ["# Evaluation report", "",
             f"{q['total']} questions ({q['answerable']} answerable, {q['unanswerable']} unanswerable) from "
             f"`{info['gold']}` over `{info['corpus']}`; {info['passages']} passages scored per question; "
             f"model {info['model']}.", "", f"Reproduce: `{info['command']}`", "", "## Metrics", "",
             "| metric | value | " + ("CI floor | " if floors else "") + "meaning |",
             "|---|---|" + ("---|" if floors else "") + "---|"]
    for key, label, meaning in HEADLINE:
        floor = f"{fmt(floors.get(key)) if key in floors else ''} | " if floors else ""
        lines.append(f"| {label} | {fmt(flat.get(key), 1 if key.startswith('latency') else 3)} | {floor}{meaning} |")
    lines += ["", f"Counts: {metrics['answers']['n_number_date']} number/date questions, "
                  f"{metrics['citations']['n_citations']} citations on {metrics['citations']['n_answered']} "
                  f"answered answerable questions, {q['errors']} questions raised an error.", ""]
    if metrics["by_kind"]:
        lines += ["## By question kind", "", "| kind | " + " | ".join(KIND_COLUMNS) + " |",
                  "|---" * (len(KIND_COLUMNS) + 1) + "|"]
        for kind, m in metrics["by_kind"].items():
            lines.append(f"| {kind} | " + " | ".join(fmt(m[c]) for c in KIND_COLUMNS) + " |")
        lines.append("")
    if plot:
        lines += [f"![Scores by question kind]({plot})", ""]
    failed = [r for r in rows if not r["scores"]["correct"]]
    lines += [f"## Failed questions ({len(failed)} of {len(rows)})", ""]
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
    return "\n".join(lines) + "\n"


def write(out_dir: Path, rows: list[dict], metrics: dict, info: dict, floors: dict | None = None) -> None:
    """Write results.jsonl, metrics.json, the plot and report.md into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "results.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    (out_dir / "metrics.json").write_text(json.dumps({**metrics, "run": info}, indent=1, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
    plot = plot_by_kind(metrics, out_dir / PLOT_NAME)
    (out_dir / "report.md").write_text(render_markdown(metrics, rows, info, plot and plot.name, floors),
                                       encoding="utf-8")
