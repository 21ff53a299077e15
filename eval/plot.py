"""The report's plot: one answerer's scores by question kind, as grouped bars (matplotlib, no display)."""
from __future__ import annotations

from pathlib import Path


def plot_by_kind(metrics: dict, path: Path, title: str = "") -> Path | None:
    """Grouped bars per question kind of one answerer; None when the gold set has no kinds."""
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
    ax.set_title(f"Scores by question kind{', ' + title if title else ''} (missing bar: not applicable)")
    ax.legend(fontsize=8, ncols=len(series), loc="upper center", bbox_to_anchor=(0.5, -0.18))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
