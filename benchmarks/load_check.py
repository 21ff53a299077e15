"""Load check for the web chat: N simulated users asking questions for S seconds.

Each user is a thread with its own ``gradio_client.Client`` (its own session)
calling the chat's ``/ask`` endpoint, the same streaming handler the page uses,
one question after another. Prints requests served, errors and latency
percentiles. A figure, not a test: timings depend on the machine and its load.

    .venv/bin/python benchmarks/load_check.py                 # starts its own `rag serve` on a seeds copy
    .venv/bin/python benchmarks/load_check.py --url http://127.0.0.1:7860/ --users 20 --seconds 60
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.metrics import percentile  # noqa: E402

QUESTIONS = ["How many Turkish soldiers died?", "Who is NATO's secretary-general?",
             "Who is the Kremlin spokesman?", "What did Japan say about the attack?"]


def questions() -> list[str]:
    """The example questions plus the dev set's, so answers and refusals both occur."""
    dev = ROOT / "eval" / "dev.jsonl"
    extra = [json.loads(line)["question"] for line in dev.read_text().splitlines() if line.strip()] \
        if dev.exists() else []
    return QUESTIONS + [q for q in extra if q not in QUESTIONS][:30]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workdir: Path, timeout: float = 600) -> tuple[subprocess.Popen, str]:
    """`rag serve` on a private copy of the seeds, on a free loopback port."""
    corpus = workdir / "seeds"
    shutil.copytree(ROOT / "seeds", corpus, ignore=shutil.ignore_patterns(".rag-index"))
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    log = open(workdir / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "serve", "--port", str(port), "--corpus", str(corpus),
                             "--index-dir", str(workdir / "index")], stdout=log, stderr=subprocess.STDOUT, env=env,
                            cwd=ROOT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"rag serve exited with {proc.returncode}:\n{(workdir / 'serve.log').read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url + "config", timeout=2)
            return proc, url
        except OSError:
            time.sleep(1)
    proc.terminate()
    raise SystemExit(f"rag serve did not answer on {url} within {timeout:.0f}s")


def user(url: str, qs: list[str], offset: int, stop_at: float, latencies: list, errors: list, lock) -> None:
    from gradio_client import Client

    try:
        client = Client(url, verbose=False)
    except Exception as exc:  # noqa: BLE001 - counted and reported
        with lock:
            errors.append(f"connect: {type(exc).__name__}: {exc}")
        return
    i = offset
    while time.monotonic() < stop_at:
        q = qs[i % len(qs)]
        i += 1
        t0 = time.perf_counter()
        try:
            chat, *_ = client.predict(q, [], 6, [], "", "", api_name="/ask")
            reply = chat[-1]["content"]
            text = reply[0]["text"] if isinstance(reply, list) else str(reply)
            if 'class="answer"' not in text and 'class="refusal"' not in text:
                raise RuntimeError(f"unexpected reply {text[:120]!r}")
            with lock:
                latencies.append(time.perf_counter() - t0)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            with lock:
                errors.append(f"{q!r}: {type(exc).__name__}: {str(exc)[:200]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default=None, help="a running `rag serve` (default: start one on a seeds copy)")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()
    proc, tmp = None, None
    url = args.url
    if url is None:
        tmp = Path(tempfile.mkdtemp(prefix="rag-load-"))
        print("starting rag serve (model load and index build) ...", flush=True)
        proc, url = start_server(tmp)
    try:
        qs, latencies, errors, lock = questions(), [], [], threading.Lock()
        print(f"{args.users} users for {args.seconds:.0f}s against {url} ({len(qs)} distinct questions)", flush=True)
        stop_at = time.monotonic() + args.seconds
        threads = [threading.Thread(target=user, args=(url, qs, i * 3, stop_at, latencies, errors, lock))
                   for i in range(args.users)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"requests served: {len(latencies)}  errors: {len(errors)}  wall: {wall:.1f}s  "
          f"throughput: {len(latencies) / wall:.2f} req/s")
    if latencies:
        print(f"latency p50: {percentile(latencies, 50):.2f}s  p95: {percentile(latencies, 95):.2f}s  max: {max(latencies):.2f}s")
    for e in errors[:10]:
        print(f"error: {e}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
