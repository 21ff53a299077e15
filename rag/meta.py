"""Small helpers for document metadata: dates and display paths.

Example:
    >>> parse_date("Sunday, April 5, 2020"), parse_date("3 February 2020"), parse_date("soon")
    ('2020-04-05', '2020-02-03', None)
"""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

_FORMATS = ["%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d"]


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
