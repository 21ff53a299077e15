"""The web chat in a real browser: Debian's Chromium driven by Playwright against
a real `rag serve` subprocess on loopback (real embedding model, real index on disk,
a private copy of the seeds and a private uploads folder). Most tests use the rule
reader (fast); the tests about the language model's streaming start a second
server with the model. The issue-11 polish (themes, copy, inline errors, progress,
filters, the phone drawer, start-up) is in tests/ui/test_polish.py.

Every page load records its requests; each test ends by checking they all went
to 127.0.0.1 (no fonts, CDN or analytics from outside).
"""
from __future__ import annotations

import re
import statistics
import time

import pytest

from browser_support import ANSWER_TIMEOUT, ARTIFACTS, ask, open_marker, open_page, serve, upload
from browser_support import browser, server  # noqa: F401 - fixtures

from playwright.sync_api import expect  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]
GLACIER = ("Glacier survey finds record length\n\n"
           "REYKJAVIK, 12 March 2024 (Nordic Wire) - The Zorblax Glacier in Norlandia measured 4,321 metres in the "
           "spring survey, the longest it has been since records began in 1911.\n"
           "Scientists said a cold winter had slowed the melt.\n")
HOSTILE = ("Leaked memo on the harbour tender\n\n"  # the cited sentence itself carries the tags
           "The harbour authority of Qelvoria awarded the dredging tender <script>window.__xss = 'script'</script> "
           "to Brinemoor Dredging <img src=x onerror=\"window.__xss = 'img'\"> for 91 million krona.\n"
           "The memo was found in a leaked file.\n")


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory):
    """A `rag serve` with the default answerer, the local language model."""
    with serve(tmp_path_factory.mktemp("serve-llm"), "--llm-timeout", "300") as running:
        yield running


@pytest.fixture
def page(browser, server):  # noqa: F811
    with open_page(browser, server) as pg:
        yield pg


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


def test_with_the_model_the_first_answer_after_ready_is_as_fast_as_later_ones(browser, llm_server):
    """The server warms up before it says Ready, so the first question pays no loading. The same
    question is timed first and then again after others (so the model's prompt cache of the last
    question does not help it); each ask starts a new conversation.

    The page pays for its own first message (0.5-0.7 s before even the pending reply appears, then
    up to 1 s more on 2 cores, whatever the question), so a clarification, which needs neither the
    model nor the index, is asked first: what is timed is the server's warmth, not the page's.
    The bound is twice the later answers' median: single answers here vary up to 1.6x from one to
    the next (later 2.87-4.52 s in one run), while a first answer that loads costs 10.7 s."""
    with open_page(browser, llm_server) as page:
        def timed(question: str) -> float:
            page.locator("#new-conversation").click()
            expect(page.locator("#chat [data-testid=bot]")).to_have_count(0)
            t0 = time.perf_counter()
            reply = ask(page, question)
            seconds = time.perf_counter() - t0
            assert reply.locator("a.cite").count() >= 1, reply.inner_text()
            return seconds

        assert ask(page, "What did he say?").locator(".clarify").count() == 1  # no model, no retrieval
        first = timed("Who is the Kremlin spokesman?")
        later = []
        for other in ("Which country often backs Russia's vetoes at the UN?", "Who is NATO's secretary-general?",
                      "Which German chancellor was supposed to meet Putin, Macron and Erdogan to discuss Idlib?"):
            timed(other)
            later.append(timed("Who is the Kremlin spokesman?"))
    figures = f"first {first:.2f} s, later {', '.join(f'{t:.2f}' for t in later)} s"
    print(figures)
    assert first <= 2 * statistics.median(later), figures


def test_model_text_streams_before_the_verified_answer_replaces_it(browser, llm_server):
    with open_page(browser, llm_server) as page:
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


def test_uploaded_article_is_searchable_in_the_next_question_and_kept_out_of_the_corpus(page, tmp_path, server):
    upload(page, tmp_path, "glacier survey.txt", GLACIER)
    page.get_by_role("tab", name="Documents").click()
    assert (server.uploads / "glacier-survey.txt").exists() and not (server.corpus / "glacier-survey.txt").exists()
    row = page.locator("#documents tr", has_text="Glacier survey finds record length")
    expect(row).to_contain_text("Nordic Wire")  # the dateline's outlet and date
    expect(row).to_contain_text("2024-03-12")
    page.get_by_role("tab", name="Chat").click()
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
    expect(page.locator("#upload")).to_contain_text("huge", timeout=30_000)
    page.locator("#add").click()
    expect(page.locator("#upload-status")).to_contain_text("upload limit", timeout=60_000)
    expect(page.locator("#documents tbody tr")).to_have_count(before)
    assert not (server.uploads / "huge.txt").exists() and not (server.corpus / "huge.txt").exists()
    assert page.locator("[data-testid=toast-body]").count() == 0  # said inline, not in a pop-up
