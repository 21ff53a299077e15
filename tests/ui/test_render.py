"""HTML rendering of answers, sources and documents: escaping and highlights."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.records import Answer, Citation, Disagreement, Passage, SentenceHit, Version
from rag.ui import docview, render
from rag.ui.copytext import copy_text
from conftest import SEEDS

ALLOWED_TAGS = {"a", "article", "blockquote", "br", "button", "caption", "code", "details", "div", "h3", "h4", "li",
                "mark", "p", "span", "strong", "summary", "table", "tbody", "td", "th", "thead", "tr", "ul"}
EVIL = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2"> "quoted" & \'single\''


class _Tags(HTMLParser):
    """Every tag and attribute name that a browser would build from the markup."""

    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.hrefs = set(), set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.update(a for a, _ in attrs)
        self.hrefs += [v for a, v in attrs if a == "href"]


def parse(markup: str) -> _Tags:
    p = _Tags()
    p.feed(markup)
    return p


def assert_safe(markup: str) -> None:
    p = parse(markup)
    assert p.tags <= ALLOWED_TAGS, p.tags - ALLOWED_TAGS
    assert not [a for a in p.attrs if a.startswith("on")]
    assert all(h.startswith("#cite-") or h == "#sources" for h in p.hrefs), p.hrefs


def cite(n=1, text="33 Turkish soldiers were killed.", start=8, end=40, path="seeds/x.txt", **kw) -> Citation:
    base = dict(n=n, doc_id="x", title="Title", source="AFP", date="2020-02-28", source_path=path, text=text,
                start=start, end=end)
    return Citation(**{**base, **kw})


def answer(text="33 soldiers died [1].", citations=None, refused=False, query="How many died?", passages=(),
           disagreements=()) -> Answer:
    cits = (cite(),) if citations is None else citations
    return Answer(text=text, short_answer=None if refused else "33", refused=refused, citations=cits, query=query,
                  passages=passages, disagreements=disagreements)


# -- markers ---------------------------------------------------------------
def test_known_markers_become_links_to_their_turns_source_card():
    out = render.link_markers("33 died [1] and [2, 3] but not [9].", {1: "a", 2: "b", 3: "c"}, turn=4)
    assert re.findall(r'href="(#[^"]+)"', out) == ["#cite-4-1", "#cite-4-2", "#cite-4-3"]
    assert "[9]" in out and "#cite-4-9" not in out
    assert out.startswith('33 died<a class="cite"')  # the marker hugs the word it supports


def test_marker_tooltip_names_the_source_and_quotes_the_sentence():
    tip = render.tooltip(cite(text="33   Turkish\nsoldiers."))
    assert tip == "Title (AFP · 2020-02-28): 33 Turkish soldiers."


# -- highlight ---------------------------------------------------------------
def test_highlight_marks_exactly_the_slice_and_escapes_around_it():
    text = "A <b>tag</b>. 33 soldiers & 2 <officers>. After."
    start = text.index("33")
    end = text.index(" After")
    out = render.highlight(text, start, end, context=(0, len(text)))
    assert out == "A &lt;b&gt;tag&lt;/b&gt;. <mark>33 soldiers &amp; 2 &lt;officers&gt;.</mark> After."


def test_highlight_trims_long_context_at_word_boundaries():
    text = "word " * 400 + "CITED." + " more" * 400
    start = text.index("CITED")
    out = render.highlight(text, start, start + 6, context=(0, len(text)), max_context=50)
    assert out.startswith("… word") and out.endswith("more …")
    assert "<mark>CITED.</mark>" in out and len(out) < 200


def test_highlight_of_html_source_shows_visible_text_only():
    raw = "<p>Intro <i>x</i>. <b>33</b> soldiers died.</p>"
    start, end = raw.index("<b>33"), raw.index("</p>")
    assert render.highlight(raw, start, end, context=(3, end), is_html=True) == "Intro x. <mark>33 soldiers died.</mark>"


def test_highlight_refuses_a_span_outside_the_text():
    with pytest.raises(ValueError, match="outside the text"):
        render.highlight("short", 2, 50)


# -- source cards ------------------------------------------------------------
def test_source_card_highlights_the_cited_sentence_by_its_offsets_in_the_real_file():
    path = SEEDS / "russia-turkey-crisis-talks.txt"
    text = path.read_text(encoding="utf-8")
    sentence = "The leaders of Russia and Turkey held crisis talks on Friday to try to scale down tensions " \
               "after 33 Turkish soldiers were killed in a regime air strike in Syria."
    start = text.index(sentence)
    c = cite(n=2, text=sentence, start=start, end=start + len(sentence), path="seeds/russia-turkey-crisis-talks.txt")
    card = render.source_card(c, 3, text, context=(start - 60, start + len(sentence) + 80))
    assert 'id="cite-3-2"' in card
    assert re.search(r"<mark>(.*?)</mark>", card).group(1) == sentence
    assert "AFP · 2020-02-28" in card and "note" not in card


def test_source_card_says_so_when_the_file_changed_since_indexing():
    c = cite(text="33 soldiers died.", start=0, end=17)
    card = render.source_card(c, 1, "Completely different text now in the file.")
    assert "<mark>33 soldiers died.</mark>" in card and "no longer holds this sentence" in card
    assert "no longer holds" in render.source_card(c, 1, None)  # file gone


def test_turn_sources_uses_the_retrieved_passage_as_context():
    text = "Intro sentence here. 33 soldiers died. Closing sentence."
    c = cite(start=21, end=38, text="33 soldiers died.")
    p = Passage(doc_id="x", title="Title", source="AFP", date=None, source_path=c.source_path, chunk_id="c",
                text=text, start=0, end=len(text), score=1.0)
    out = render.turn_sources(answer(citations=(c,), passages=(p,)), 1, {c.source_path: text})
    assert "Intro sentence here. <mark>33 soldiers died.</mark> Closing sentence." in out


# -- answers, refusals, disagreements ---------------------------------------
def test_answer_links_markers_and_shows_the_standalone_query_only_when_it_differs():
    a = answer(query="How many soldiers from Turkey lost their lives in Idlib?")
    out = render.answer_html(a, 1, asked="How many died?")
    assert 'href="#cite-1-1"' in out and "searched for" in out and "Idlib" in out
    same = render.answer_html(answer(query="how many  died?"), 1, asked="How many died?")
    assert "searched for" not in same


def test_refusal_has_its_own_style_and_labels_related_passages_as_not_answers():
    p = Passage(doc_id="x", title="Near miss", source=None, date=None, source_path="seeds/x.txt", chunk_id="c",
                text="Greece doubled its border patrols.", start=0, end=34, score=0.2,
                sentences=(SentenceHit("Greece doubled its border patrols.", 0, 34, 0.5),))
    a = answer(text="The articles do not say.", citations=(), refused=True, passages=(p, p))
    chat = render.answer_html(a, 1, asked="How many died?")
    assert 'class="refusal"' in chat and 'class="answer"' not in chat
    assert chat.count("<li>Near miss") == 1  # one line per article, however many of its passages came back
    assert "<strong>not</strong> contain the answer" in chat and "clear-filters" not in chat
    panel = render.turn_sources(a, 1, {})
    assert "do <strong>not</strong> contain the answer" in panel and '<mark class="near">' in panel
    assert panel.count('<details class="related">') == 1  # the panel too: one card per article


def test_disagreement_table_lists_each_source_date_and_figure():
    d = Disagreement(about="Turkish soldiers killed", versions=(
        Version("33", 1, "a", "AFP", "2020-02-28"), Version("34", 2, "b", None, None)))
    out = render.answer_html(answer(citations=(cite(1), cite(2)), disagreements=(d,)), 5)
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td class=\"figure\">(.*?)</td>", out)
    assert rows == [("AFP", "2020-02-28", "33"), ("b", "—", "34")]
    assert "Sources disagree: Turkish soldiers killed" in out and 'href="#cite-5-2"' in out


def test_sources_panel_puts_the_current_answer_first_and_folds_earlier_ones():
    out = render.sources_panel([("first?", "<p>S1</p>"), ("second?", "<p>S2</p>")])
    assert out.index("S2") < out.index("S1")
    assert "Sources for: second?" in out and '<details class="earlier"><summary>Earlier: first?' in out
    assert "Click a [n] marker" in render.sources_panel([])


# -- escaping everywhere -----------------------------------------------------
def test_article_and_user_text_is_escaped_in_every_view():
    c = cite(title=EVIL, source=EVIL, text=EVIL, start=0, end=len(EVIL), path="seeds/<evil>.txt")
    a = answer(text=f"{EVIL} [1]", citations=(c,), query=EVIL)
    d = Disagreement(about=EVIL, versions=(Version(EVIL, 1, EVIL, EVIL, EVIL),))
    p = Passage(doc_id="x", title=EVIL, source=EVIL, date=EVIL, source_path="seeds/x.html", chunk_id="c",
                text=EVIL, start=0, end=len(EVIL), score=0.1)

    class Doc:
        id = title = source = date = EVIL
        n_chunks = 3

    views = [render.answer_html(a, 1, asked="x"), render.answer_html(answer(text=EVIL, refused=True, citations=(),
                                                                            passages=(p,)), 1, asked=EVIL),
             render.turn_sources(a, 1, {c.source_path: EVIL}), render.turn_sources(answer(refused=True, passages=(p,)), 1, {}),
             render.disagreement_table(d, 1), render.sources_panel([(EVIL, "")]), docview.documents_table([Doc()], {EVIL}),
             docview.reader_html(EVIL, EVIL, EVIL, [EVIL, EVIL]), render.streaming_html(EVIL),
             render.question_html(EVIL), render.failed_html(EVIL), docview.confirm_remove_html(EVIL)]
    for markup in views:
        assert_safe(markup)
        assert "<script" not in markup and "<img" not in markup
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in views[0]


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("<>&\"'=/ab[]1 \n;:")), max_size=80),
       title=st.text(max_size=30))
def test_no_input_can_add_tags_or_event_handlers(text, title):
    c = cite(title=title, text=text or "x", start=0, end=len(text or "x"))
    a = answer(text=text + " [1]", citations=(c,), query=title)
    for markup in (render.answer_html(a, 2, asked=text), render.turn_sources(a, 2, {c.source_path: text or "x"}),
                   docview.reader_html(title, text, None, [text]), render.question_html(text)):
        assert_safe(markup)


# -- plain text, refusals, filters, questions back -------------------------------
def passage(doc_id: str, title: str, score: float = 0.5, **kw) -> Passage:
    return Passage(doc_id=doc_id, title=title, source=kw.get("source"), date=kw.get("date"),
                   source_path=f"seeds/{doc_id}.txt", chunk_id=f"{doc_id}-{score}", text="Greece doubled patrols.",
                   start=0, end=23, score=score, sentences=(SentenceHit("Greece doubled patrols.", 0, 23, 0.5),))


def test_copy_text_is_the_answer_with_one_plain_line_per_source():
    a = answer(text="33 soldiers died [1][2].", citations=(cite(1), cite(2, title="Other", source=None, date=None)))
    out = render.answer_html(a, 1, asked="How many died?")
    copied = copy_text(a)
    assert copied == "33 soldiers died [1][2].\n\n[1] Title — AFP, 2020-02-28\n[2] Other"
    assert f'<div class="copy-text" hidden>{render.esc(copied)}</div>' in out and "<" not in copied


def test_refusals_list_each_article_once_at_most_three_and_offer_to_clear_filters():
    ps = tuple(passage(d, f"Article {d}", s) for d, s in [("a", .9), ("a", .8), ("b", .7), ("a", .6), ("c", .5),
                                                            ("d", .4), ("b", .3)])
    a = Answer(text="The articles don't say.", short_answer=None, refused=True, citations=(), query="q",
               passages=ps, scope="Searched 4 of 9 articles: dates 2020-02-01 to 2020-02-29.")
    chat = render.answer_html(a, 1, asked="q")
    assert re.findall(r"<li>(Article \w)", chat) == ["Article a", "Article b", "Article c"]
    panel = render.turn_sources(a, 1, {})
    assert re.findall(r'<details class="related"><summary>(Article \w)', panel) == ["Article a", "Article b",
                                                                                     "Article c"]
    assert "Searched 4 of 9 articles" in chat and 'class="clear-filters"' in chat
    assert copy_text(a).endswith("- Article c\n\nSearched 4 of 9 articles: dates 2020-02-01 to 2020-02-29.")


def test_a_question_back_is_styled_as_one_and_searches_nothing():
    a = Answer(text="Whom do you mean by “he”? ...", short_answer=None, refused=True, citations=(),
               query="What did he say?", passages=(), clarify="he")
    chat = render.answer_html(a, 1, asked="What did he say?")
    assert 'class="clarify"' in chat and "Not found" not in chat
    assert "Nothing was searched" in render.turn_sources(a, 1, {})


def test_unknown_source_and_date_are_left_out_not_repeated():
    c = cite(source=None, date=None)
    card = render.source_card(c, 1, "Before. 33 Turkish soldiers were killed. After.")
    assert "unknown" not in card and '<div class="meta"><code>' in card
    assert render.tooltip(c).startswith("Title: ")
    assert "The article states no source or date." in docview.reader_html("T", None, None, ["x"])


def test_a_trimmed_context_never_leaves_the_ellipsis_alone_on_a_line():
    text = "word " * 100 + "\n\nSecond paragraph starts here. CITED sentence." + " tail" * 10
    start = text.index("CITED")
    out = render.highlight(text, start, start + 15, context=(0, len(text)), max_context=40)
    assert out.startswith("… ") and not out.startswith("… <br>")


def test_documents_table_scrolls_in_its_box_and_offers_removal_only_for_uploads():
    class Doc:
        def __init__(self, id_):
            self.id, self.title, self.source, self.date, self.n_chunks = id_, id_.title(), None, None, 1

    out = docview.documents_table([Doc("seed"), Doc("upload")], removable={"upload"})
    assert out.startswith('<div class="table-scroll">')
    assert re.findall(r'data-doc="(\w+)" aria-label', out) == ["upload"]
    assert re.findall(r'<tr data-doc="(\w+)"', out) == ["seed", "upload"]
