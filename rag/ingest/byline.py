"""Outlet and date read from an article's own opening (and closing) lines.

What counts, in order of trust:

- date: a dateline ("RIVERTON, 12 March 2024 - ..." or that line alone), then a
  publication line ("Published: 12 March 2024", "Posted on March 12, 2024"),
  then a line that is only a date, then an "Updated ..." line. A date line at
  the very top that is followed by site navigation ("Sunday, April 5, 2020"
  then "Latest News") is the page banner of the day the page was saved, not
  the article's date, and is ignored.
- source: an outlet's name alone on a line above the story ("Sputnik News"),
  a "Source: ..." line, a byline naming an outlet ("By Jane Doe, Reuters",
  "By Jane Doe | BBC News", "By AFP"), a dateline's credit ("MOSCOW
  (Sputnik) - ..."), then a copyright line ("© 2024 Riverton Gazette").
  "Reuters contributed to this report" is a credit, not the outlet: ignored.

Nothing is guessed: a date needs its year, an outlet must look like one
(a known wire or agency, or a name ending in News, Times, Post, ...).

Example:
    >>> m = read_meta([("RIVERTON, 12 March 2024 (Reuters) - The council met.", True)])
    >>> m.date, m.source
    ('2024-03-12', 'Reuters')
    >>> read_meta([("Sunday, April 5, 2020", False), ("Latest News", False), ("Headline", True)]).date is None
    True
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rag.ingest.furniture import DATE_LINE_RE
from rag.text.dates import DATE_RE, find_date

HEAD_LINES = 12  # datelines, bylines and publication lines sit above the story
TAIL_LINES = 8   # copyright and "Source:" lines sit below it

WIRES = ("Reuters", "AP", "AFP", "Associated Press", "Agence France-Presse", "Bloomberg", "Sputnik", "TASS",
         "Xinhua", "Anadolu Agency", "Anadolu", "UPI", "dpa", "EFE", "ANSA", "Kyodo", "Yonhap", "RIA Novosti",
         "Interfax", "PA Media", "BBC", "CNN", "Al Jazeera", "NPR", "PTI", "IANS", "Bernama", "USA Today")
_WIRE_RE = "|".join(re.escape(w) for w in sorted(WIRES, key=len, reverse=True))
_OUTLET_WORD = (r"News|Times|Post|Press|Herald|Wire|Journal|Tribune|Gazette|Telegraph|Guardian|Observer|"
                r"Chronicle|Agency|Network|Radio|TV|Magazine|Courier|Dispatch")
_WORD = r"[A-Z][\w&'.-]*"
# "Sputnik News", "The Riverton Gazette", "Times of India", "Daily Sabah", "Reuters": names that say they are outlets.
OUTLET_RE = re.compile(rf"^(?:{_WIRE_RE}|(?:The\s+)?(?:{_WORD}\s+){{1,3}}(?:{_OUTLET_WORD})|"
                       rf"(?:The\s+)?(?:Times|Daily)\s+(?:of\s+(?:the\s+)?)?{_WORD}(?:\s+{_WORD})?)$")
# "RIVERTON, 12 March 2024 (Reuters) - ..." / "MOSCOW (Sputnik) - ..." / "RIVERTON, 12 March 2024" alone.
DATELINE_RE = re.compile(
    r"^(?P<place>[A-Z][A-Z .'-]{1,40}?)(?:/[A-Z][A-Z .'-]{1,30})?"
    r"(?:,\s*(?P<date>[A-Za-z0-9 ,.]{3,30}?))?\s*(?:\((?P<outlet>[A-Z][\w .&'-]{1,40})\))?"
    r"\s*(?:[-\u2013\u2014:]\s|[-\u2013\u2014]{2}|$)")
_BYLINE_RE = re.compile(r"^by\s+(?P<rest>.{2,120})$", re.IGNORECASE)
_PUBLISHED_RE = re.compile(r"^(?:first\s+)?(?:published|posted|date[d]?|released)\b(?:\s+on)?[:\s]", re.I)
_UPDATED_RE = re.compile(r"^(?:last\s+)?(?:updated|modified)\b", re.IGNORECASE)
_SOURCE_RE = re.compile(r"^source\s*:\s*(?P<name>.{2,60})$", re.IGNORECASE)
_COPYRIGHT_RE = re.compile(r"^(?:copyright|\(c\)|©)\s*(?:©\s*)?(?:\d{4}(?:\s*[-–]\s*\d{4})?\s*)?(?P<name>.{2,60}?)"
                           r"[.,]?(?:\s+all rights reserved\.?)?$", re.IGNORECASE)


@dataclass(frozen=True)
class TextMeta:
    """What the lines say: ``source`` and ISO ``date`` (None when they do not),
    and ``outlet_line``, the index of a line that is only the outlet's name."""

    source: str | None = None
    date: str | None = None
    outlet_line: int | None = None


def outlet(name: str) -> str | None:
    """``name`` trimmed, if it looks like a news outlet, else None.

    >>> outlet("Sputnik News"), outlet("Reuters."), outlet("Senior Correspondent")
    ('Sputnik News', 'Reuters', None)
    """
    name = " ".join(name.split()).strip(" .,;|-–—()")
    return name if name and len(name) <= 60 and OUTLET_RE.match(name) else None


def _byline_outlet(rest: str) -> str | None:
    """The outlet of "By Jane Doe, Reuters" / "By Jane Doe | BBC News" / "By AFP" / "By Reuters Staff"."""
    rest = re.sub(r"\s+staff$", "", rest.strip(), flags=re.IGNORECASE)
    parts = re.split(r"\s*(?:[|,(\u2013\u2014]|\s-\s|\sfor\s|\sin\s)\s*", rest)
    for part in [p for p in parts if p][::-1]:  # the outlet comes last: "By Jane Doe, Moscow, Reuters"
        found = outlet(part)
        if found:
            return found
    return None


def _dateline(line: str) -> tuple[str | None, str | None]:
    """(date, outlet) of a dateline, each None when absent; (None, None) if it is not one."""
    m = DATELINE_RE.match(line)
    if not m or not (m.group("date") or m.group("outlet") or line.strip() == m.group("place").strip()):
        return None, None
    date = find_date(m.group("date") or "")
    credit = outlet(m.group("outlet") or "") or (m.group("outlet") or "").strip() or None
    return date, credit


def read_meta(lines: list[tuple[str, bool]]) -> TextMeta:
    """Outlet and date from an article's non-blank ``lines``, each ``(visible text,
    kept as article text)``, in file order; see the module docstring for the rules."""
    head, tail = lines[:HEAD_LINES], lines[-TAIL_LINES:]
    dates: dict[str, str] = {}  # kind -> date, first of each kind wins
    sources: dict[str, str] = {}
    outlet_line, seen_story = None, False
    for i, (raw, kept) in enumerate(head):
        line = " ".join(raw.split())
        if kept and not seen_story and outlet_line is None and outlet(line):
            sources.setdefault("line", outlet(line))
            outlet_line = i
            continue
        date, credit = _dateline(line)
        if date:
            dates.setdefault("dateline", date)
        if credit:
            sources.setdefault("dateline", credit)
        if _PUBLISHED_RE.match(line) and find_date(line):
            dates.setdefault("published", find_date(line))
        elif _UPDATED_RE.match(line) and find_date(line):
            dates.setdefault("updated", find_date(line))
        elif DATE_LINE_RE.match(line) or (DATE_RE.fullmatch(line.strip(" |·")) is not None):
            banner = not seen_story and i + 1 < len(head) and not head[i + 1][1]  # navigation follows
            if not banner:
                dates.setdefault("line", find_date(line))
        if (m := _BYLINE_RE.match(line)) and (found := _byline_outlet(m.group("rest"))):
            sources.setdefault("byline", found)
        if (m := _SOURCE_RE.match(line)) and (found := outlet(m.group("name"))):
            sources.setdefault("source", found)
        seen_story = seen_story or (kept and outlet_line != i)
    for raw, _ in tail:
        line = " ".join(raw.split())
        if (m := _SOURCE_RE.match(line)) and (found := outlet(m.group("name"))):
            sources.setdefault("source", found)
        if (m := _COPYRIGHT_RE.match(line)) and (found := outlet(m.group("name"))):
            sources.setdefault("copyright", found)
    date = next((dates[k] for k in ("dateline", "published", "line", "updated") if dates.get(k)), None)
    source = next((sources[k] for k in ("line", "source", "byline", "dateline", "copyright") if sources.get(k)),
                  None)
    return TextMeta(source=source, date=date, outlet_line=outlet_line if sources.get("line") == source else None)
