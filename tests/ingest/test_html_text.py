"""rag.ingest.html_text: block spans point into the raw HTML; to_plain shows what they say."""
import pytest

from rag.ingest.html_text import html_blocks, to_plain


def blocks(raw: str) -> list[tuple[int, int, str]]:
    return [(s.start, s.end, raw[s.start:s.end]) for s in html_blocks(raw).blocks]


def test_a_page_worked_through():
    raw = ("<html><head><title>  Talks \n in   Ankara </title>"
           "<meta property='og:site_name' content='Daily Sabah'><meta name='Date' content='2020-02-28'>"
           "<meta name='robots'></head><body><header>Menu</header><h1>Talks</h1>\n"
           "<p>  First line.\n  Second &amp; third.  </p><footer>(c) 2020</footer>"
           "<script>var a = '<p>not text</p>';</script></body></html>")
    page = html_blocks(raw)
    assert blocks(raw) == [(198, 203, "Talks"), (214, 247, "First line.\n  Second &amp; third.")]
    assert page.title == "Talks in Ankara"  # whitespace collapsed
    # Keys lower-cased; a meta tag without content is left out.
    assert page.meta == {"og:site_name": "Daily Sabah", "date": "2020-02-28"}


def test_inline_tags_stay_inside_the_span_and_to_plain_removes_them():
    raw = "<nav>Home</nav><p>33 <b>Turkish</b> soldiers died.</p>"
    assert blocks(raw) == [(18, 50, "33 <b>Turkish</b> soldiers died.")]
    assert to_plain(raw[18:50]) == "33 Turkish soldiers died."


@pytest.mark.parametrize("tag", ["script", "style", "nav", "header", "footer", "aside", "form", "noscript",
                                 "button", "template"])
def test_skipped_elements_leave_no_block(tag):
    raw = f"<p>kept</p><{tag}><p>dropped</p></{tag}><p>also kept</p>"
    assert [b[2] for b in blocks(raw)] == ["kept", "also kept"]


def test_nested_skipped_elements_are_counted():
    raw = "<nav><nav>x</nav>still nav</nav><p>z</p>"
    assert [b[2] for b in blocks(raw)] == ["z"]
    # A stray closing tag does not make the skip depth negative (the page still reads).
    raw = "<p>a</p></footer></footer><p>b</p>"
    assert [b[2] for b in blocks(raw)] == ["a", "b"]


def test_each_block_element_and_br_splits():
    assert blocks("<p>a<br>b</p>") == [(3, 4, "a"), (8, 9, "b")]
    assert blocks("<div>Outer <p>inner</p> tail</div>") == [(5, 10, "Outer"), (14, 19, "inner"), (24, 28, "tail")]
    assert blocks("<ul><li>a</li><li>b</li></ul>") == [(8, 9, "a"), (18, 19, "b")]


def test_offsets_hold_across_lines_crlf_and_non_ascii():
    raw = "<p>one</p>\r\n<p>été in 中文</p>\n<p>\n  three\n</p>"
    assert blocks(raw) == [(3, 6, "one"), (15, 24, "été in 中文"), (35, 40, "three")]


def test_tag_names_are_case_insensitive():
    assert blocks("<P>Upper</P><NAV>menu</NAV>") == [(3, 8, "Upper")]


def test_entities_keep_raw_offsets_and_decode_in_to_plain():
    raw = "<p>Caf&eacute; &#233; &#x41; 5 &lt; 6</p>"
    (start, end, text), = blocks(raw)
    assert (start, end) == (3, 37)
    assert to_plain(text) == "Café é A 5 < 6"


def test_title_entities_are_decoded():
    assert html_blocks("<title>AT&amp;T &#8211; news</title><p>x</p>").title == "AT&T – news"


@pytest.mark.parametrize("raw", ["", "<html><body></body></html>", "<p>   </p>", "<script>only()</script>"])
def test_a_page_without_text_has_no_blocks_and_no_title(raw):
    page = html_blocks(raw)
    assert page.blocks == [] and page.title is None and page.meta == {}


def test_text_outside_any_tag_and_an_unclosed_block():
    assert blocks("plain text without tags") == [(0, 23, "plain text without tags")]
    assert blocks("<p>unclosed") == [(3, 11, "unclosed")]


def test_to_plain_decodes_entities_and_drops_tags():
    assert to_plain("a &lt;b&gt; <i>c</i>&nbsp;d") == "a <b> c\xa0d"
    assert to_plain("no markup at all") == "no markup at all"


def test_an_entity_without_its_semicolon_ends_the_span_at_the_entity():
    # HTML allows "&amp" and "&#65" without ";": the span must not run into "</p>".
    raw = "<p>x</p>\n<p>y &amp</p><p>a &#65</p><p>b &#x41;</p>"
    assert blocks(raw) == [(3, 4, "x"), (12, 18, "y &amp"), (25, 31, "a &#65"), (38, 46, "b &#x41;")]
    assert [to_plain(b[2]) for b in blocks(raw)] == ["x", "y &", "a A", "b A"]


def test_to_plain_drops_what_the_page_hides_inside_a_paragraph():
    raw = "<p>Read <button>Share</button> this <!-- a > b --><script>if (a<b) go()</SCRIPT > story.</p>"
    (_, _, text), = blocks(raw)  # one block: offsets cannot skip the button
    assert " ".join(to_plain(text).split()) == "Read this story."
