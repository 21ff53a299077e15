"""An answer as plain text: what the copy button copies and what a screen reader reads.

The chat shows HTML (linked markers, source cards); pasting that into an
e-mail, or hearing it read out, is markup noise. The plain form is the answer
with its [n] markers, then one line per source, "[1] Title — outlet, date",
leaving out what the article does not state.

Example:
    >>> from rag.records import Answer, Citation
    >>> c = Citation(1, "x", "Turkey threatens action", "AFP", "2020-02-28", "seeds/x.txt", "33 died.", 0, 8)
    >>> print(copy_text(Answer("33 [1].", "33", False, (c,), "q", ())))
    33 [1].
    <BLANKLINE>
    [1] Turkey threatens action — AFP, 2020-02-28
"""
from __future__ import annotations

from rag.records import Answer, Passage


def byline(source: str | None, date: str | None) -> str:
    """Outlet and date for display; what the article does not state is left out
    (the documents table says once that a blank means "not stated").

    >>> byline(None, "2020-02-28"), byline("AFP", "2020-02-28"), byline(None, None)
    ('2020-02-28', 'AFP · 2020-02-28', '')
    """
    return " · ".join(x for x in (source, date) if x)


def related_articles(passages, limit: int = 3) -> list[Passage]:
    """The best passage of each article, best first, at most ``limit`` articles."""
    best: dict[str, Passage] = {}
    for p in passages:
        best.setdefault(p.doc_id, p)
    return list(best.values())[:limit]


def _source_line(title: str, source: str | None, date: str | None) -> str:
    by = ", ".join(x for x in (source, date) if x)
    return f"{title} — {by}" if by else title


def copy_text(answer: Answer) -> str:
    """The answer, its sources (or, for a refusal, the related articles), and the filters."""
    parts = [answer.text]
    for d in answer.disagreements:
        versions = "; ".join(f"{v.source or v.doc_id}: {v.value} [{v.citation}]" for v in d.versions)
        parts.append(f"Sources disagree on {d.about}: {versions}")
    if answer.citations:
        parts.append("\n".join(f"[{c.n}] {_source_line(c.title, c.source, c.date)}" for c in answer.citations))
    elif answer.refused and answer.passages and not answer.clarify:
        parts.append("Related articles (they do not contain the answer):\n" + "\n".join(
            f"- {_source_line(p.title, p.source, p.date)}" for p in related_articles(answer.passages)))
    if answer.scope:
        parts.append(answer.scope)
    return "\n\n".join(parts)
