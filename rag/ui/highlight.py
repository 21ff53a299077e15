"""A cited span shown in its context: escaped text with the span in ``<mark>``.

Every character of the article goes through :func:`esc` (``html.escape`` with
quotes) before it touches markup: ``gr.HTML`` and the chat render their value
unsanitised or nearly so, so an article holding ``<img src=x onerror=...>``
would run if it slipped through. Long context is trimmed at word boundaries
with "…", never leaving the ellipsis alone on a line.

Example:
    >>> highlight("Before. 33 soldiers died. After.", 8, 25, context=(0, 32))
    'Before. <mark>33 soldiers died.</mark> After.'
"""
from __future__ import annotations

import html
import re

from rag.ingest.html_text import to_plain


def esc(text) -> str:
    """``html.escape`` with quotes, for text and attribute values alike."""
    return html.escape("" if text is None else str(text), quote=True)


def line_breaks(escaped: str) -> str:
    """Line breaks of (already escaped) article text, kept visible."""
    return re.sub(r"\n\s*\n+|\n", lambda m: "<br><br>" if m.group(0).count("\n") > 1 else "<br>", escaped.strip())


def _snap(text: str, pos: int, forward: bool) -> int:
    """Move ``pos`` to the nearest whitespace so context never cuts a word."""
    if forward:
        m = re.search(r"\s", text[pos:])
        return pos + m.end() if m else pos
    cut = max(text.rfind(" ", 0, pos), text.rfind("\n", 0, pos))
    return cut if cut > 0 else pos


def highlight(text: str, start: int, end: int, *, context: tuple[int, int] | None = None, is_html: bool = False,
              max_context: int = 350, mark_class: str | None = None) -> str:
    """Escaped passage around ``text[start:end]`` with that slice in ``<mark>``.

    ``context`` is the passage span (default: the cited slice alone), trimmed
    to ``max_context`` characters each side at word boundaries. ``is_html``
    strips tags and entities from an HTML source before escaping;
    ``mark_class`` styles the mark (e.g. "near" for a related, non-answer).

    >>> highlight("Before. 33 soldiers died. After.", 8, 25, context=(0, 32))
    'Before. <mark>33 soldiers died.</mark> After.'
    """
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"highlight span {start}:{end} is outside the text (length {len(text)}).")
    cs, ce = context or (start, end)
    cs, ce = max(0, min(cs, start)), min(len(text), max(ce, end))
    lead = trail = ""
    if start - cs > max_context:
        cs, lead = _snap(text, start - max_context, forward=True), "… "
    if ce - end > max_context:
        ce, trail = _snap(text, end + max_context, forward=False), " …"
    while cs < start and text[cs].isspace():  # "… " then a line break would leave the ellipsis alone on a line
        cs += 1
    while ce > end and text[ce - 1].isspace():
        ce -= 1
    plain = to_plain if is_html else (lambda s: s)
    before, cited, after = (esc(plain(text[a:b])) for a, b in ((cs, start), (start, end), (end, ce)))
    open_mark = f'<mark class="{esc(mark_class)}">' if mark_class else "<mark>"
    return line_breaks(f"{lead}{before}{open_mark}{cited}</mark>{after}{trail}")


def same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())
