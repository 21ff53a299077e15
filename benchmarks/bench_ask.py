"""Latency of ``Assistant.ask`` on the bundled articles, per answerer.

    .venv/bin/python benchmarks/bench_ask.py                       # default model, dev questions, fresh index
    .venv/bin/python benchmarks/bench_ask.py --answerer rules --passes 2
    .venv/bin/python benchmarks/bench_ask.py --llm-model 0.5b --passes 1

Also prints the model load time, the first streamed piece of model text
(time to first token, as the chat shows it) and this process's peak RSS.

Prints: model + index load time, the first question (spaCy and caches cold),
then p50/p95/max over every question of the set after a warm-up on five
questions that are not in it. Pass 1 meets each question for the first time
(its sentences are not parsed yet); pass 2 repeats them (everything cached),
which is what a follow-up or a re-asked question costs. Timing includes
follow-up resolution (the set's history), retrieval, reading and verification.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.metrics import percentile  # noqa: E402 - the one percentile (linear interpolation, as numpy)

WARM_UP = ["Who spoke to reporters?", "When did the talks start?", "How many ships sailed?",
           "Where did the leaders meet?", "What did the ministry say?"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(ROOT / "seeds"))
    ap.add_argument("--index-dir", default=None, help="default: a fresh temporary folder")
    ap.add_argument("--set", default=str(ROOT / "eval" / "dev.jsonl"))
    ap.add_argument("--passes", type=int, default=1)
    ap.add_argument("--answerer", choices=["llm", "rules"], default="llm")
    ap.add_argument("--llm-model", default=None, help="0.5b, 1.5b or a GGUF path (default: the bundled default)")
    args = ap.parse_args(argv)
    from rag.answer.assistant import Assistant

    items = [json.loads(line) for line in open(args.set, encoding="utf-8") if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        assistant = Assistant.open(args.corpus, index_dir=args.index_dir or tmp, answerer=args.answerer,
                                   llm_model=args.llm_model)
        print(f"open (embedding model + index): {time.perf_counter() - t0:.2f} s")
        t0 = time.perf_counter()
        assistant.warm_up()
        print(f"answerer {assistant.answerer.name} load: {time.perf_counter() - t0:.2f} s  note: {assistant.note}")
        t0 = time.perf_counter()
        assistant.ask("How many Turkish soldiers died?")
        print(f"first question (spaCy load, caches cold): {1000 * (time.perf_counter() - t0):.0f} ms")
        for q in WARM_UP:
            assistant.ask(q)
        for n in range(1, args.passes + 1):
            times = []
            for item in items:
                t0 = time.perf_counter()
                assistant.ask(item["question"], history=item.get("history") or [])
                times.append(1000 * (time.perf_counter() - t0))
            print(f"pass {n}: {len(times)} questions  p50 {statistics.median(times):.0f} ms  "
                  f"p95 {percentile(times, 95):.0f} ms  max {max(times):.0f} ms  mean {statistics.mean(times):.0f} ms")
        firsts = []
        for item in items[:10]:
            t0, first = time.perf_counter(), None
            for piece in assistant.ask_stream(item["question"], history=item.get("history") or []):
                if first is None and isinstance(piece, str) and piece.strip():
                    first = 1000 * (time.perf_counter() - t0)
            if first is not None:
                firsts.append(first)
        if firsts:
            print(f"first streamed text: {len(firsts)} questions  p50 {statistics.median(firsts):.0f} ms  "
                  f"max {max(firsts):.0f} ms")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
