"""The web chat in a real browser: Debian's Chromium driven by Playwright against
a real `rag serve` subprocess on loopback (real model, real index on disk, a
private copy of the seeds so uploads never touch the repository).

Every page load records its requests; each test ends by checking they all went
to 127.0.0.1 (no fonts, CDN or analytics from outside).
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
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import ROOT, SEEDS

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"BROWSER TESTS SKIPPED: no Chromium at {CHROMIUM}. Install it with `apt-get install chromium` "
                "(.ci/run does this, so CI always runs them).", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]
ARTIFACTS = ROOT / "artifacts"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"]
ANSWER_TIMEOUT = 180_000  # ms; generous: 2 shared cores, first answers warm the model up
GLACIER = ("Glacier survey finds record length\n\n"
           "REYKJAVIK (Nordic Wire) - The Zorblax Glacier in Norlandia measured 4,321 metres in the spring survey, "
           "the longest it has been since records began in 1911.\n"
           "Scientists said a cold winter had slowed the melt.\n")
HOSTILE = ("Leaked memo on the harbour tender\n\n"  # the cited sentence itself carries the tags
           "The harbour authority of Qelvoria awarded the dredging tender <script>window.__xss = 'script'</script> "
           "to Brinemoor Dredging <img src=x onerror=\"window.__xss = 'img'\"> for 91 million krona.\n"
           "The memo was found in a leaked file.\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real `rag serve` on a free loopback port; yields (url, corpus_dir, log_path)."""
    work = tmp_path_factory.mktemp("serve")
    corpus = work / "seeds"
    shutil.copytree(SEEDS, corpus, ignore=shutil.ignore_patterns(".rag-index"))
    port, log_path = free_port(), work / "serve.log"
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                                 "--corpus", str(corpus), "--index-dir", str(work / "index"), "--llm-timeout", "300"],
                                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 600
        while True:
            if proc.poll() is not None:
                pytest.fail(f"rag serve exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}")
            try:
                urllib.request.urlopen(url + "config", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"rag serve not ready after 600 s:\n{log_path.read_text()[-4000:]}")
                time.sleep(1)
        yield url, corpus, log_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    """A fresh session on the chat; after the test, every request must have stayed on loopback."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    requests: list[str] = []
    pg.on("request", lambda r: requests.append(r.url))
    pg.goto(server[0])
    expect(pg.locator("#question textarea")).to_be_visible(timeout=60_000)
    yield pg
    context.close()
    outside = [u for u in requests if urlsplit(u).scheme not in ("data", "blob")
               and urlsplit(u).hostname != "127.0.0.1"]
    assert outside == [], f"the page requested outside resources: {outside[:5]}"


def ask(page, question: str):
    """Type a question, press Enter, wait for the final (non-streaming) reply; returns it."""
    n = page.locator("#chat [data-testid=bot]").count()
    page.locator("#question textarea").fill(question)
    page.locator("#question textarea").press("Enter")
    reply = page.locator("#chat [data-testid=bot]").nth(n)
    expect(reply.locator(".answer:not(.streaming), .refusal")).to_have_count(1, timeout=ANSWER_TIMEOUT)
    return reply


def upload(page, tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    page.get_by_role("tab", name="Documents").click()
    page.locator("#upload input[type=file]").set_input_files(str(path))
    expect(page.locator("#upload")).to_contain_text(name, timeout=30_000)
    page.locator("#add").click()
    status = page.locator("#upload-status")
    expect(status).to_contain_text(re.compile("Added|Not added"), timeout=ANSWER_TIMEOUT)
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


def test_answer_cites_sentences_that_open_highlighted_and_follow_ups_work(page):
    reply = ask(page, "How many Turkish soldiers died?")
    assert "33" in reply.inner_text()
    assert reply.locator("a.cite").count() >= 1
    markers = reply.locator("a.cite").count()
    marked = [open_marker(page, reply, i).locator("mark").inner_text() for i in range(markers)]
    assert any("33" in m for m in marked), marked
    page.evaluate("document.querySelectorAll('#sources details').forEach(d => d.open = false)")
    card = open_marker(page, reply, next(i for i, m in enumerate(marked) if "33" in m))
    expect(card.locator("mark")).to_be_visible()
    expect(card.locator("mark")).to_contain_text("33")
    page.wait_for_timeout(1500)  # let the card's flash fade for the screenshot
    page.evaluate("window.scrollTo(0, 0)")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-answer.png"))

    follow = ask(page, "Where were they killed?")
    assert follow.locator(".refusal").count() == 0, follow.inner_text()
    assert re.search(r"Idlib|Syria", follow.inner_text()), follow.inner_text()
    assert follow.locator("a.cite").first.get_attribute("href").startswith("#cite-2-")
    expect(follow.locator(".standalone")).to_contain_text("searched for")  # "they" was resolved
    open_marker(page, follow)
    expect(page.locator("#sources details.earlier")).to_have_count(1)  # turn 1's sources are folded, not lost

    page.locator("#new-conversation").click()
    expect(page.locator("#chat [data-testid=bot]")).to_have_count(0)
    expect(page.locator("#sources")).to_contain_text("Sources of the answer appear here")


def test_model_text_streams_before_the_verified_answer_replaces_it(page):
    page.evaluate("""() => {
        window.__streamed = [];
        new MutationObserver(() => document.querySelectorAll('#chat .answer.streaming').forEach(
            el => window.__streamed.push(el.innerText))).observe(document.body, {subtree: true, childList: true,
                                                                               characterData: true});
    }""")
    reply = ask(page, "Who is NATO's secretary-general?")
    streamed = [t.strip(" ▍\n") for t in page.evaluate("window.__streamed")]
    assert any(streamed), "no model text was shown before the final answer"
    assert reply.locator(".streaming").count() == 0 and reply.locator("a.cite").count() >= 1
    assert "Stoltenberg" in reply.inner_text()


def test_example_questions_ask_on_click(page):
    page.locator("#examples").get_by_text("Who is the Kremlin spokesman?").click()
    expect(page.locator("#chat [data-testid=user]").first).to_have_text("Who is the Kremlin spokesman?")
    reply = page.locator("#chat [data-testid=bot]").first
    expect(reply.locator(".answer:not(.streaming), .refusal")).to_have_count(1, timeout=ANSWER_TIMEOUT)
    expect(reply).to_contain_text("Peskov")


def test_settings_filter_answers_to_the_chosen_article(page):
    title = "Russia and Turkey hold crisis talks after deadly"
    page.locator("#settings").get_by_role("button").first.click()
    page.locator("#doc-filter input").click()
    page.get_by_role("option", name=title).click()
    page.locator("#question textarea").click()  # close the list
    reply = ask(page, "How many Turkish soldiers died?")
    assert reply.locator("a.cite").count() >= 1, reply.inner_text()
    titles = page.locator("#sources details.source summary").all_inner_texts()
    assert titles and all(title in t for t in titles), titles


def test_unanswerable_question_gets_the_refusal_style_with_related_passages(page):
    reply = ask(page, "What did Japan say about the attack?")
    expect(reply.locator(".refusal")).to_be_visible()
    expect(reply.locator(".refusal-label")).to_have_text(re.compile("not found", re.I))
    assert reply.locator("a.cite").count() == 0
    expect(page.locator("#sources")).to_contain_text("do not contain the answer")


def test_uploaded_article_is_searchable_in_the_next_question(page, tmp_path, server):
    upload(page, tmp_path, "glacier survey.txt", GLACIER)
    assert (server[1] / "glacier-survey.txt").exists()
    reply = ask(page, "How many metres did the Zorblax Glacier measure?")
    assert "4,321" in reply.inner_text(), reply.inner_text()
    card = open_marker(page, reply)
    expect(card.locator("mark")).to_contain_text("4,321")
    expect(card).to_contain_text("Glacier survey finds record length")


def test_article_with_script_and_onerror_shows_the_text_and_runs_nothing(page, tmp_path):
    upload(page, tmp_path, "harbour.md", HOSTILE)
    reply = ask(page, "Which company won the Qelvoria harbour dredging tender?")
    assert "Brinemoor" in reply.inner_text(), reply.inner_text()
    card = open_marker(page, reply)
    expect(card.locator("mark")).to_contain_text("<script>window.__xss = 'script'</script>")
    expect(card.locator("mark")).to_contain_text("onerror=")
    page.get_by_role("tab", name="Documents").click()
    page.locator("#pick input").click()
    page.get_by_role("option", name="Leaked memo on the harbour tender").click()
    expect(page.locator("#reader")).to_contain_text("Qelvoria")
    page.wait_for_timeout(500)  # time for an injected onerror to fire, if there were one
    assert page.evaluate("window.__xss") is None
    expect(page.locator("#reader")).to_contain_text("<script>window.__xss = 'script'</script>")
    expect(page.locator("#reader")).to_contain_text("onerror=")
    page.get_by_role("tab", name="Chat").click()
    ask(page, "<img src=x onerror=\"window.__xss='question'\"> Where was the memo found?")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__xss") is None
    assert page.locator("#reader img, #chat img[src='x'], #sources img").count() == 0


def test_bad_uploads_get_a_clear_message_and_leave_the_index_alone(page, tmp_path, server):
    page.get_by_role("tab", name="Documents").click()
    before = page.locator("#documents tbody tr").count()
    big = tmp_path / "huge.txt"
    big.write_text("Long article. " * 160_000)  # 2.2 MB, over the 2 MB limit
    page.locator("#upload input[type=file]").set_input_files(str(big))
    expect(page.locator("#upload")).to_contain_text("huge.txt", timeout=30_000)
    page.locator("#add").click()
    expect(page.locator("#upload-status")).to_contain_text("upload limit", timeout=60_000)
    expect(page.locator("#documents tbody tr")).to_have_count(before)
    assert not (server[1] / "huge.txt").exists()


def test_errors_reach_the_user_as_a_short_message(page, server):
    page.locator("#question textarea").fill("   ")
    page.locator("#question textarea").press("Enter")
    toast = page.locator("[data-testid=toast-body]").first
    expect(toast).to_contain_text("the question is empty")
    assert "Traceback" not in toast.inner_text()
    page.locator("#settings").get_by_role("button").first.click()
    page.get_by_label("From date").fill("next week")
    ask_box = page.locator("#question textarea")
    ask_box.fill("How many Turkish soldiers died?")
    ask_box.press("Enter")
    expect(page.locator("[data-testid=toast-body]").filter(has_text="is not a date")).to_be_visible()
    assert "Traceback" not in server[2].read_text()
