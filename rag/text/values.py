"""Numbers, dates and names in text, in a canonical form so that "33" and
"thirty-three", or "February 28th" and "28 February", compare equal.

Used to group sources that state the same value, to spot sources that give
different values, and to check that an answer's facts are in its citations.

Example:
    >>> [v for _, _, v in numbers("at least 33 soldiers, two warships and 2,500 $")]
    ['33', '2', '2500']
    >>> [v for _, _, v in dates("on February 26th, not 25 February; on Friday")]
    ['02-26', '02-25', 'friday']
    >>> canonical("the Mediterranean Sea", "place")
    'mediterranean sea'
"""
from __future__ import annotations

import re
import string
import unicodedata

from rag.text.vocabulary import MONTH_PATTERN, MONTHS, TENS, UNITS, WEEKDAYS

_UNITS = list(UNITS)
NUMBER_WORDS = UNITS | TENS | {"hundred": 100, "thousand": 1000, "dozen": 12}

_NUMBER_RE = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?(?![\d])|\b(?:" + "|".join(
    sorted(NUMBER_WORDS, key=len, reverse=True)) + r")(?:-(?:" + "|".join(_UNITS[1:10]) + r"))?\b", re.I)
_MONTH = MONTH_PATTERN
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_DATE_RE = re.compile(rf"\b{_MONTH}\s+{_DAY}\b|\b{_DAY}\s+(?:of\s+)?{_MONTH}(?!\w)|\b(?:"
                      + "|".join(WEEKDAYS) + r")\b", re.I)
_PUNCT = set(string.punctuation) | {"“", "”", "’", "‘", "–", "—"}


def _number_value(token: str) -> str:
    t = token.lower()
    if t[0].isdigit():
        v = t.replace(",", "")
        return v[:-2] if v.endswith(".0") else v
    if "-" in t:
        tens, unit = t.split("-", 1)
        return str(NUMBER_WORDS[tens] + NUMBER_WORDS[unit])
    return str(NUMBER_WORDS[t])


def numbers(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, canonical value)`` of every number, in digits or words."""
    return [(m.start(), m.end(), _number_value(m.group())) for m in _NUMBER_RE.finditer(text)]


def dates(text: str) -> list[tuple[int, int, str]]:
    """Calendar days as ``MM-DD`` and weekdays by name (the two are not compared:
    "Friday" and "February 28" may be the same day)."""
    out = []
    for m in _DATE_RE.finditer(text):
        s = m.group().lower()
        if s in WEEKDAYS:
            out.append((m.start(), m.end(), s))
            continue
        day = m.group(1) or m.group(2)
        month = next(MONTHS[w.rstrip(".")] for w in re.findall(r"[a-z]+\.?", s) if w.rstrip(".") in MONTHS)
        out.append((m.start(), m.end(), f"{month:02d}-{int(day):02d}"))
    return out


def squad_normalize(text: str) -> str:
    """SQuAD answer normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(c for c in text.lower() if c not in _PUNCT)
    return " ".join(w for w in text.split() if w not in ("a", "an", "the"))


def fold(text: str) -> str:
    """Without diacritics, so "Erdoğan" and "Erdogan" compare equal.

    >>> fold("Erdoğan")
    'Erdogan'
    """
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def pair_key(parts) -> str:
    """The key of a two-part answer ("Putin and Erdogan"): its parts, folded and sorted,
    so the two orders and the two spellings are one value."""
    return "pair:" + "|".join(sorted(fold(squad_normalize(p)) for p in parts))


def canonical(text: str, kind: str) -> str:
    """The comparable form of an answer value of type ``kind``."""
    if kind in ("date", "duration", "frequency"):
        found = dates(text)
        if len(found) == 1:
            return found[0][2]
    if kind in ("number", "money", "percent", "quantity", "age"):
        found = numbers(text)
        if len(found) == 1:
            return found[0][2]
    return fold(squad_normalize(text))
