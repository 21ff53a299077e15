"""Validation of the user's question before it reaches any model.

Example:
    >>> clean_query("  how many\\x00 troops\\n died? ")
    'how many troops died?'
"""
from __future__ import annotations

import re
import unicodedata

from .errors import QueryError

MAX_QUERY_CHARS = 2000


def clean_query(query: str, max_chars: int = MAX_QUERY_CHARS) -> str:
    """Drop control characters, collapse whitespace, refuse empty or huge input."""
    if not isinstance(query, str):
        raise QueryError(f"the question must be text; got {type(query).__name__}.")
    if len(query) > max_chars * 4:
        # Checked before any work so a 100,000-character paste costs nothing.
        raise QueryError(f"the question is {len(query):,} characters long; the limit is {max_chars:,}. "
                         "Ask a shorter question.")
    text = "".join(" " if unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp"} and c not in "\u200d" else c
                   for c in query)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise QueryError("the question is empty; type a question, e.g. 'How many Turkish soldiers died?'.")
    if len(text) > max_chars:
        raise QueryError(f"the question is {len(text):,} characters long; the limit is {max_chars:,}. "
                         "Ask a shorter question.")
    return text
