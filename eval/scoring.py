"""Scores of one answered question: answer, citations, retrieval.

Correct, stated once: :func:`eval.answer_match.correct`.

Relevance, stated once. A passage is relevant when it contains an evidence
quote (whitespace, quote style and case ignored). A gold item that names
``documents`` (every SQuAD question: its own paragraph) is judged by
document instead: a passage is relevant when it comes from one of them. A
citation supports the answer when its sentence contains or overlaps an
evidence quote (and, with ``documents``, comes from one of them).

Example:
    >>> from eval.datasets import GoldItem
    >>> item = GoldItem("x", "Who called for a ceasefire?", ("Jens Stoltenberg",), ("Stoltenberg on Friday called",))
    >>> supports(item, {"doc_id": "a", "text": "Nato chief Jens Stoltenberg on Friday called for calm."})
    True
"""
from __future__ import annotations

from pathlib import Path

from eval.datasets import GoldItem
from eval.answer_match import best_score, correct, exact_match, token_f1
from eval.metrics import contains, ndcg_at_k, overlaps, recall_at_k, reciprocal_rank
from eval.value_match import values


def _in_docs(doc_id: str, documents) -> bool:
    """``documents`` holds doc ids or file names ("a" or "a.txt" name the doc id "a"); None allows all."""
    return documents is None or any(doc_id in (d, Path(d).with_suffix("").as_posix()) for d in documents)


def targets(item: GoldItem) -> list:
    """What retrieval must find: one target per quote, or per named document."""
    if not item.answerable:
        return []
    return [("doc", d) for d in item.documents] if item.documents else [("quote", q) for q in item.evidence]


def covers(target, doc_id: str, text: str) -> bool:
    kind, value = target
    return _in_docs(doc_id, (value,)) if kind == "doc" else contains(text, value)


def supports(item: GoldItem, citation: dict) -> bool:
    """The cited sentence contains or overlaps an evidence quote (from an allowed document)."""
    return _in_docs(citation["doc_id"], item.documents) and any(
        overlaps(citation["text"], q) for q in item.evidence)


def relevant_counts(items: list[GoldItem], chunks) -> dict[str, int]:
    """For each question, how many indexed chunks are relevant (nDCG's ideal ranking)."""
    per_doc: dict[str, int] = {}
    for c in chunks:
        per_doc[c.doc_id] = per_doc.get(c.doc_id, 0) + 1
    counts = {}
    for item in items:
        tgts = targets(item)
        if tgts and tgts[0][0] == "doc":  # fast path for SQuAD's thousands of questions
            counts[item.id] = sum(n for doc, n in per_doc.items() if _in_docs(doc, [d for _, d in tgts]))
        else:
            counts[item.id] = sum(any(covers(t, c.doc_id, c.text) for t in tgts) for c in chunks)
    return counts


def score(item: GoldItem, row: dict, n_relevant: int, k: int) -> dict:
    """Per-question scores from a results row (plain dicts, as written to results.jsonl).

    ``value_em`` (questions whose gold answers state a number or date) is
    :func:`~eval.answer_match.correct` on those questions; ``em`` and ``f1`` are SQuAD's.
    """
    short = None if row["refused"] else (row["short_answer"] or row["answer"])
    golds = list(item.answers) if item.answerable else []
    ok = correct(short, golds, answerable=item.answerable, refused=row["refused"])
    s = {"em": best_score(exact_match, short, golds), "f1": best_score(token_f1, short, golds), "value_em": None,
         "correct": ok}
    if item.answerable and any(values(g) for g in golds):
        s["value_em"] = float(ok)
    passages, tgts = row["ranking"][:k], targets(item)
    for p in passages + row["passages"]:
        p["relevant"] = any(covers(t, p["doc_id"], p["text"]) for t in tgts)
    if tgts:
        rel = [p["relevant"] for p in passages]
        s.update({f"recall@{n}": recall_at_k(rel, n) for n in (1, 5, 10)})
        s.update({"mrr@10": reciprocal_rank(rel, 10), "n_relevant": n_relevant,
                  # max(): a passage the index did not list (an assistant merging chunks) still counts once
                  "ndcg@10": ndcg_at_k(rel, 10, max(n_relevant, sum(rel[:10])))})
    for c in row["citations"]:
        c["supports"] = item.answerable and supports(item, c)
    s["citations"] = len(row["citations"])
    s["supported_citations"] = sum(c["supports"] for c in row["citations"])
    return s
