"""Cold start: `rag search` and `rag ask` as whole processes, 5 runs each, against a bare interpreter.

Prints figures and ratios; asserts nothing. Run on a quiet machine:

    .venv/bin/python benchmarks/bench_cold.py                     # seeds, rule reader
    .venv/bin/python benchmarks/bench_cold.py --answerer llm      # the first answer with the local model

The index is built first (not timed), so every run opens an existing index as a user's second command
does. Targets (issue 14): `rag search` <= 1.5 s; the first answer <= 2 s plus the reader's own load
time (with ``--answerer rules`` there is no reader to load; with ``llm`` the model's load time is
printed from a process that only loads it, and the first answer is timed again with the model loaded
on the first question instead of beside the index). Each run also reports whether torch was imported.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "How many Turkish soldiers were killed in the attack?"
# Runs a command in-process, then says on stderr whether torch was imported along the way.
PROBE = ("import sys, runpy; sys.argv = ['rag', *sys.argv[1:]]\n"
         "try:\n    runpy.run_module('rag.cli', run_name='__main__')\n"
         "except SystemExit:\n    pass\n"
         "print('TORCH' if 'torch' in sys.modules else 'NOTORCH', file=sys.stderr)")
# The same, with the model loaded on the first question instead of beside the index (Assistant.open's preload).
LAZY = "import rag.answer.assistant as a; a._warm_in_background = lambda answerer: None\n" + PROBE
LOAD_LLM = ("import time; from rag.answer.model_files import resolve_model\n"
            "from rag.answer.llama_local import LlamaCppChat\n"
            "chat = LlamaCppChat(resolve_model()); t = time.perf_counter(); chat.warm_up()\n"
            "print(time.perf_counter() - t)")


def runs(cmd: list[str], n: int, env: dict) -> tuple[list[float], bool]:
    times, torch = [], False
    for _ in range(n):
        t = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)  # cwd: this checkout's rag
        times.append(time.perf_counter() - t)
        if out.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
        torch |= "NOTORCH" not in out.stderr
    return times, torch


def show(name: str, times: list[float], base: float, target: float | None, torch: bool | None = None) -> None:
    med = statistics.median(times)
    line = (f"  {name:34s} median {med:5.2f}s  min {min(times):5.2f}s  max {max(times):5.2f}s  "
            f"= {med / base:4.1f}x a bare interpreter")
    if target:
        line += f"; median / target = {med / target:.2f} (target {target:.2f} s)"
    if torch is not None:
        line += f"; torch {'imported' if torch else 'not imported'}"
    print(line)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--corpus", default=str(ROOT / "seeds"))
    ap.add_argument("--answerer", choices=["rules", "llm"], default="rules")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rag-bench-cold-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "RAG_DATA_DIR": str(tmp / "data")}
    common = ["--corpus", args.corpus, "--index-dir", str(tmp / "index")]
    subprocess.run([sys.executable, "-m", "rag.cli", "index", args.corpus, "--index-dir", str(tmp / "index")],
                   check=True, capture_output=True, env=env, cwd=ROOT)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; corpus {args.corpus}; "
          f"{args.runs} runs each")
    bare, _ = runs([sys.executable, "-c", "import sys; print('NOTORCH', file=sys.stderr)"], args.runs, env)
    base = statistics.median(bare)
    show("python -c pass", bare, base, None)
    imp, _ = runs([sys.executable, "-c", "import rag.cli, sys; print('NOTORCH', file=sys.stderr)"], args.runs, env)
    show("import rag.cli", imp, base, None)
    t, torch = runs([sys.executable, "-c", PROBE, "search", QUESTION, *common], args.runs, env)
    show("rag search", t, base, 1.5, torch)
    t, torch = runs([sys.executable, "-c", PROBE, "ask", QUESTION, "--answerer", args.answerer, *common],
                    args.runs, env)
    reader = 0.0
    if args.answerer == "llm":
        out = subprocess.run([sys.executable, "-c", LOAD_LLM], capture_output=True, text=True, env=env, check=True, cwd=ROOT)
        reader = float(out.stdout.strip().splitlines()[-1])
        print(f"  the reader's own load time: {reader:.2f}s")
    show(f"rag ask --answerer {args.answerer}", t, base, 2.0 + reader, torch)
    if args.answerer == "llm":
        t, torch = runs([sys.executable, "-c", LAZY, "ask", QUESTION, "--answerer", "llm", *common], args.runs, env)
        show("the same, no preload (lazy load)", t, base, 2.0 + reader, torch)


if __name__ == "__main__":
    main()
