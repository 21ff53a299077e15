"""HTML of the Documents tab: the table of indexed articles and the reader.

Rows carry the document id (``data-doc``) so a click opens the article in the
reader; uploaded articles get a Remove button (the page asks to confirm).
The table sits in a box that scrolls sideways on a narrow screen instead of
widening the page. Every article string is escaped (:func:`~rag.ui.highlight.esc`).

Example:
    >>> class D: id, title, source, date, n_chunks = "a", "Bridge vote", None, "2024-03-12", 2
    >>> "<td>—</td><td>2024-03-12</td>" in documents_table([D()])
    True
"""
from __future__ import annotations


from rag.ui.copytext import byline
from rag.ui.highlight import esc, line_breaks, same_text


def documents_table(docs, removable: set[str] = frozenset()) -> str:
    """The indexed documents (objects with id, title, source, date, n_chunks);
    those whose id is in ``removable`` (uploads) get a Remove button."""
    def row(d) -> str:
        remove = (f'<button type="button" class="remove-doc" data-doc="{esc(d.id)}" '
                  f'aria-label="Remove “{esc(d.title)}” from the index">Remove</button>' if d.id in removable
                  else "")
        return (f'<tr data-doc="{esc(d.id)}" tabindex="0" title="Open in the reader"><td>{esc(d.title)}</td>'
                f'<td>{esc(d.source or "—")}</td><td>{esc(d.date or "—")}</td><td class="num">{int(d.n_chunks)}</td>'
                f'<td><code>{esc(d.id)}</code></td><td>{remove}</td></tr>')

    n = len(docs)
    return (f'<div class="table-scroll"><table class="documents"><caption>{n} indexed document{"s" if n != 1 else ""}'
            f' <span class="meta">· click a row to read it · — : not stated in the article</span></caption>'
            f'<thead><tr><th>Title</th><th>Source</th><th>Date</th><th>Chunks</th><th>Id</th><th></th></tr></thead>'
            f'<tbody>{"".join(row(d) for d in docs)}</tbody></table></div>')


def reader_html(title: str, source: str | None, date: str | None, paragraphs: list[str]) -> str:
    """The cleaned article, one ``<p>`` per block, every character escaped."""
    if paragraphs and same_text(paragraphs[0].lstrip("# "), title):
        paragraphs = paragraphs[1:]  # the headline is already the heading
    body = "".join(f"<p>{line_breaks(esc(p))}</p>" for p in paragraphs if p.strip())
    by = byline(source, date) or "The article states no source or date."
    return f'<article class="reader"><h3>{esc(title)}</h3><div class="meta">{esc(by)}</div>{body}</article>'


def confirm_remove_html(title: str) -> str:
    return (f'<p role="alertdialog">Remove “{esc(title)}” from the index? Its file is deleted from your uploads '
            'folder; answers will no longer cite it.</p>')


