"""Memory soak for the web chat: N requests on 127.0.0.1, resident memory before and after.

Starts `rag serve --answerer rules` on a copy of the seeds (the rule reader: the
language model's own memory is fixed once loaded, and at ~20 ms an answer the
soak takes minutes, not hours), warms it up, then sends questions that are all
different (other words, other numbers), each from a new session, as many users
of the API do: every per-text or per-session cache sees something new each
time. Prints the server's RSS (from /proc) along the way and the growth after
warm-up. Target: under 50 MB. A figure, not a test.

    .venv/bin/python benchmarks/soak_memory.py                    # 2,000 requests after 300 of warm-up
    .venv/bin/python benchmarks/soak_memory.py --requests 500 --users 2
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from serving import call, free_port, start, stop  # noqa: E402

TEMPLATES = ["How many {w} were reported in {n}?", "What did {W} say about the {w} on day {n}?",
             "Who met {W} after the {w} of {n} people?", "When did the {w} in {W} end, {n} days later?",
             "Is it true that {n} {w} arrived in {W}?"]


def vocabulary() -> tuple[list[str], list[str]]:
    """Words of the bundled articles: lower-case ones and capitalised names."""
    import re

    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt")))
    words = sorted(set(re.findall(r"\b[a-z]{4,12}\b", text)))
    names = sorted(set(re.findall(r"\b[A-Z][a-z]{3,12}\b", text)))
    return words, names


def question(rng: random.Random, words, names, i: int) -> str:
    """A question no earlier request asked: its number is the request's own."""
    return rng.choice(TEMPLATES).format(w=rng.choice(words), W=rng.choice(names), n=1000 + i)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def run(port: int, n: int, users: int, start_at: int, errors: list) -> None:
    """``n`` requests from ``users`` threads, each request a new session."""
    words, names = vocabulary()
    counter = iter(range(start_at, start_at + n))
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            try:
                call(port, "ask", question(rng, words, names, i), [], 6, [], "", "")
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors.append(f"{type(exc).__name__}: {str(exc)[:160]}")

    threads = [threading.Thread(target=worker, args=(start_at + u,)) for u in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--users", type=int, default=4)
    ap.add_argument("--step", type=int, default=250, help="print RSS every this many requests")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rag-soak-"))
    corpus = work / "seeds"
    shutil.copytree(ROOT / "seeds", corpus, ignore=shutil.ignore_patterns(".rag-index"))
    port = free_port()
    print("starting rag serve --answerer rules ...", flush=True)
    proc = start(corpus, port, work / "serve.log", index_dir=work / "index")
    errors: list[str] = []
    try:
        print(f"RSS at start: {rss_mb(proc.pid):.1f} MB", flush=True)
        run(port, args.warmup, args.users, 0, errors)
        before = rss_mb(proc.pid)
        print(f"RSS after {args.warmup} warm-up requests: {before:.1f} MB", flush=True)
        t0, done = time.perf_counter(), 0
        while done < args.requests:
            n = min(args.step, args.requests - done)
            run(port, n, args.users, args.warmup + done, errors)
            done += n
            print(f"  {done:5d} requests: RSS {rss_mb(proc.pid):.1f} MB", flush=True)
        after = rss_mb(proc.pid)
        wall = time.perf_counter() - t0
    finally:
        stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    print(f"RSS before {before:.1f} MB, after {after:.1f} MB: growth {after - before:+.1f} MB over "
          f"{args.requests} requests ({(after - before) * 1024 / args.requests:+.1f} KB/request); "
          f"{args.requests / wall:.1f} req/s; errors: {len(errors)}")
    for e in errors[:5]:
        print(f"error: {e}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
