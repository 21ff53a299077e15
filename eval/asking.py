"""Asking the questions of an evaluation: each timed, each recorded as one plain row.

A row holds what the assistant said (answer, short answer, citations, passages), why (the model's
raw reply, the refusing step, the support and confirmation figures: ``Assistant.ask_traced``), the
time it took, and retrieval's own top-k ranking for the query it used. Rows go to the run's
journal (:mod:`eval.journal`) as they come, in a fixed shuffled order, so an interrupted run keeps a
random part of the sample.

Example:
    >>> rows = ask_all(assistant, retriever, items, k=10, name="llm")   # doctest: +SKIP
    >>> rows[0]["short_answer"], rows[0]["latency_ms"]                  # doctest: +SKIP
    ('33', 2315.4)
"""
from __future__ import annotations

import random
import sys
import time

from eval import datasets
from eval.journal import Journal

ASK_ORDER_SEED = 2026  # the shuffled order questions are asked in (see ask_all); any fixed number
WARM_UP = "What happened?"  # one untimed question, so model loading is not counted as latency


def record(item: datasets.GoldItem, answer, latency_ms: float, error: str | None = None, trace=None) -> dict:
    d, trace = (answer.to_dict() if answer is not None else {}), (trace or {})
    return {"id": item.id, "kind": item.kind, "question": item.question, "history": list(item.history),
            "answerable": item.answerable, "expected": list(item.answers), "answer": d.get("text", ""),
            "short_answer": d.get("short_answer"), "refused": d.get("refused", True),
            "answered_by": d.get("answered_by") or None, "note": d.get("note"),
            "citations": [{key: c[key] for key in ("n", "doc_id", "source_path", "text", "start", "end")}
                          for c in d.get("citations", [])],
            "passages": d.get("passages", []), "query": d.get("query", item.question),
            "latency_ms": round(latency_ms, 2), "error": error,
            # why: the model's raw reply and, for a refusal, the step that refused (Assistant.ask_traced)
            "draft": trace.get("draft"), "reason": trace.get("reason"), "support": trace.get("support"),
            # the model's yes shares for its answer and for whether the context answers at all (rag.answer.confirm)
            "confirm": trace.get("confirm"), "answers": trace.get("answers")}


def ask_all(assistant, retriever, items: list[datasets.GoldItem], k: int, progress: bool = True,
            name: str = "", journal: Journal | None = None) -> list[dict]:
    """Ask every question with its history, timing each ``ask``; a RagError counts as a refusal.
    Each row goes to ``journal`` as it comes; a question already in it is not asked again.
    The questions are asked in a fixed shuffled order, so the answers of an interrupted run are a
    random part of the sample rather than its first articles; the rows come back in the set's order.

    Retrieval is scored on its own top-``k`` ranking for the query the
    assistant used (follow-ups resolved), so recall@10 means ten passages
    whatever number the assistant reads; ``passages`` keeps what it read.
    """
    from tqdm import tqdm

    from rag import RagError

    done = journal.done if journal is not None else {}
    if any((name, item.id) not in done for item in items):
        assistant.ask(WARM_UP, history=[])
    order = list(range(len(items)))
    random.Random(ASK_ORDER_SEED).shuffle(order)
    rows = {}
    for i in tqdm(order, desc=f"asking {name}".strip(), unit="q", disable=not progress, file=sys.stderr):
        item = items[i]
        if (name, item.id) in done:
            rows[i] = done[(name, item.id)]
            continue
        t0 = time.perf_counter()
        try:
            (answer, trace), error = assistant.ask_traced(item.question, history=[dict(t) for t in item.history]), None
        except RagError as exc:
            answer, trace, error = None, None, str(exc)
        row = {"answerer": name, **record(item, answer, (time.perf_counter() - t0) * 1000, error, trace)}
        ranking = retriever.search(row["query"], k=k) if answer is not None else []
        row["ranking"] = [{key: getattr(p, key) for key in ("doc_id", "chunk_id", "text", "start", "end", "score")}
                          for p in ranking]
        rows[i] = row
        if journal is not None:
            journal.add(row)
    return [rows[i] for i in range(len(items))]


def open_assistant(name: str, corpus, *, index_dir=None, embedder=None, cache_dir=None, **llm):
    """An assistant answering with ``name``, its model loaded (a model that cannot
    load leaves the rules answering; the rows' ``answered_by`` and ``note`` say so).
    ``llm`` is Assistant.open's llm_model, llm_url, llm_name, llm_timeout, llm_confirm."""
    from rag import Assistant

    assistant = Assistant.open(corpus, index_dir=index_dir, embedder=embedder, cache_dir=cache_dir, answerer=name,
                               **llm)
    assistant.warm_up()
    return assistant
