"""Numbers, dates and weekdays an answer states, compared as values: "33" and "thirty-three",
"28 February" and "February 28" say the same. The vocabulary is the assistant's own
(:mod:`rag.text.vocabulary`).

    >>> value_match("33 Turkish soldiers", "thirty-three"), value_match("33 or 34", "33")
    (True, False)
"""
from __future__ import annotations

import re

from rag.text.vocabulary import MONTHS, TENS, UNITS, WEEKDAYS

# -- numbers and dates: compare values, not strings --------------------------------------------------------------

_UNITS, _TENS = UNITS, TENS
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
_ORDINALS = {w: i for i, w in enumerate("_ first second third fourth fifth sixth seventh eighth ninth tenth eleventh "
                                        "twelfth".split()) if i}
_WEEKDAYS = set(WEEKDAYS)
_TOKEN = re.compile(r"\d{4}-\d{2}-\d{2}|\d[\d,]*(?:\.\d+)?(?:st|nd|rd|th)?|[a-z]+")


_AMBIGUOUS = {"may", "march"}  # months only next to a day or a year: "troops may march" states no date


def _month(word: str) -> int | None:
    return MONTHS.get(word)  # whole words only, so "marches" or "decade" are not months


def _raw_items(text: str) -> list[tuple]:
    """Tokens turned into ("num", value), ("month", m), ("weekday", name); other words break number runs."""
    items, words = [], []

    def flush():
        if words:
            items.append(("num", _words_value(words)))
            words.clear()

    # Hyphens join words ("thirty-three", "911-kilometer") but not the digits of an ISO date.
    for tok in _TOKEN.findall(re.sub(r"-(?!\d)|(?<!\d)-", " ", text.lower())):
        if tok[0].isdigit():
            flush()
            if len(tok) == 10 and tok[4] == "-":  # ISO date
                y, m, d = map(int, tok.split("-"))
                items.append(("date", (y, m, d)))
                continue
            items.append(("num", float(re.sub(r"(st|nd|rd|th)$", "", tok).replace(",", ""))))
        elif tok in _UNITS or tok in _TENS or (tok in _SCALES and words) or (tok == "and" and words
                                                                              and words[-1] in _SCALES):
            if words and words[-1] in _UNITS and tok in _UNITS.keys() | _TENS.keys():
                flush()  # "five six" is two numbers; "twenty five" and "one hundred and five" are one
            words.append(tok)
        elif tok in _ORDINALS:
            flush()
            items.append(("num", float(_ORDINALS[tok])))
        else:
            flush()
            if _month(tok):
                items.append(("month", _month(tok), tok in _AMBIGUOUS))
            elif tok in _WEEKDAYS:
                items.append(("weekday", tok))
    flush()
    return items


def _words_value(words: list[str]) -> float:
    total = current = 0
    for w in words:
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w in _SCALES:
            current = max(current, 1) * _SCALES[w]
            if _SCALES[w] > 100:
                total, current = total + current, 0
    return float(total + current)


def values(text: str) -> list[tuple]:
    """The numbers, dates and weekdays a text states, in order.

    Dates are ``(year, month, day)`` with None for what is not given.

    >>> values("thirty-three soldiers on Friday, February 28")
    [('num', 33.0), ('weekday', 'friday'), ('date', (None, 2, 28))]
    >>> values("28 Feb. 2020"), values("mid-January"), values("a civilian")
    ([('date', (2020, 2, 28))], [('date', (None, 1, None))], [])
    """
    raw, out, i = _raw_items(text), [], 0
    while i < len(raw):
        kind, value = raw[i][:2]
        if kind != "month":
            out.append((kind, value))
            i += 1
            continue
        ambiguous, day, year = raw[i][2], None, None
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        if nxt and nxt[0] == "num" and 1 <= nxt[1] <= 31 and nxt[1] == int(nxt[1]):
            day, i = int(nxt[1]), i + 1
        elif out and out[-1][0] == "num" and 1 <= out[-1][1] <= 31 and out[-1][1] == int(out[-1][1]):
            day = int(out.pop()[1])  # "28 February"
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        if nxt and nxt[0] == "num" and 1000 <= nxt[1] <= 2999:
            year, i = int(nxt[1]), i + 1
        if not ambiguous or day is not None or year is not None:
            out.append(("date", (year, value, day)))
        i += 1
    return out


def _item_matches(pred: tuple, gold: tuple) -> bool:
    if pred[0] != gold[0]:
        return False
    if gold[0] != "date":
        return pred[1] == gold[1]
    (py, pm, pd), (gy, gm, gd) = pred[1], gold[1]
    # Only the fields the gold answer states are checked: "February 28, 2020" answers "February 28".
    return pm == gm and (gd is None or pd == gd) and (gy is None or py == gy)


def value_match(prediction: str | None, gold: str) -> bool:
    """True when the prediction states exactly the gold answer's numbers and dates.

    A weekday in the prediction is ignored when the gold answer is a calendar
    date without one. Gold answers with no number or date never match.

    >>> value_match("33 Turkish soldiers", "thirty-three"), value_match("Friday, Feb. 28", "28 February")
    (True, True)
    >>> value_match("33 or 34", "33"), value_match("a civilian", "a civilian")
    (False, False)
    """
    gold_items = values(gold)
    if not gold_items or not prediction:
        return False
    pred_items = values(prediction)
    if any(g[0] == "date" for g in gold_items) and not any(g[0] == "weekday" for g in gold_items):
        pred_items = [p for p in pred_items if p[0] != "weekday"]
    if len(pred_items) != len(gold_items):
        return False
    unused = list(pred_items)
    for g in gold_items:
        hit = next((p for p in unused if _item_matches(p, g)), None)
        if hit is None:
            return False
        unused.remove(hit)
    return True
