"""Start a real `rag serve` on a loopback port for a test, and call its API."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(corpus: Path, port: int, log_path: Path, *extra: str, index_dir: Path | None = None,
          wait: float = 600) -> subprocess.Popen:
    """`rag serve --answerer rules` on 127.0.0.1:``port``, returned once it answers; its
    uploads folder is next to the log (never the user's own data folder)."""
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    args = [sys.executable, "-m", "rag.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--corpus", str(corpus), "--answerer", "rules", "--uploads-dir", str(log_path.parent / "uploads"),
            *extra]
    if index_dir is not None:
        args += ["--index-dir", str(index_dir)]
    with open(log_path, "a") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    deadline = time.monotonic() + wait
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"rag serve exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=2)
            return proc
        except OSError:
            if time.monotonic() > deadline:
                stop(proc)
                raise RuntimeError(f"rag serve not ready after {wait} s:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.5)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def call(port: int, api: str, *data, timeout: float = 120):
    """Call a named Gradio endpoint over plain HTTP (POST, then read the event stream);
    returns the output list of the final event, or raises RuntimeError with its message."""
    base = f"http://127.0.0.1:{port}/gradio_api/call/{api}"
    req = urllib.request.Request(base, data=json.dumps({"data": list(data)}).encode(),
                                 headers={"Content-Type": "application/json"})
    event_id = json.loads(urllib.request.urlopen(req, timeout=timeout).read())["event_id"]
    event = None
    with urllib.request.urlopen(f"{base}/{event_id}", timeout=timeout) as stream:
        for raw in stream:
            line = raw.decode("utf-8").rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                payload = json.loads(line[6:]) if line[6:] != "null" else None
                if event == "complete":
                    return payload
                if event == "error":
                    raise RuntimeError(payload)
    raise RuntimeError(f"no final event from {api}")
