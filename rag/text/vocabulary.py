"""The words of numbers and of the calendar, written once for every parser of them.

``rag.text.values`` (answers), ``rag.text.dates`` (article dates), ``rag.ingest.furniture`` (date lines)
and ``eval.metrics`` (scoring) all read numbers, months and weekdays; before this module each kept its
own list, and a word added to one (``sept``) was missing from another.

Example:
    >>> UNITS["nineteen"], TENS["forty"], MONTHS["sept"], MONTHS["december"]
    (19, 40, 9, 12)
    >>> import re
    >>> bool(re.fullmatch(MONTH_PATTERN, "Feb.", re.I)), bool(re.fullmatch(WEEKDAY_PATTERN, "thursday"))
    (True, True)
"""
from __future__ import annotations

UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                    "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i > 1}
MONTHS = {m: i + 1 for i, m in enumerate("january february march april may june july august september october "
                                         "november december".split())}
MONTHS |= {m[:3]: i for m, i in list(MONTHS.items())} | {"sept": 9}  # the abbreviations news writes
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Regex alternations (no flags: callers compile them with re.IGNORECASE). Longest first, so "september"
# is tried before "sep"; an optional dot follows an abbreviated month ("Feb.").
MONTH_PATTERN = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
WEEKDAY_PATTERN = r"(?:" + "|".join(WEEKDAYS) + r")"

# One footnote or reference marker copied from a web page ("metres[1]"): the furniture cleaner,
# the tokenizer and the sentence splitter all read it.
REFERENCE = r"\[\d{1,3}\]"
