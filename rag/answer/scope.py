"""What an answer says about the filters that narrowed its search.

A filtered search that finds nothing looks like "the articles don't say"
unless the reader is told that most articles were never searched. So every
answer asked with a filter carries one line naming the filters and how many
articles they left, and saying when a date filter dropped undated articles.

Example:
    >>> scope_note(in_scope=1, total=5, undated=3, date_from="2020-02-01", date_to="2020-02-29")
    'Searched 1 of 5 articles: dates 2020-02-01 to 2020-02-29 (3 undated articles left out).'
    >>> scope_note(in_scope=5, total=5) is None
    True
"""
from __future__ import annotations


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def scope_note(*, in_scope: int, total: int, undated: int = 0, doc_ids=None, date_from: str | None = None,
               date_to: str | None = None) -> str | None:
    """One line on the active filters, or None when there are none."""
    parts = []
    if doc_ids:
        parts.append(f"only the {_plural(len(doc_ids), 'chosen article')}")
    if date_from and date_to:
        parts.append(f"dates {date_from} to {date_to}")
    elif date_from or date_to:
        parts.append(f"dated {date_from} or later" if date_from else f"dated {date_to} or earlier")
    if not parts:
        return None
    dropped = f" ({_plural(undated, 'undated article')} left out)" if undated and (date_from or date_to) else ""
    return f"Searched {in_scope} of {_plural(total, 'article')}: {', '.join(parts)}{dropped}."


def scope_of(retriever, docs, doc_ids=None, date_from: str | None = None, date_to: str | None = None) -> str | None:
    """:func:`scope_note` for a search of ``retriever`` over the indexed ``docs`` with these filters."""
    if not (doc_ids or date_from or date_to):  # every ask comes here: no filter, no pass over the documents
        return None
    chosen = set(retriever.in_scope(doc_ids))
    return scope_note(in_scope=len(retriever.in_scope(doc_ids, date_from, date_to)), total=len(docs),
                      undated=sum(1 for d in docs if d.id in chosen and d.date is None), doc_ids=doc_ids,
                      date_from=date_from, date_to=date_to)
