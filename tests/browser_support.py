"""Shared parts of the browser tests: a real `rag serve` subprocess on loopback (real
embedding model, real index on disk, a private copy of the seeds and a private uploads
folder, so nothing touches the repository or the user's data), Debian's Chromium driven
by Playwright, and small helpers that act as a user would.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import ROOT, SEEDS

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"BROWSER TESTS SKIPPED: no Chromium at {CHROMIUM}. Install it with `apt-get install chromium` "
                "(.ci/run does this, so CI always runs them).", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

ARTIFACTS = ROOT / "artifacts"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"]
ANSWER_TIMEOUT = 180_000  # ms; generous: 2 shared cores
VIEWPORTS = {"desktop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running `rag serve`: its URL, corpus copy, uploads folder, console log and process id."""

    def __init__(self, url: str, corpus: Path, uploads: Path, log: Path, ready_at: float, pid: int):
        self.url, self.corpus, self.uploads, self.log, self.ready_at = url, corpus, uploads, log, ready_at
        self.pid = pid

    def console(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def serve(work: Path, *extra: str):
    """Start `rag serve` on a free port with ``extra`` flags; yields a :class:`Server` once
    the console says Ready (the server only listens after warming up)."""
    corpus, uploads, log_path = work / "seeds", work / "user-data" / "uploads", work / "serve.log"
    shutil.copytree(SEEDS, corpus, ignore=shutil.ignore_patterns(".rag-index"))
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                                 "--corpus", str(corpus), "--index-dir", str(work / "index"), "--uploads-dir",
                                 str(uploads), *extra], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 900
        while "Ready in" not in log_path.read_text():
            if proc.poll() is not None:
                pytest.fail(f"rag serve exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"rag serve not ready after 900 s:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.5)
        urllib.request.urlopen(url + "config", timeout=10)  # it listens once it says so
        yield Server(url, corpus, uploads, log_path, time.monotonic(), proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A `rag serve` with the rule reader (answers in well under a second) for a test module."""
    with serve(tmp_path_factory.mktemp("serve"), "--answerer", "rules") as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield b
        b.close()


@contextmanager
def open_page(browser, server: Server, viewport: str = "desktop", scheme: str = "light"):
    """A fresh session on the chat at a viewport and OS colour scheme; afterwards every
    request must have stayed on loopback (no fonts, CDN or analytics from outside)."""
    context = browser.new_context(viewport=VIEWPORTS[viewport], color_scheme=scheme,
                                  is_mobile=viewport == "phone", has_touch=viewport == "phone")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url.rstrip("/"))
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(server.url)
    expect(page.locator("#question textarea")).to_be_visible(timeout=60_000)
    expect(page.locator("#ready [data-ready=true]")).to_be_visible()
    try:
        yield page
    finally:
        context.close()
    outside = [u for u in requests if urlsplit(u).scheme not in ("data", "blob")
               and urlsplit(u).hostname != "127.0.0.1"]
    assert outside == [], f"the page requested outside resources: {outside[:5]}"


def ask(page, question: str, timeout: int = ANSWER_TIMEOUT):
    """Type a question, press Enter, wait for the final (non-streaming) reply; returns it."""
    n = page.locator("#chat [data-testid=bot]").count()
    page.locator("#question textarea").fill(question)
    page.locator("#question textarea").press("Enter")
    reply = page.locator("#chat [data-testid=bot]").nth(n)
    expect(reply.locator(".answer:not(.streaming), .refusal, .clarify, .failed")).to_have_count(1, timeout=timeout)
    return reply


def upload(page, tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    page.get_by_role("tab", name="Documents").click()
    page.locator("#upload input[type=file]").set_input_files(str(path))
    expect(page.locator("#upload")).to_contain_text(Path(name).stem, timeout=30_000)  # shown as "stem .suffix"
    page.locator("#add").click()
    status = page.locator("#upload-status")
    expect(status).to_contain_text(re.compile("Added|Not added|undone"), timeout=ANSWER_TIMEOUT)
    assert "Added “" in status.inner_text(), status.inner_text()
    page.get_by_role("tab", name="Chat").click()


def open_marker(page, reply, index: int = 0):
    """Click the index-th citation marker of ``reply``; returns the opened source card."""
    marker = reply.locator("a.cite").nth(index)
    card_id = marker.get_attribute("href")[1:]
    marker.click()
    card = page.locator(f"#sources details#{card_id}")
    expect(card).to_have_attribute("open", "")
    return card


def luminance(css: str) -> float:
    """WCAG relative luminance of a computed colour such as 'rgb(253, 230, 138)'."""
    r, g, b = (int(x) / 255 for x in re.findall(r"[\d.]+", css)[:3])
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(fg: str, bg: str) -> float:
    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def no_overlay_on(page, selector: str) -> None:
    """Nothing is drawn over the middle of ``selector`` (no toast, no modal): a click there reaches it."""
    box = page.locator(selector).bounding_box()
    assert box, f"{selector} is not on the page"
    hit = page.evaluate("([x, y, sel]) => { const el = document.elementFromPoint(x, y); "
                        "return !!el && !!el.closest(sel); }",
                        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, selector])
    assert hit, f"something covers {selector}"
    assert page.locator("[data-testid=toast-body]").count() == 0, page.locator("[data-testid=toast-body]").all_inner_texts()
