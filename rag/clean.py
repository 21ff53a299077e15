"""Page-furniture removal for scraped plain-text and Markdown articles.

Works line by line and never rewrites text: it only decides which lines are
article text, and returns their spans into the original string, so every
offset computed later still points into the source file.

Example:
    >>> raw = "Skip to main content\\nTurkey sends troops\\nRate this article:"
    >>> [raw[s.start:s.end] for s in article_lines(raw)]
    ['Turkey sends troops']
"""
from __future__ import annotations

import re

from .meta import MONTH, WEEKDAY
from .types import Span

# Whole lines that are site chrome, not article text. Anchored, case-insensitive.
_FURNITURE = [
    r"skip to (main )?content",
    r"click to (see|view|enlarge) (the )?full[- ]size image",
    r"(previous|next) (article|post|story)\b.*",
    r"\d*\s*rate this article:?",
    r"do you like this content\?.*",
    r"consider (helping|supporting) us!?",
    r"[\d.,]+\s*[$€£]",  # donation bar steps: "0 $", "2,500 $"
    r"[$€£]\s*[\d.,]+",
    r"latest news",
    r"/?\s*categories?:.*",
    r"tags?:.*",
    r"(share|tweet|email|print|comments?|subscribe|advertisement|related( articles| posts)?|read more|sign up|log ?in|menu|search|home|follow us.*)",
    r"(share (this|on) .*|share this article)",
    r"by(\s+in)?",  # empty byline "By in"
    r"(all rights reserved|copyright|©).*",
    r"(we use cookies|this (web)?site uses cookies).*",
    r"photo:.*|image( source)?:.*|getty images",
]
_FURNITURE_RE = re.compile(r"^\s*(?:" + "|".join(_FURNITURE) + r")\s*$", re.IGNORECASE)

# A line that is only a date (page header), e.g. "Sunday, April 5, 2020".
DATE_LINE_RE = re.compile(
    rf"^\s*(?:{WEEKDAY},?\s+)?(?:{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}\s+{MONTH}\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})\s*$",
    re.IGNORECASE,
)
# Navigation: several short items joined by separators ("Home | World | Sport").
_NAV_RE = re.compile(r"^\s*(?:[^|•·»>]{1,25}\s*[|•·»>]\s*){2,}[^|•·»>]{1,25}\s*$")


# Curly and straight quotes compare equal when spotting a repeated headline.
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


# Footnote and reference markers copied from a web page ("metres[1]", "said.[2][3]"):
# not words of the article, and shaped like the answer's own citation markers.
REFERENCE = r"\[\d{1,3}\]"  # one marker; the tokenizer and the sentence splitter read it too
REFERENCE_RE = re.compile(r"\[\d{1,3}(?:\s*[,\u2013-]\s*\d{1,3})*\]")


def blank_references(text: str) -> str:
    """``text`` with reference markers replaced by spaces of the same length, so every
    offset still holds while the language tools (and answers) never see the markers.

    >>> blank_references("measured 4,321 metres[1] in May.[2]")
    'measured 4,321 metres    in May.   '
    """
    return REFERENCE_RE.sub(lambda m: " " * len(m.group()), text) if "[" in text else text


def is_furniture(line: str) -> bool:
    """True for lines that are page chrome rather than article text.

    >>> is_furniture("2,500 $"), is_furniture("33 Turkish soldiers died.")
    (True, False)
    """
    return bool(_FURNITURE_RE.match(line) or DATE_LINE_RE.match(line) or _NAV_RE.match(line))


def _lines(text: str) -> list[Span]:
    """Spans of every line, without the newline and surrounding whitespace."""
    spans, pos = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            spans.append(Span(pos + lead, pos + lead + len(stripped)))
        else:
            spans.append(Span(pos, pos))  # blank line marker
        pos += len(line) + 1
    return spans


def article_lines(text: str) -> list[Span]:
    """Spans of the lines that are article text, in order.

    Drops furniture, blank lines, and exact repeats of an earlier line
    (scrapes often print the headline twice).
    """
    kept, seen = [], set()
    for span in _lines(text):
        line = text[span.start : span.end]
        if not line or is_furniture(line):
            continue
        key = " ".join(line.translate(_QUOTES).split()).casefold()
        if key in seen:
            continue
        seen.add(key)
        kept.append(span)
    return kept


def sections(text: str, kept: list[Span], visible=None) -> list[tuple[int, int]]:
    """Group kept lines into runs with no dropped non-blank line between them.

    Returns ``(first, last + 1)`` index pairs into ``kept``. A chunk is built
    inside one section, so ``text[chunk.start:chunk.end]`` never contains
    furniture. ``visible`` maps a gap to its visible text (HTML strips tags).
    """
    if not kept:
        return []
    groups, first = [], 0
    for i in range(1, len(kept)):
        gap = text[kept[i - 1].end : kept[i].start]
        gap = visible(gap) if visible else gap
        if gap.strip():  # something was dropped between these two lines
            groups.append((first, i))
            first = i
    groups.append((first, len(kept)))
    return groups
