"""``rag eval``: ask every gold question, score the answers, write the report.

    rag eval [--gold FILE] [--corpus DIR] [--out DIR] [-k N] [--format auto|jsonl|squad] [--limit N] [--seed S]
    python -m eval ...   python eval/run.py ...      (the same flags)

Only the public API is used: ``Assistant`` answers; ``open_index`` lists the
indexed chunks (so nDCG knows how many relevant passages exist) and a
``Retriever`` on the same index ranks ``k`` passages for the assistant's query.

Relevance, stated once. A passage is relevant when it contains an evidence
quote (whitespace, quote style and case ignored). A gold item that names
``documents`` (every SQuAD question: its own paragraph) is judged by
document instead: a passage is relevant when it comes from one of them. A
citation supports the answer when its sentence contains or overlaps an
evidence quote (and, with ``documents``, comes from one of them).
"""
from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # `python eval/run.py`: make `eval` and `rag` importable, and keep
    sys.path[0] = str(Path(__file__).resolve().parents[1])  # eval/ off the path (eval/datasets.py is no `datasets`)
    __package__ = "eval"  # noqa: A001 - lets the relative imports below work

from . import datasets, report  # noqa: E402
from .metrics import (best_score, contains, exact_match, ndcg_at_k, overlaps, reciprocal_rank,  # noqa: E402
                      recall_at_k, token_f1, value_match, values)

EVAL_DIR = Path(__file__).resolve().parent
ROOT = EVAL_DIR.parent
DEFAULT_GOLD = EVAL_DIR / "gold.jsonl"
DEFAULT_OUT = EVAL_DIR / "out"
FLOORS = EVAL_DIR / "floors.json"
EXIT_USER_ERROR = 2
WARM_UP = "What happened?"  # one untimed question, so model loading is not counted as latency


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The flags of ``rag eval`` (rag/cli.py declares the same; a test keeps them in step)."""
    p.add_argument("--gold", default=None, help="gold file (default eval/gold.jsonl); JSONL or SQuAD JSON")
    p.add_argument("--corpus", default=None, help="folder of articles (default: the bundled seeds); with a SQuAD "
                                                  "file, where its paragraphs are written (default OUT/squad-corpus)")
    p.add_argument("--out", default=None, help="output folder (default eval/out)")
    p.add_argument("-k", type=int, default=10, help="passages scored per question (default 10)")
    p.add_argument("--format", choices=["auto", "jsonl", "squad"], default="auto")
    p.add_argument("--limit", type=int, default=None, help="sample N questions (fixed seed; SQuAD: half unanswerable)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--index-dir", default=None, help="where the index lives (default: CORPUS/.rag-index)")
    p.add_argument("--model", default=None, help="sentence-transformers model name or local path")
    return p


def build_parser() -> argparse.ArgumentParser:
    return add_arguments(argparse.ArgumentParser(prog="python -m eval", description="Score the assistant against a "
                                                 "gold question set; writes results, metrics and a report."))


# -- scoring one question -----------------------------------------------------------------------------------------

def _in_docs(doc_id: str, documents) -> bool:
    """``documents`` holds doc ids or file names ("a" or "a.txt" name the doc id "a"); None allows all."""
    return documents is None or any(doc_id in (d, Path(d).with_suffix("").as_posix()) for d in documents)


def targets(item: datasets.GoldItem) -> list:
    """What retrieval must find: one target per quote, or per named document."""
    if not item.answerable:
        return []
    return [("doc", d) for d in item.documents] if item.documents else [("quote", q) for q in item.evidence]


def covers(target, doc_id: str, text: str) -> bool:
    kind, value = target
    return _in_docs(doc_id, (value,)) if kind == "doc" else contains(text, value)


def supports(item: datasets.GoldItem, citation: dict) -> bool:
    """The cited sentence contains or overlaps an evidence quote (from an allowed document)."""
    return _in_docs(citation["doc_id"], item.documents) and any(
        overlaps(citation["text"], q) for q in item.evidence)


def score(item: datasets.GoldItem, row: dict, n_relevant: int, k: int) -> dict:
    """Per-question scores from a results row (plain dicts, as written to results.jsonl)."""
    short = None if row["refused"] else (row["short_answer"] or row["answer"])
    golds = list(item.answers) if item.answerable else []
    s = {"em": best_score(exact_match, short, golds), "f1": best_score(token_f1, short, golds), "value_em": None}
    if item.answerable and any(values(g) for g in golds):
        s["value_em"] = float(s["em"] == 1.0 or any(value_match(short, g) for g in golds))
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
    s["correct"] = (not row["refused"] and (s["em"] == 1.0 or s["value_em"] == 1.0)) if item.answerable \
        else row["refused"]
    return s


# -- the run --------------------------------------------------------------------------------------------------------

def relevant_counts(items: list[datasets.GoldItem], chunks) -> dict[str, int]:
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


def _record(item: datasets.GoldItem, answer, latency_ms: float, error: str | None = None) -> dict:
    d = answer.to_dict() if answer is not None else {}
    return {"id": item.id, "kind": item.kind, "question": item.question, "history": list(item.history),
            "answerable": item.answerable, "expected": list(item.answers), "answer": d.get("text", ""),
            "short_answer": d.get("short_answer"), "refused": d.get("refused", True),
            "citations": [{key: c[key] for key in ("n", "doc_id", "source_path", "text", "start", "end")}
                          for c in d.get("citations", [])],
            "passages": d.get("passages", []), "query": d.get("query", item.question),
            "latency_ms": round(latency_ms, 2), "error": error}


def ask_all(assistant, retriever, items: list[datasets.GoldItem], k: int, progress: bool = True) -> list[dict]:
    """Ask every question with its history, timing each ``ask``; a RagError counts as a refusal.

    Retrieval is scored on its own top-``k`` ranking for the query the
    assistant used (follow-ups resolved), so recall@10 means ten passages
    whatever number the assistant reads; ``passages`` keeps what it read.
    """
    from tqdm import tqdm

    from rag import RagError

    assistant.ask(WARM_UP, history=[])
    rows = []
    for item in tqdm(items, desc="asking", unit="q", disable=not progress, file=sys.stderr):
        t0 = time.perf_counter()
        try:
            answer, error = assistant.ask(item.question, history=[dict(t) for t in item.history]), None
        except RagError as exc:
            answer, error = None, str(exc)
        row = _record(item, answer, (time.perf_counter() - t0) * 1000, error)
        ranking = retriever.search(row["query"], k=k) if answer is not None else []
        row["ranking"] = [{key: getattr(p, key) for key in ("doc_id", "chunk_id", "text", "start", "end", "score")}
                          for p in ranking]
        rows.append(row)
    return rows


def evaluate(gold=None, *, corpus=None, out=None, k: int = 10, fmt: str = "auto", limit: int | None = None,
             seed: int = 13, index_dir=None, model: str | None = None, embedder=None, assistant=None,
             progress: bool = True, floors: dict | None = None, command: str | None = None) -> dict:
    """Run the whole evaluation and write the outputs; returns metrics.json's content.

    ``embedder``/``assistant`` let a caller share an already loaded model.
    """
    from rag import Assistant, Retriever, SentenceTransformerEmbedder, open_index

    if k < 1:
        raise ValueError(f"-k must be at least 1; got {k}.")
    gold, out = Path(gold or DEFAULT_GOLD), Path(out or DEFAULT_OUT)
    items, paragraphs = datasets.load(gold, fmt=fmt)
    if paragraphs is not None:
        corpus = datasets.write_corpus(paragraphs, corpus or out / "squad-corpus" / datasets.slug(gold.stem))
    corpus = Path(corpus or ROOT / "seeds")
    items = datasets.sample(items, limit, seed, balanced=paragraphs is not None)
    embedder = embedder or SentenceTransformerEmbedder(model)
    # Built (with a progress bar) or updated here; the assistant then only loads it.
    index, _ = open_index(corpus, embedder=embedder, index_dir=index_dir, progress=progress)
    if assistant is None:
        assistant = Assistant.open(corpus, index_dir=index_dir, embedder=embedder)
    n_relevant = relevant_counts(items, index.chunks)
    rows = ask_all(assistant, Retriever(index, embedder), items, k, progress)
    for item, row in zip(items, rows):
        row["scores"] = score(item, row, n_relevant[item.id], k)
        for p in row["ranking"]:
            del p["text"]  # the same chunks' texts are in `passages` or the index; keeps results.jsonl small
    metrics = report.summarise(rows)
    info = {"gold": str(gold), "corpus": str(corpus), "format": "squad" if paragraphs is not None else "jsonl",
            "questions": len(items), "limit": limit, "seed": seed, "passages": k,
            "model": getattr(embedder, "name", None) or model,
            "command": command or f"rag eval --gold {shlex.quote(str(gold))}"}
    report.write(out, rows, metrics, info, floors)
    return metrics


def load_floors(path: Path = FLOORS) -> dict:
    import json

    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def below_floors(metrics: dict, floors: dict) -> list[str]:
    """One line per floored metric that is missing or below its floor.

    >>> below_floors({"answers": {"em": 0.5}, "refusals": {"recall": None}}, {"answers.em": 0.6, "refusals.recall": 0.5})
    ['answers.em = 0.500 is below its floor 0.600', 'refusals.recall = n/a is below its floor 0.500']
    """
    flat = report.flatten(metrics)
    return [f"{key} = {report.fmt(flat.get(key))} is below its floor {floor:.3f}"
            for key, floor in floors.items() if flat.get(key) is None or flat[key] < floor]


def command(args) -> str:
    """The ``rag eval`` line that reproduces a run: every flag that differs from its default.

    >>> command(build_parser().parse_args(["--gold", "dev.json", "--limit", "2000"]))
    'rag eval --gold dev.json --limit 2000'
    """
    defaults, parts = build_parser().parse_args([]), ["rag", "eval"]
    for key, value in vars(args).items():
        if key in vars(defaults) and value != getattr(defaults, key):
            flag = "-k" if key == "k" else "--" + key.replace("_", "-")
            parts += [flag, shlex.quote(str(value))]
    return " ".join(parts)


def run_cli(args) -> int:
    """Entry point of ``rag eval`` and ``python -m eval``: prints the headline and where the report is."""
    from rag import RagError

    out = Path(args.out or DEFAULT_OUT)
    gold = Path(args.gold or DEFAULT_GOLD)
    # Floors are for the whole gold set; a --limit sample is not held to them.
    floors = load_floors() if gold.resolve() == DEFAULT_GOLD and args.limit is None and FLOORS.exists() else None
    try:
        metrics = evaluate(gold, corpus=args.corpus, out=out, k=args.k, fmt=args.format, limit=args.limit,
                           seed=args.seed, index_dir=args.index_dir, model=args.model, floors=floors,
                           command=command(args))
    except (RagError, ValueError) as exc:  # GoldSetError is a ValueError
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    flat = report.flatten(metrics)
    for key, label, _ in report.HEADLINE:
        print(f"{label:<26} {report.fmt(flat.get(key), 1 if key.startswith('latency') else 3)}")
    print(f"wrote {out / 'report.md'}, {out / 'metrics.json'}, {out / 'results.jsonl'}")
    for line in below_floors(metrics, floors or {}):
        print(f"warning: {line} (eval/floors.json; CI fails on this)", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return run_cli(build_parser().parse_args(argv))
    except KeyboardInterrupt:
        print("interrupted; nothing written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
