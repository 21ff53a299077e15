"""The web chat as a user meets it: a real `rag serve` with the local model, driven by Chromium.

    .venv/bin/python benchmarks/bench_chat.py                    # default model, 12 dev questions
    .venv/bin/python benchmarks/bench_chat.py --llm-model 0.5b --questions 6

For each question (a new conversation each time) the browser records when the
model's first streamed text appears in the chat and when the verified answer
replaces it, both from the key press. At the end it reads the server's peak
resident memory (VmHWM of the `rag serve` process: model, index, embedder and
Gradio together).

The peer, measured in the same run after the server has stopped: the same
questions through ``Assistant.ask_stream`` in this process (no browser, no
server), so the ratios show what the web layer adds to the first text, the
whole answer and the memory.
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
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from eval.metrics import percentile  # noqa: E402 - the one percentile

# Set on the page before each question: the time of the first streamed text and of the final answer.
OBSERVE = """() => {
    window.__first = null;
    window.__t0 = performance.now();
    if (window.__observer) return;
    window.__observer = new MutationObserver(() => {
        if (window.__first === null && [...document.querySelectorAll('#chat .answer.streaming')]
                .some(el => el.innerText.replace('▍', '').trim())) window.__first = performance.now();
    });
    window.__observer.observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def peak_rss_mib(pid: int) -> float:
    """VmHWM (peak resident set) of a running process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def in_chat(questions: list[str], extra: list[str]) -> tuple[list[float], list[float], float]:
    """(first text s, answer s, server peak MiB) through the browser."""
    from browser_support import BROWSER_ARGS, CHROMIUM, ask, open_page, serve
    from playwright.sync_api import expect, sync_playwright

    firsts, totals = [], []
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp), *extra) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        with open_page(browser, server) as page:
            for q in questions:
                page.locator("#new-conversation").click()
                expect(page.locator("#chat [data-testid=bot]")).to_have_count(0)
                page.evaluate(OBSERVE)
                ask(page, q)
                total = (page.evaluate("performance.now()") - page.evaluate("window.__t0")) / 1000
                first = page.evaluate("window.__first")
                if first is not None:  # a refusal before any model text has none
                    firsts.append((first - page.evaluate("window.__t0")) / 1000)
                totals.append(total)
        browser.close()
        peak = peak_rss_mib(server.pid)
    return firsts, totals, peak


def in_process(questions: list[str], llm_model: str | None) -> tuple[list[float], list[float], float]:
    """(first text s, answer s, this process's peak MiB) through ``Assistant.ask_stream``."""
    from rag.answer.assistant import Assistant
    from rag.ui.ready import warm

    firsts, totals = [], []
    with tempfile.TemporaryDirectory() as tmp:
        assistant = Assistant.open(ROOT / "seeds", index_dir=Path(tmp) / "index", llm_model=llm_model,
                                   llm_timeout=300)
        warm(assistant)  # what the server does before it says Ready
        for q in questions:
            t0, first = time.perf_counter(), None
            for item in assistant.ask_stream(q):
                if isinstance(item, str) and item.strip() and first is None:
                    first = time.perf_counter() - t0
            totals.append(time.perf_counter() - t0)
            if first is not None:
                firsts.append(first)
    return firsts, totals, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", default=str(ROOT / "eval" / "dev.jsonl"))
    ap.add_argument("--questions", type=int, default=12)
    ap.add_argument("--llm-model", default=None, help="0.5b, 1.5b or a GGUF path (default: the bundled default)")
    args = ap.parse_args(argv)
    items = [json.loads(line) for line in open(args.set, encoding="utf-8") if line.strip()]
    questions = [i["question"] for i in items if not i.get("history")][:args.questions]
    extra = ["--llm-timeout", "300"] + (["--llm-model", args.llm_model] if args.llm_model else [])

    chat = in_chat(questions, extra)
    peer = in_process(questions, args.llm_model)
    print(f"{len(questions)} questions from {args.set}, model {args.llm_model or 'default'}")
    print(f"{'':28}{'chat (browser)':>16}{'in process':>14}{'ratio':>8}")
    for name, i in (("first streamed text p50 (s)", 0), ("answer p50 (s)", 1)):
        a, b = statistics.median(chat[i]), statistics.median(peer[i])
        print(f"{name:28}{a:16.2f}{b:14.2f}{a / b:8.2f}")
    a, b = percentile(chat[1], 95), percentile(peer[1], 95)
    print(f"{'answer p95 (s)':28}{a:16.2f}{b:14.2f}{a / b:8.2f}")
    print(f"{'peak RSS (MiB)':28}{chat[2]:16.0f}{peer[2]:14.0f}{chat[2] / peer[2]:8.2f}")
    print(f"(first text seen for {len(chat[0])} of {len(questions)} questions in the chat, "
          f"{len(peer[0])} in process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
