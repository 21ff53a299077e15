"""Validation of the user's question and search filters before they reach any model.

Example:
    >>> clean_query("  how many\\x00 troops\\n died? ")
    'how many troops died?'
    >>> check_filters(5, ["a"], "2020-02-01", None)
    Filters(k=5, doc_ids=('a',), date_from='2020-02-01', date_to=None)
"""
from __future__ import annotations

import numbers
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from rag.errors import QueryError

MAX_QUERY_CHARS = 2000
MAX_K = 1000
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def clean_query(query: str, max_chars: int = MAX_QUERY_CHARS) -> str:
    """Drop control characters, collapse whitespace, refuse empty or huge input."""
    if not isinstance(query, str):
        raise QueryError(f"the question must be text; got {type(query).__name__}.")
    if len(query) > max_chars * 4:
        # Checked before any work so a 100,000-character paste costs nothing.
        raise QueryError(f"the question is {len(query):,} characters long; the limit is {max_chars:,}. "
                         "Ask a shorter question.")
    bad = next((i for i, c in enumerate(query) if "\ud800" <= c <= "\udfff"), None)
    if bad is not None:  # bytes that were not UTF-8 (a terminal in another encoding) or a broken paste
        raise QueryError(f"the question holds a character that is not valid text at position {bad} "
                         "(bytes that are not UTF-8?); type it again in a UTF-8 terminal.")
    text = "".join(" " if unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp"} and c not in "\u200d" else c
                   for c in query)
    text = re.sub(r"\s+", " ", text).strip()
    if not text.replace("\u200d", "").strip():  # a joiner alone is no question: nothing visible to search
        raise QueryError("the question is empty; type a question, e.g. 'How many Turkish soldiers died?'.")
    if len(text) > max_chars:
        raise QueryError(f"the question is {len(text):,} characters long; the limit is {max_chars:,}. "
                         "Ask a shorter question.")
    return text


@dataclass(frozen=True)
class Filters:
    """Checked search settings: ``k`` passages, only ``doc_ids``, dates inclusive."""

    k: int
    doc_ids: tuple[str, ...] | None
    date_from: str | None
    date_to: str | None


def check_filters(k, doc_ids=None, date_from=None, date_to=None) -> Filters:
    """Refuse settings that would silently match nothing or the wrong thing."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):  # numpy integers are Integral too
        raise QueryError(f"k is the number of passages, a whole number from 1 to {MAX_K:,}; got {k!r}.")
    k = int(k)
    if not 1 <= k <= MAX_K:
        raise QueryError(f"k is the number of passages, from 1 to {MAX_K:,}; got {k:,}.")
    if isinstance(doc_ids, (str, bytes)):
        raise QueryError(f"doc_ids is a list of document ids; got the single string {doc_ids!r}. "
                         f"Pass [{doc_ids!r}].")
    if doc_ids is not None:
        try:
            doc_ids = tuple(doc_ids)
        except TypeError:
            raise QueryError(f"doc_ids is a list of document ids; got {type(doc_ids).__name__}.") from None
        if not doc_ids:
            raise QueryError("doc_ids is an empty list, so nothing can match; leave it out (None) to search every "
                             "article, or name the documents (`rag docs` lists the ids).")
        odd = [d for d in doc_ids if not isinstance(d, str)]
        if odd:
            raise QueryError(f"doc_ids holds {odd[0]!r}, which is not a document id; `rag docs` lists the ids.")
    date_from, date_to = iso_date(date_from, "date_from"), iso_date(date_to, "date_to")
    if date_from and date_to and date_from > date_to:
        raise QueryError(f"date_from {date_from} is after date_to {date_to}, so nothing can match; swap them.")
    return Filters(k, doc_ids, date_from, date_to)


def iso_date(value, name: str) -> str | None:
    """``value`` as an ISO day, None when empty; a QueryError naming ``name`` otherwise
    (the API's filters and the chat's date fields read dates alike)."""
    if value is None or value == "":
        return None
    shown = repr(value)[:40]
    if not isinstance(value, str) or not _ISO.fullmatch(value.strip()):
        raise QueryError(f"{name} {shown} is not a date; use YYYY-MM-DD, e.g. 2020-02-28.")
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise QueryError(f"{name} {shown} is not a calendar day; write a real date as YYYY-MM-DD.") from None
