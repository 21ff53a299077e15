"""The Documents tab's event handlers: list, read, add and remove articles.

Adding shows real progress on one bar: each file checked, each new file
split into sentences, then the passages embedded batch by batch ("Embedding
128/412"). Removing asks first, then deletes the uploaded file and refreshes
the index; articles of the corpus folder are listed but not removable here.
Problems are reported inline in the status line, never as pop-ups.

Example:
    >>> progress_text(Step("embedding", 128, 412)), progress_text(Step("parsing", 0, 2, "a.txt"))
    ('Embedding passages 128/412', 'Reading and splitting a.txt (1/2)')
"""
from __future__ import annotations

import threading
from pathlib import Path

import gradio as gr

from rag.ingest.files import SUFFIXES, is_html as is_html_file
from rag.ingest.html_text import to_plain
from rag.index.chunk_index import Step
from rag.ingest.corpus import parse_document, read_text
from rag.paths import resolve_path
from rag.ui import docview, render
from rag.ui.notices import explain, inline_error, log
from rag.ui.upload import Uploader

# Shares of the bar: checking the files, splitting the new ones into sentences, embedding.
_SPANS = {"checking": (0.0, 0.1), "parsing": (0.1, 0.35), "embedding": (0.35, 0.97)}


def read_source(shown_path: str) -> str | None:
    """A source file's text exactly as the indexer decoded it (offsets hold), or None."""
    try:
        text, _ = read_text(resolve_path(shown_path))
    except OSError:
        return None
    return text


def progress_text(step: Step) -> str:
    if step.stage == "embedding":
        return f"Embedding passages {step.done}/{step.total}"
    verb = "Checking" if step.stage == "checking" else "Reading and splitting"
    return f"{verb} {step.name} ({step.done + 1}/{step.total})"


def _status(lines: list[str], problems: list[str] = ()) -> str:
    ok = "".join(f"<div>{render.esc(line)}</div>" for line in lines)
    return f'<div class="upload-status">{ok}{"".join(inline_error(p) for p in problems)}</div>'


class DocumentsTab:
    """Handlers over the assistant's index and the uploads folder."""

    def __init__(self, assistant, uploader: Uploader):
        self.assistant = assistant
        self.uploader = uploader
        self._refreshing = threading.Lock()  # one index update at a time
        # An upload a crash interrupted: the start-up indexing took in what was saved; say so.
        self.notices = uploader.recover({resolve_path(d.path).resolve() for d in self.docs})
        for notice in self.notices:
            log.warning(notice)

    @property
    def docs(self):
        return self.assistant.documents()

    def refresh_from_disk(self) -> str:
        """Re-index after articles changed on disk outside the chat; returns built/updated/loaded."""
        with self._refreshing:
            return self.assistant.refresh()

    def notices_html(self) -> str:
        """The status line as the page opens: empty, or what became of an interrupted upload."""
        return _status(self.notices) if self.notices else ""

    def choices(self) -> list[tuple[str, str]]:
        return [(d.title, d.id) for d in self.docs]

    def removable(self) -> set[str]:
        return {d.id for d in self.docs if self.uploader.owns(resolve_path(d.path))}

    def views(self, selected: str | None = None, doc_filter=None):
        """Documents table, reader picker and filter choices as of now: refreshed on every
        page load too, so a tab opened earlier sees articles others added or removed."""
        choices = self.choices()
        ids = {c[1] for c in choices}
        kept = [d for d in (doc_filter or []) if d in ids]
        return (docview.documents_table(self.docs, self.removable()), gr.update(choices=choices, value=selected),
                gr.update(choices=choices, value=kept))

    def read(self, doc_id):
        doc = self.assistant.document(doc_id)
        if doc is None:
            return ""
        path = resolve_path(doc.path)
        text = read_source(doc.path)
        parsed = parse_document(doc.id, path, text) if text is not None else None
        if parsed is None:
            return inline_error(f"{doc.path} can no longer be read; re-add the article or restart `rag serve`.")
        is_html = is_html_file(path)
        paragraphs = [to_plain(parsed.text[b.start:b.end]) if is_html else parsed.text[b.start:b.end]
                      for b in parsed.blocks]
        return docview.reader_html(doc.title, doc.source, doc.date, paragraphs)

    def add(self, files, doc_filter, progress=gr.Progress()):
        """Save the uploads, embed only them, swap the index; on failure keep the old one.
        Returns (files, status, table, picker, doc filter)."""
        same = gr.update()
        if not files:
            return same, _status([], [f"Choose one or more {', '.join(SUFFIXES)} files first."]), same, same, same

        def show(step: Step) -> None:
            low, high = _SPANS[step.stage]
            progress(low + (high - low) * step.fraction, desc=progress_text(step))

        with self._refreshing:
            try:
                result = self.uploader.add([(f, Path(f).name) for f in files],
                                           lambda: self.assistant.refresh(report=show), report=show)
            except Exception as exc:  # noqa: BLE001 - the index is unchanged; say so
                message = f"{explain(exc)} The upload was undone; the index is unchanged."
                return same, _status([], [message]), same, same, same
        progress(1.0, desc="Done")
        by_path = {resolve_path(d.path).resolve(): d for d in self.docs}
        added = [by_path.get(p.resolve()) for p in result.added]
        lines = [f"Added “{d.title}” ({d.n_chunks} chunk{'s' if d.n_chunks != 1 else ''})." if d else
                 f"Added {p.name}." for p, d in zip(result.added, added)]
        added = [d for d in added if d]
        status = _status(lines, [f"Not added: {p}" for p in result.problems])
        return (None, status, *self.views(added[-1].id if added else None, doc_filter))

    def row_action(self, evt: gr.EventData):
        """A click in the table: open the row's article, or ask before removing it.
        Returns (picker, confirm row, confirm text, doc id pending removal)."""
        data = evt._data or {}
        doc = self.assistant.document(data.get("doc"))
        if doc is None:
            return gr.update(), gr.update(visible=False), "", None
        if data.get("action") == "remove" and doc.id in self.removable():
            return gr.update(), gr.update(visible=True), docview.confirm_remove_html(doc.title), doc.id
        return gr.update(value=doc.id), gr.update(visible=False), "", None

    def remove(self, doc_id, doc_filter):
        """Delete the confirmed upload and refresh. Returns (status, table, picker, doc filter,
        confirm row, pending id, reader)."""
        doc = self.assistant.document(doc_id)
        hide = gr.update(visible=False)
        if doc is None:
            return _status([], ["That article is no longer indexed."]), *self.views(None, doc_filter), hide, None, ""
        with self._refreshing:
            try:
                self.uploader.delete(resolve_path(doc.path), self.assistant.refresh)
            except Exception as exc:  # noqa: BLE001 - the file is back, the index unchanged
                return _status([], [explain(exc)]), gr.update(), gr.update(), gr.update(), hide, None, gr.update()
        return _status([f"Removed “{doc.title}” from the index."]), *self.views(None, doc_filter), hide, None, ""
