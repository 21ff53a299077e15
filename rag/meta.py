"""Small helpers for document metadata: dates, display paths, printable names.

Example:
    >>> parse_date("Sunday, April 5, 2020"), parse_date("3 February 2020"), parse_date("soon")
    ('2020-04-05', '2020-02-03', None)
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

_FORMATS = ["%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d"]
MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
         r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
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
    cleaned = " ".join(cleaned.split())
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


def display_path(path: str | Path) -> str:
    """Path relative to the project root when inside it, else absolute."""
    path = Path(path).resolve()
    try:
        return path.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)


def resolve_path(shown: str) -> Path:
    """Inverse of :func:`display_path`: an absolute path to open."""
    path = Path(shown)
    return path if path.is_absolute() else PROJECT_ROOT / path


_UNPRINTABLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def printable(text: str) -> str:
    """``text`` safe for one line of a terminal: control characters (a newline in
    a file name), format characters and lone surrogates (file-name bytes that are
    not UTF-8) are written as backslash escapes; everything else is kept.

    >>> print(printable("a\\nb.txt"), printable("caf\\udce9.txt"))
    a\\nb.txt caf\\udce9.txt
    """
    if text.isprintable():
        return text
    return "".join(c.encode("unicode_escape").decode("ascii") if unicodedata.category(c) in _UNPRINTABLE else c
                   for c in text)
