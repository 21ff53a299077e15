"""Latency of ``Assistant.ask`` on the bundled articles.

    .venv/bin/python benchmarks/bench_ask.py                       # dev questions, fresh index in a temp dir
    .venv/bin/python benchmarks/bench_ask.py --set eval/gold.jsonl --passes 2

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
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WARM_UP = ["Who spoke to reporters?", "When did the talks start?", "How many ships sailed?",
           "Where did the leaders meet?", "What did the ministry say?"]


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(ROOT / "seeds"))
    ap.add_argument("--index-dir", default=None, help="default: a fresh temporary folder")
    ap.add_argument("--set", default=str(ROOT / "eval" / "dev.jsonl"))
    ap.add_argument("--passes", type=int, default=2)
    args = ap.parse_args(argv)
    from rag.answer.assistant import Assistant

    items = [json.loads(line) for line in open(args.set, encoding="utf-8") if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        assistant = Assistant.open(args.corpus, index_dir=args.index_dir or tmp)
        print(f"open (model load + index): {time.perf_counter() - t0:.2f} s")
        t0 = time.perf_counter()
        assistant.ask("How many Turkish troops died?")
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
                  f"p95 {percentile(times, 0.95):.0f} ms  max {max(times):.0f} ms  mean {statistics.mean(times):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
