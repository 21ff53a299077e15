"""Article text out of an HTML page, as spans into the raw HTML.

Text inside ``<script>``, ``<style>``, ``<nav>``, ``<header>``, ``<footer>``,
``<aside>`` and ``<form>`` is dropped; each block element (``<p>``, ``<h1>``,
``<li>`` ...) becomes one span from its first to its last visible character.
A span may still hold inline tags (``<a>``, ``<b>``) because offsets must
point into the file; :func:`to_plain` strips them for embedding and display.

Example:
    >>> raw = "<nav>Home</nav><p>33 <b>Turkish</b> soldiers died.</p>"
    >>> [raw[s.start:s.end] for s in html_blocks(raw).blocks]
    ['33 <b>Turkish</b> soldiers died.']
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from rag.records import Span

_SKIP = {"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "svg", "button", "select", "template"}
_BLOCK = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "td", "th", "figcaption",
          "div", "section", "article", "main", "pre", "dd", "dt", "caption", "br", "tr", "ul", "ol", "table", "body"}
_TAG_RE = re.compile(r"<[^>]*>")
# What a block span may hold but nobody sees: comments (which may contain ">") and skipped
# elements inside a paragraph ("Read <button>Share</button> on"), dropped whole before the tags.
_HIDDEN_RE = re.compile(r"<!--.*?-->|<(" + "|".join(sorted(_SKIP)) + r")\b[^>]*>.*?</\1\s*>", re.I | re.S)


def to_plain(text: str) -> str:
    """Visible text of an HTML fragment: tags removed, entities decoded.

    >>> to_plain("33 <b>Turkish</b> troops &amp; more")
    '33 Turkish troops & more'
    """
    return html.unescape(_TAG_RE.sub("", _HIDDEN_RE.sub("", text)))


@dataclass
class HtmlPage:
    blocks: list[Span] = field(default_factory=list)
    title: str | None = None
    meta: dict[str, str] = field(default_factory=dict)


class _Extractor(HTMLParser):
    def __init__(self, raw: str):
        super().__init__(convert_charrefs=False)
        self.raw = raw
        self.line_starts = [0] + [i + 1 for i, c in enumerate(raw) if c == "\n"]
        self.page = HtmlPage()
        self.skip_depth = 0
        self.first: int | None = None  # start of the open block's visible text
        self.last = 0
        self.in_title = False
        self.title_parts: list[str] = []

    def _pos(self) -> int:
        line, col = self.getpos()
        return self.line_starts[line - 1] + col

    def _flush(self) -> None:
        if self.first is not None:
            self.page.blocks.append(Span(self.first, self.last))
        self.first = None

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag in _BLOCK:
            self._flush()
        elif tag == "title":
            self.in_title = True
        elif tag == "meta":
            a = dict(attrs)
            key = a.get("property") or a.get("name")
            if key and a.get("content"):
                self.page.meta[key.lower()] = a["content"]

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK:
            self._flush()
        elif tag == "title":
            self.in_title = False

    def _text(self, raw_len: int, visible: str) -> None:
        if self.in_title:
            self.title_parts.append(visible)
            return
        if self.skip_depth or not visible.strip():
            return
        start = self._pos()
        segment = self.raw[start : start + raw_len]
        lead = len(segment) - len(segment.lstrip())
        trail = len(segment.rstrip())
        if self.first is None:
            self.first = start + lead
        self.last = start + trail

    def handle_data(self, data):
        self._text(len(data), data)

    def _ref_len(self, lead: int, name: str) -> int:
        """Raw length of "&amp;" or "&#65;": the closing ";" is optional in HTML ("&amp b")."""
        end = self._pos() + lead + len(name)
        return lead + len(name) + (self.raw[end : end + 1] == ";")

    def handle_entityref(self, name):
        self._text(self._ref_len(1, name), html.unescape(f"&{name};"))

    def handle_charref(self, name):
        self._text(self._ref_len(2, name), html.unescape(f"&#{name};"))


def html_blocks(raw: str) -> HtmlPage:
    """Parse ``raw`` HTML into block spans, the ``<title>`` and ``<meta>`` tags."""
    parser = _Extractor(raw)
    parser.feed(raw)
    parser.close()
    parser._flush()
    page = parser.page
    title = " ".join("".join(parser.title_parts).split())
    page.title = title or None
    return page
