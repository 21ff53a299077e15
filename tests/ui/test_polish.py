"""The chat as a demanding user meets it (issue 11), in Chromium against a real `rag serve`
(rule reader, real embedding model and index): at 1400×900 and 390×844, in light and dark.

Readable highlights in both themes and a theme switch; copy and screen-reader labels in
plain text; errors inline, never over the question box; real upload progress on one bar and
removal with a confirmation; filters named in answers and cleared on request; refusals that
list each article once; a question back for a pronoun with nothing to refer to; the phone's
sources drawer; a console that says only what a user can act on.
"""
from __future__ import annotations

import random
import re

import pytest

from browser_support import ARTIFACTS, VIEWPORTS, ask, contrast, no_overlay_on, open_marker, open_page
from browser_support import browser, server  # noqa: F401 - fixtures

from playwright.sync_api import expect  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]
BOTH_SIZES = pytest.mark.parametrize("viewport, scheme", [("desktop", "light"), ("phone", "dark")])
ALL_FOUR = pytest.mark.parametrize("viewport, scheme", [("desktop", "light"), ("desktop", "dark"),
                                                        ("phone", "light"), ("phone", "dark")])


def mark_colours(page, card) -> tuple[str, str]:
    return tuple(card.locator("mark").first.evaluate(
        "m => [getComputedStyle(m).color, getComputedStyle(m).backgroundColor]"))


def is_dark(page) -> bool:
    return page.evaluate("document.body.classList.contains('dark')")


@ALL_FOUR
def test_the_cited_sentence_is_readable_in_light_and_dark_and_the_theme_follows_the_os(browser, server, viewport,
                                                                                        scheme):
    with open_page(browser, server, viewport, scheme) as page:
        assert is_dark(page) == (scheme == "dark")  # Auto, the default, follows the OS
        expect(page.locator("[data-theme-choice=auto]")).to_have_attribute("aria-checked", "true")
        reply = ask(page, "How many Turkish soldiers died?")
        card = open_marker(page, reply)
        expect(card.locator("mark").first).to_be_visible()
        seen = {}
        for choice in ("light", "dark"):
            page.locator(f"[data-theme-choice={choice}]").click()
            assert is_dark(page) == (choice == "dark")
            fg, bg = mark_colours(page, card)
            seen[choice] = bg
            assert contrast(fg, bg) >= 4.5, (choice, fg, bg, contrast(fg, bg))
        assert seen["light"] != seen["dark"]
        if viewport == "desktop" and scheme == "dark":
            page.wait_for_timeout(1500)  # the card's flash fades
            page.evaluate("window.scrollTo(0, 0)")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "chat-dark.png"))
        page.reload()  # the choice is remembered, whatever the OS says
        expect(page.locator("#question textarea")).to_be_visible(timeout=60_000)
        page.emulate_media(color_scheme="light")
        page.wait_for_timeout(300)
        assert is_dark(page)
        page.locator("[data-theme-choice=auto]").click()
        assert not is_dark(page)
        page.emulate_media(color_scheme="dark")  # Auto follows a change of the OS setting live
        expect(page.locator("body")).to_have_class(re.compile(r"\bdark\b"))


@BOTH_SIZES
def test_copy_gives_plain_text_with_its_sources_and_labels_hold_the_same_text(browser, server, viewport, scheme):
    with open_page(browser, server, viewport, scheme) as page:
        reply = ask(page, "How many Turkish soldiers died?")
        titles = page.locator("#sources details.source summary").all_text_contents()  # the phone's drawer is shut
        row = reply.locator("xpath=ancestor::div[contains(@class, 'message-row')]")
        row.locator("xpath=following-sibling::*[1]").get_by_role("button", name="Copy message").click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert "<" not in copied and "class=" not in copied, copied
        answer, _, sources = copied.partition("\n\n")
        assert "33" in answer and re.search(r"\[1\]", answer)
        lines = sources.split("\n")
        assert len(lines) == len(titles) and all(line.startswith(f"[{i}] ") for i, line in enumerate(lines, 1))
        for line, title in zip(lines, titles):  # "[1] Title — outlet, date", what the article does not state left out
            assert line.split(" — ")[0] == title.strip(), (line, title)
        expect(reply).to_have_attribute("aria-label", "Assistant: " + copied)
        user = page.locator("#chat [data-testid=user]").first
        expect(user).to_have_attribute("aria-label", "You: How many Turkish soldiers died?")
        expect(page.locator("#question button")).to_have_attribute("aria-label", "Ask this question")


@ALL_FOUR
def test_errors_show_inline_next_to_their_cause_and_go_away_on_the_next_action(browser, server, viewport, scheme):
    with open_page(browser, server, viewport, scheme) as page:
        box = page.locator("#question textarea")
        box.fill("   ")
        box.press("Enter")
        expect(page.locator("#question-error")).to_contain_text("The question is empty")  # capitalised
        no_overlay_on(page, "#question textarea")
        long = "Which council recorded the objections " * 60  # 2,340 characters: refused whole, not cut
        box.fill(long)
        box.press("Enter")
        expect(page.locator("#question-error")).to_contain_text("the limit is 2,000")
        assert box.input_value() == long
        page.locator("#settings").get_by_role("button").first.click()
        date_from = fill_field(page, "#date-from", "next week")
        date_from.press("Enter")
        expect(page.locator("#date-error")).to_contain_text("From date 'next week' is not a date; use YYYY-MM-DD")
        box.fill("How many Turkish soldiers died?")
        box.press("Enter")
        expect(page.locator("#question-error")).to_contain_text("Check the dates in Settings")
        expect(page.locator("#date-error")).to_contain_text("is not a date")
        no_overlay_on(page, "#question textarea")
        date_from.fill("")
        date_from.press("Enter")
        reply = ask(page, "How many Turkish soldiers died?")
        assert "33" in reply.inner_text()
        expect(page.locator("#question-error")).to_have_text("")
        expect(page.locator("#date-error")).to_have_text("")
        page.get_by_role("tab", name="Documents").click()
        page.locator("#add").click()
        expect(page.locator("#upload-status")).to_contain_text("Choose one or more .txt, .md, .markdown, .html, .htm files first.")
        no_overlay_on(page, "#add")
        assert "Traceback" not in server.console()


def big_article(name: str) -> str:
    """A long upload: the index update takes seconds, enough to watch its progress."""
    rng = random.Random(7)
    towns = ["Riverton", "Lakeside", "Norport", "Eastfield", "Hollowmere", "Brackwater"]
    lines = [f"{name} harbour expansion approved after long debate", ""]
    lines += [f"The {rng.choice(towns)} council recorded {i * 7 + 3} objections in week {i % 52 + 1}, and officials "
              f"said item {i} of the plan would cost {i * 13 + 100} thousand krona." for i in range(300)]
    return "\n".join(lines) + "\n"


def test_upload_shows_real_progress_on_one_bar_and_a_document_can_be_removed(browser, server, tmp_path):
    path = tmp_path / "qelvoria-harbour.txt"
    path.write_text(big_article("Qelvoria"), encoding="utf-8")
    with open_page(browser, server) as page:
        page.get_by_role("tab", name="Documents").click()
        rows_before = page.locator("#documents tbody tr").count()
        page.locator("#upload input[type=file]").set_input_files(str(path))
        expect(page.locator("#upload")).to_contain_text(path.stem, timeout=30_000)
        page.evaluate("""() => { window.__seen = []; new MutationObserver(() => {
            const bars = [...document.querySelectorAll('.progress-bar')].filter(e => e.offsetParent !== null);
            const text = document.querySelector('#upload-status').innerText;
            window.__seen.push({bars: bars.length, text, disabled: document.querySelector('#add').disabled});
          }).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true}); }""")
        page.locator("#add").click()
        expect(page.locator("#upload-status")).to_contain_text("Added “Qelvoria harbour", timeout=300_000)
        seen = page.evaluate("window.__seen")
        texts = " | ".join(s["text"] for s in seen)
        assert max(s["bars"] for s in seen) == 1, "more than one progress bar at once"
        assert f"Reading and splitting {path.name} (1/1)" in texts, texts[:2000]
        embedded = {int(n) for n in re.findall(r"Embedding passages (\d+)/\d+", texts)}
        assert len(embedded) >= 2, f"the embedding count never moved: {texts[:2000]}"
        assert any(s["disabled"] and s["bars"] for s in seen), "Add to index stayed clickable while indexing"
        expect(page.locator("#add")).to_be_enabled()
        assert (server.uploads / path.name).exists() and not (server.corpus / path.name).exists()

        row = page.locator("#documents tbody tr", has_text="Qelvoria harbour expansion")
        expect(page.locator("#documents tbody tr")).to_have_count(rows_before + 1)
        page.locator("#documents tbody tr", has_text="Kremlin Believes").click()  # a row opens the reader
        expect(page.locator("#reader h3")).to_have_text(re.compile("Kremlin Believes Turkey"))
        assert page.locator("#documents tbody tr", has_text="Kremlin Believes").locator("button").count() == 0
        row.get_by_role("button", name=re.compile("Remove")).click()
        expect(page.locator("#confirm-remove")).to_contain_text("Remove “Qelvoria harbour expansion")
        page.locator("#cancel").click()
        expect(page.locator("#confirm-remove")).to_be_hidden()
        assert (server.uploads / path.name).exists()
        row.get_by_role("button", name=re.compile("Remove")).click()
        page.locator("#confirm").click()
        expect(page.locator("#upload-status")).to_contain_text("Removed “Qelvoria harbour expansion")
        expect(page.locator("#documents tbody tr")).to_have_count(rows_before)
        assert not (server.uploads / path.name).exists()
        page.get_by_role("tab", name="Chat").click()
        reply = ask(page, "How many objections did the Riverton council record in week 3?")
        assert "Qelvoria" not in " ".join(page.locator("#sources summary").all_inner_texts())
        assert reply.locator(".refusal, .answer").count() == 1


def fill_field(page, field: str, value: str):
    """Type ``value`` into the text field ``field`` and return it. The settings accordion mounts its fields on
    first opening, and a field still mounting can reset a value typed into it (seen once in ~12 runs: the
    date field empty after a fill), so the value is typed again until it stays for 200 ms."""
    box = page.locator(f"{field} input, {field} textarea").first
    for _ in range(5):
        box.fill(value)
        page.wait_for_timeout(200)
        if box.input_value() == value:
            break
    expect(box).to_have_value(value)
    return box


def set_dates(page, start: str, end: str) -> None:
    for field, value in (("#date-from", start), ("#date-to", end)):
        fill_field(page, field, value).press("Enter")


@BOTH_SIZES
def test_active_filters_are_named_a_refusal_offers_to_clear_them_and_new_conversation_asks(browser, server, viewport,
                                                                                            scheme):
    with open_page(browser, server, viewport, scheme) as page:
        total = int(re.search(r"(\d+) articles", page.locator("#ready").inner_text()).group(1))
        page.locator("#settings").get_by_role("button").first.click()
        set_dates(page, "2020-02-01", "2020-02-29")  # the only dated article, the crisis talks
        note = f"Searched 1 of {total} articles: dates 2020-02-01 to 2020-02-29 ({total - 1} undated articles left out)."
        expect(page.locator("#filter-bar")).to_contain_text(note)
        reply = ask(page, "Who is the Kremlin spokesman?")  # only undated articles say
        expect(reply.locator(".refusal")).to_be_visible()
        expect(reply.locator(".scope-note")).to_have_text(note)
        reply.get_by_role("button", name="Clear filters").click()
        expect(page.locator("#filter-bar")).to_have_text("")
        assert page.locator("#date-from input, #date-from textarea").first.input_value() == ""
        assert "Peskov" in ask(page, "Who is the Kremlin spokesman?").inner_text()

        set_dates(page, "2020-02-01", "")
        expect(page.locator("#filter-bar")).to_contain_text(f"Searched 1 of {total} articles: dated 2020-02-01 or later")
        page.locator("#new-conversation").click()
        expect(page.locator("#reset-offer")).to_contain_text("The filters are still on")
        page.locator("#offer-keep").click()
        expect(page.locator("#reset-offer")).to_be_hidden()
        expect(page.locator("#filter-bar")).to_contain_text(f"Searched 1 of {total}")
        page.locator("#new-conversation").click()
        page.locator("#offer-clear").click()
        expect(page.locator("#filter-bar")).to_have_text("")
        expect(page.locator("#reset-offer")).to_be_hidden()
        assert ask(page, "How many Turkish soldiers died?").locator(".scope-note").count() == 0


@BOTH_SIZES
def test_a_refusal_lists_each_related_article_once_at_most_three_inside_its_box(browser, server, viewport, scheme):
    with open_page(browser, server, viewport, scheme) as page:
        reply = ask(page, "What did Japan say about the attack?")
        refusal = reply.locator(".refusal")
        expect(refusal).to_be_visible()
        items = refusal.locator("li").all_inner_texts()
        assert 1 <= len(items) <= 3 and len(set(items)) == len(items), items
        cards = page.locator("#sources details.related summary").all_text_contents()
        assert 1 <= len(cards) <= 3 and len(set(cards)) == len(cards), cards
        box, bullets = refusal.bounding_box(), refusal.locator("ul").bounding_box()
        assert box["x"] <= bullets["x"] and bullets["x"] + bullets["width"] <= box["x"] + box["width"] + 0.5
        padding = refusal.locator("ul").evaluate("u => parseFloat(getComputedStyle(u).paddingLeft)")
        assert padding > 8  # the bullet markers sit in the list's padding, inside the box


def test_a_pronoun_with_nothing_to_refer_to_gets_a_question_back(browser, server):
    with open_page(browser, server) as page:
        reply = ask(page, "What did he say?")
        expect(reply.locator(".clarify")).to_contain_text("Whom do you mean by “he”?")
        assert reply.locator("a.cite").count() == 0
        assert "Peskov" in ask(page, "What did Dmitry Peskov say about the diplomats?").inner_text()


def test_a_question_pasted_with_html_tags_is_answered(browser, server):
    with open_page(browser, server) as page:
        reply = ask(page, "<p><b>How many Turkish soldiers died?</b></p>")
        assert "33" in reply.inner_text() and reply.locator(".refusal").count() == 0


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_phone_a_marker_opens_the_sources_drawer_and_closing_returns_to_the_answer(browser, server, scheme):
    with open_page(browser, server, "phone", scheme) as page:
        width = VIEWPORTS["phone"]["width"]
        drawer = page.locator("#sources-col")
        expect(drawer).to_be_hidden()
        reply = ask(page, "How many Turkish soldiers died?")
        marker = reply.locator("a.cite").first
        card = open_marker(page, reply)
        expect(drawer).to_be_visible()
        page.wait_for_timeout(400)  # the drawer slides in over 0.2 s
        expect(card.locator("mark").first).to_be_in_viewport()
        box = drawer.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORTS["phone"]["height"] + 1
        covered = page.evaluate("() => !!document.elementFromPoint(195, 600).closest('#sources-col')")
        assert covered, "the drawer does not cover the chat"
        if scheme == "light":
            page.wait_for_timeout(1200)
            page.screenshot(path=str(ARTIFACTS / "chat-phone.png"))
        page.locator("#sources .drawer-close").click()
        expect(drawer).to_be_hidden()
        expect(marker).to_be_in_viewport()
        page.keyboard.press("Escape")  # harmless when closed
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.get_by_role("tab", name="Documents").click()
        expect(page.locator("#documents table")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # the table scrolls in its box
        scroller = page.locator("#documents .table-scroll")
        assert scroller.evaluate("e => e.scrollWidth > e.clientWidth && getComputedStyle(e).overflowX === 'auto'")


def test_the_console_says_only_what_a_user_can_act_on(server):
    console = server.console()
    assert "Ready in" in console and server.url.rstrip("/") in console and "answers by the rule reader" in console
    assert f"added articles are kept in {server.uploads}" in console
    for noise in ("DEBUG", "share=True", "Running on local URL", "Traceback"):
        assert noise not in console, console


def test_the_page_is_ready_when_it_opens_and_says_who_answers(browser, server):
    with open_page(browser, server) as page:
        expect(page.locator("#ready")).to_contain_text(re.compile(r"Ready · \d+ articles · answers by the rule reader"))
