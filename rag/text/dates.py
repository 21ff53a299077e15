"""Full dates with a year, written out in article text, as ISO ``YYYY-MM-DD``.

Example:
    >>> parse_date("Sunday, April 5, 2020"), parse_date("3 February 2020"), parse_date("soon")
    ('2020-04-05', '2020-02-03', None)
"""
from __future__ import annotations

import re
from datetime import datetime

from rag.text.vocabulary import MONTH_PATTERN, WEEKDAY_PATTERN

_FORMATS = ["%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d"]
MONTH = MONTH_PATTERN
WEEKDAY = WEEKDAY_PATTERN
# A full date with its year inside running text: "12 March 2024", "March 12th, 2024", "2024-03-12".
DATE_RE = re.compile(rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH},?\s+\d{{4}}|{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|"
                     r"\d{4}-\d{2}-\d{2})\b", re.IGNORECASE)


def parse_date(text: str) -> str | None:
    """ISO ``YYYY-MM-DD`` for a full date with a year, else None (never guessed)."""
    if not text:
        return None
    iso = re.search(r"\d{4}-\d{2}-\d{2}", text)
    if iso:
        text = iso.group(0)
    cleaned = re.sub(r"^\s*\w+day,?\s+", "", text.strip())  # weekday
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", cleaned).replace(",", " ").replace(".", " ")
    cleaned = " ".join(re.sub(r"\bsept\b", "Sep", cleaned, flags=re.IGNORECASE).split())  # strptime knows only "Sep"
    for fmt in _FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def find_date(text: str) -> str | None:
    """The first full date (with a year) written anywhere in ``text``, as ISO.

    >>> find_date("RIVERTON, 12 March 2024 - The council voted"), find_date("on March 12 (Reuters)")
    ('2024-03-12', None)
    """
    for m in DATE_RE.finditer(text or ""):
        found = parse_date(m.group(0))
        if found:
            return found
    return None
