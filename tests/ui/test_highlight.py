"""rag.ui.highlight: the cited span in its context, every article character escaped."""
import pytest

from rag.ui.highlight import esc, highlight, line_breaks, same_text


def test_the_span_is_marked_inside_its_context():
    assert highlight("Before. 33 soldiers died. After.", 8, 25, context=(0, 32)) == \
        "Before. <mark>33 soldiers died.</mark> After."
    assert highlight("Before. 33 soldiers died. After.", 8, 25) == "<mark>33 soldiers died.</mark>"  # no context


def test_article_markup_is_escaped_never_rendered():
    text = '<img src=x onerror=alert(1)> said "33" & more'
    assert highlight(text, 34, 38, context=(0, len(text))) == \
        '&lt;img src=x onerror=alert(1)&gt; said <mark>&quot;33&quot;</mark> &amp; more'


def test_the_mark_class_is_escaped_too():
    assert highlight("a b", 0, 1, mark_class='near" onclick="x') == \
        '<mark class="near&quot; onclick=&quot;x">a</mark>'


def test_long_context_is_cut_at_word_boundaries_with_an_ellipsis():
    text = "a " * 300 + "X" + " b" * 300
    assert highlight(text, 600, 601, context=(0, len(text)), max_context=10) == "… a a a a <mark>X</mark> b b b b …"


def test_line_breaks_stay_visible_and_no_ellipsis_is_left_alone_on_a_line():
    assert highlight("Line one.\n\nLine two with X.\nEnd", 25, 26, context=(0, 33)) == \
        "Line one.<br><br>Line two with <mark>X</mark>.<br>End"
    text = "word " * 100 + "\nX"
    assert highlight(text, 501, 502, context=(0, 502), max_context=20) == "… word word word <br><mark>X</mark>"


def test_html_sources_lose_their_tags_before_escaping():
    raw = "<p>33 <b>Turkish</b> &amp; soldiers</p>"
    assert highlight(raw, 3, 20, context=(3, 35), is_html=True) == "<mark>33 Turkish</mark> &amp; soldiers"


@pytest.mark.parametrize("start, end", [(2, 5), (-1, 2), (3, 2)])
def test_a_span_outside_the_text_names_it(start, end):
    with pytest.raises(ValueError, match=rf"highlight span {start}:{end} is outside the text \(length 3\)"):
        highlight("abc", start, end)


def test_helpers():
    assert line_breaks("  a\n\n\nb\nc  ") == "a<br><br>b<br>c"
    assert (esc(None), esc(3), esc("'\"<")) == ("", "3", "&#x27;&quot;&lt;")
    assert same_text("a  b\n", " a b") and not same_text("a b", "a c")
