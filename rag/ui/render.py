"""HTML for the chat: answers with citation links, source cards, refusals,
questions back, disagreement tables and the sources panel.

Every string that comes from an article or from the user goes through
:func:`~rag.ui.highlight.esc` before it touches markup (see :mod:`rag.ui.highlight`).
Each chat message also carries its plain text (:mod:`rag.ui.copytext`) for the
copy button and screen readers.

Links: marker ``[n]`` of answer ``turn`` points at ``#cite-<turn>-<n>``, the id
of that source's ``<details>`` card in the sources panel; the page script
(``static/cite.js``) opens the card on click, in a drawer on a phone. The
marker's ``title`` attribute holds the cited sentence, so hovering shows it
even without the script.

Example:
    >>> link_markers("33 died [1].", {1: "Title: 33 died."}, turn=2)
    '33 died<a class="cite" href="#cite-2-1" title="Title: 33 died.">[1]</a>.'
"""
from __future__ import annotations

import re

from rag.ingest.files import is_html as is_html_file
from rag.ingest.html_text import to_plain
from rag.records import Answer, Citation, Disagreement, Passage
from rag.ui.copytext import byline, copy_text, related_articles
from rag.ui.highlight import esc, highlight, line_breaks, same_text

MARKER_RE = re.compile(r"[ \t]*\[(\d+(?:\s*,\s*\d+)*)\]")  # leading blanks: the marker hugs its word
_TOOLTIP_CHARS = 300


def cite_id(turn: int, n: int) -> str:
    return f"cite-{turn}-{n}"


def message(inner: str, copy: str) -> str:
    """A chat message: its markup, plus ``copy`` (plain text) in a hidden element for the copy
    button and screen readers (Gradio's sanitiser drops data- attributes, so it cannot go there)."""
    return f'<div class="msg">{inner}<div class="copy-text" hidden>{esc(copy)}</div></div>'


def link_markers(text: str, tooltips: dict[int, str], turn: int) -> str:
    """Escape ``text`` and turn each ``[n]`` whose n is in ``tooltips`` into a link.

    Unknown numbers stay plain text, so a stray "[7]" never links to nothing;
    "[1, 2]" becomes two links.
    """
    def link(m: re.Match) -> str:
        nums = [int(x) for x in re.findall(r"\d+", m.group(1))]
        if not all(n in tooltips for n in nums):
            return m.group(0)
        return "".join(f'<a class="cite" href="#{cite_id(turn, n)}" title="{esc(tooltips[n])}">[{n}]</a>'
                       for n in nums)

    return MARKER_RE.sub(link, esc(text))


def tooltip(c: Citation) -> str:
    """What hovering a marker shows: where the sentence is from and the sentence."""
    text = " ".join(c.text.split())
    if len(text) > _TOOLTIP_CHARS:
        text = text[: _TOOLTIP_CHARS - 1] + "…"
    by = byline(c.source, c.date)
    return f"{c.title} ({by}): {text}" if by else f"{c.title}: {text}"


def source_card(c: Citation, turn: int, source_text: str | None, context: tuple[int, int] | None = None,
                *, open_: bool = False) -> str:
    """One numbered source: title, outlet, date and the passage with the cited
    sentence marked, found by slicing ``source_text`` at the citation's offsets.

    When the file is gone or its text at those offsets is no longer the cited
    sentence (edited since indexing), the stored sentence is shown with a note
    instead of a wrong highlight.
    """
    is_html = is_html_file(c.source_path)
    note = ""
    ok = source_text is not None and 0 <= c.start <= c.end <= len(source_text)
    if ok:
        sliced = source_text[c.start : c.end]
        ok = same_text(to_plain(sliced) if is_html else sliced, c.text)
    if ok:
        body = highlight(source_text, c.start, c.end, context=context, is_html=is_html)
    else:
        body = f"<mark>{esc(c.text)}</mark>"
        note = ('<p class="note">The file no longer holds this sentence at the cited place (it was moved or '
                'edited after indexing); showing the sentence as it was indexed.</p>')
    by = byline(c.source, c.date)
    return (f'<details class="source" id="{cite_id(turn, c.n)}"{" open" if open_ else ""}>'
            f'<summary><span class="num">[{c.n}]</span> {esc(c.title)}</summary>'
            f'<div class="meta">{esc(by) + " · " if by else ""}<code>{esc(c.source_path)}:{c.start}-{c.end}</code>'
            f'</div><blockquote>{body}</blockquote>{note}</details>')


def related_card(p: Passage) -> str:
    """A passage shown on a refusal: near the question, not an answer to it."""
    best = p.sentences[0] if p.sentences else None
    is_html = is_html_file(p.source_path)
    if best is not None and p.start <= best.start <= best.end <= p.end:
        body = highlight(p.text, best.start - p.start, best.end - p.start, context=(0, len(p.text)),
                         is_html=is_html, max_context=200, mark_class="near")
    else:
        body = line_breaks(esc(to_plain(p.text) if is_html else p.text))
    by = byline(p.source, p.date)
    meta = f'<div class="meta">{esc(by)}</div>' if by else ""
    return f'<details class="related"><summary>{esc(p.title)}</summary>{meta}<blockquote>{body}</blockquote></details>'


def disagreement_table(d: Disagreement, turn: int) -> str:
    """Sources giving different values for one fact: source, date, figure, citation."""
    rows = "".join(
        f'<tr><td>{esc(v.source or v.doc_id)}</td><td>{esc(v.date or "—")}</td>'
        f'<td class="figure">{esc(v.value)}</td>'
        f'<td><a class="cite" href="#{cite_id(turn, v.citation)}">[{v.citation}]</a></td></tr>'
        for v in d.versions)
    return (f'<table class="disagreement"><caption>Sources disagree: {esc(d.about)}</caption>'
            f'<thead><tr><th>Source</th><th>Date</th><th>Figure</th><th>Cited</th></tr></thead>'
            f'<tbody>{rows}</tbody></table>')


def _query_note(answer: Answer, asked: str | None) -> str:
    """Why a fallback answered (if it did), the filters (if any), and the standalone
    query, shown only when it differs from what was typed."""
    fallback = f'<div class="fallback-note">{esc(answer.note)}</div>' if answer.note else ""
    scope = f'<div class="scope-note">{esc(answer.scope)}</div>' if answer.scope else ""
    if asked is None or not answer.query or answer.clarify or same_text(answer.query.casefold(), asked.casefold()):
        return fallback + scope
    return f'{fallback}{scope}<div class="standalone">searched for: “{esc(answer.query)}”</div>'


def answer_html(answer: Answer, turn: int, *, asked: str | None = None) -> str:
    """The assistant's chat message for one turn.

    An answer shows its text with linked markers and any disagreement table;
    a refusal gets its own style plus the closest articles, labelled as not
    containing the answer, and a way to clear the filters if any were on; a
    question back (``answer.clarify``) asks whom a pronoun means.
    """
    note = _query_note(answer, asked)
    copy = copy_text(answer)
    if answer.clarify:
        return message(f'{note}<div class="clarify"><div class="clarify-label">Whom do you mean?</div>'
                       f'<p>{esc(answer.text)}</p></div>', copy)
    if answer.refused:
        related = "".join(f"<li>{esc(p.title)}{_quiet(byline(p.source, p.date))}</li>"
                          for p in related_articles(answer.passages))
        related = (f'<div class="related-list">Related articles (they do <strong>not</strong> contain the answer; '
                   f'see <a class="open-sources" href="#sources">Sources</a>):<ul>{related}</ul></div>'
                   ) if related else ""
        clear = ('<p class="scope-hint">Filters left most articles out of this search. '
                 '<button type="button" class="clear-filters">Clear filters</button> and ask again to search all '
                 'articles.</p>') if answer.scope else ""
        return message(f'{note}<div class="refusal"><div class="refusal-label">Not found in the articles</div>'
                       f'<p>{esc(answer.text)}</p>{clear}{related}</div>', copy)
    tips = {c.n: tooltip(c) for c in answer.citations}
    tables = "".join(disagreement_table(d, turn) for d in answer.disagreements)
    return message(f'{note}<div class="answer"><p>{link_markers(answer.text, tips, turn)}</p>{tables}</div>', copy)


def _quiet(by: str) -> str:
    return f' <span class="meta">({esc(by)})</span>' if by else ""


def question_html(question: str) -> str:
    """The user's message: the question as typed, escaped (what it shows is its plain text)."""
    return esc(question)


def failed_html(text: str) -> str:
    return message(f'<div class="failed" role="alert">{esc(text)}</div>', text)


def streaming_html(partial_text: str) -> str:
    """The answer while it streams in: plain escaped text, links come at the end."""
    return f'<div class="answer streaming"><p>{esc(partial_text)}<span class="cursor">▍</span></p></div>'


def pending_html(n_docs: int) -> str:
    return f'<div class="pending">Searching {n_docs} article{"s" if n_docs != 1 else ""}…</div>'


def turn_sources(answer: Answer, turn: int, texts: dict[str, str | None]) -> str:
    """The sources panel section of one answer. ``texts`` maps each
    ``source_path`` to the file's text (None when unreadable)."""
    if answer.clarify:
        return '<div class="turn-sources"><p>Nothing was searched: the question needs a name first.</p></div>'
    if answer.refused:
        cards = "".join(related_card(p) for p in related_articles(answer.passages))
        return ('<div class="turn-sources refused"><p class="related-label">Related passages: closest to the '
                'question, but they do <strong>not</strong> contain the answer.</p>'
                f'{cards or "<p>No passage came close.</p>"}</div>')
    context = {}
    for c in answer.citations:  # the retrieved passage that holds the sentence is its context
        for p in answer.passages:
            if p.doc_id == c.doc_id and p.start <= c.start and c.end <= p.end:
                context[c.n] = (p.start, p.end)
                break
    cards = "".join(source_card(c, turn, texts.get(c.source_path), context.get(c.n)) for c in answer.citations)
    return f'<div class="turn-sources">{cards or "<p>This answer cites no source.</p>"}</div>'


CLOSE = '<button type="button" class="drawer-close" aria-label="Close sources and go back to the answer">×</button>'


def sources_panel(sections: list[tuple[str, str]]) -> str:
    """All turns' sources, newest first; earlier ones folded away.
    ``sections`` is ``[(question, turn_sources_html)]``, oldest first. The close
    button shows only where the panel is a drawer over the chat (phones)."""
    if not sections:
        return (f'<div class="sources-empty">{CLOSE}Sources of the answer appear here. Click a [n] marker to open '
                'one.</div>')
    *earlier, (question, latest) = sections
    folded = "".join(f'<details class="earlier"><summary>Earlier: {esc(q)}</summary>{s}</details>'
                     for q, s in reversed(earlier))
    return f'<div class="sources">{CLOSE}<h4>Sources for: {esc(question)}</h4>{latest}{folded}</div>'
