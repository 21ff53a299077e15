"""The Chat tab's event handlers: answers, filters, starting over.

Errors are shown inline, next to what caused them, and cleared by the next
action: an empty or too long question under the question box (the text stays
there to fix), a bad date under the date fields (Settings opens to show it),
a failure while answering as the assistant's message. Nothing raises
``gr.Error``, whose toasts pile up over the chat until closed one by one.

Filters are never silent: while any is on, a bar under the question box says
which and how many articles they leave, with a button to clear them; every
answer repeats it, and "New conversation" offers to clear them.

Example:
    >>> check_date(" 2020-02-28 ", "From date"), check_date("next week", "To date")[0]
    (('2020-02-28', None), None)
"""
from __future__ import annotations

import time

import gradio as gr

from rag.errors import QueryError, RagError
from rag.ingest.html_text import to_plain
from rag.retrieval.query import clean_query, iso_date
from rag.ui import render
from rag.ui.documents import read_source
from rag.ui.notices import explain, inline_error


def check_date(value: str, name: str) -> tuple[str | None, str | None]:
    """``(ISO date or None, error or None)`` for what was typed in a date field."""
    try:
        return iso_date((value or "").strip(), name), None
    except QueryError as exc:
        return None, str(exc)


def _question(message: str) -> str:
    """The question as the assistant should read it: pasted HTML becomes its visible text."""
    text = message or ""
    return to_plain(text) if "<" in text and ">" in text else text


class ChatTab:
    """Handlers over one Assistant; the layout is in :mod:`rag.ui.app`."""

    def __init__(self, assistant, *, stream_delay: float = 0.1):
        self.assistant = assistant
        self.stream_delay = stream_delay

    def scope(self, doc_ids, date_from: str | None, date_to: str | None) -> str | None:
        return self.assistant.scope(doc_ids, date_from, date_to)  # an article removed meanwhile is dropped

    def filters(self, doc_ids, date_from, date_to):
        """The filter bar and its Clear button, as the fields stand now (a date still being
        typed counts once it is a date)."""
        note = self.scope(doc_ids, check_date(date_from, "")[0], check_date(date_to, "")[0])
        bar = f'<div class="filter-bar">Filters on. {render.esc(note)}</div>' if note else ""
        return bar, gr.update(visible=bool(note))

    @staticmethod
    def date_error(date_from, date_to) -> str:
        error = check_date(date_from, "From date")[1] or check_date(date_to, "To date")[1]
        return inline_error(error) if error else ""

    def respond(self, message, chat, turns, k, doc_ids, date_from, date_to):
        """Stream one answer: a pending note, the text growing, then the final message
        with linked markers and the sources panel. Yields (chat, box, turns, sources,
        question error, date error, settings)."""
        same = gr.update()
        try:
            question = clean_query(_question(message))
        except RagError as exc:
            yield chat, same, turns, same, inline_error(str(exc)), same, same
            return
        (start, bad_from), (end, bad_to) = check_date(date_from, "From date"), check_date(date_to, "To date")
        if bad_from or bad_to:
            yield (chat, same, turns, same, inline_error("Check the dates in Settings below."),
                   inline_error(bad_from or bad_to), gr.update(open=True))
            return
        filters = {"k": int(k), "doc_ids": list(doc_ids or []) or None, "date_from": start, "date_to": end}
        chat = list(chat or []) + [{"role": "user", "content": render.question_html(question)},
                                   {"role": "assistant", "content": render.pending_html(len(self.docs))}]
        panel = render.sources_panel([(t["question"], t["sources"]) for t in turns])
        yield chat, "", turns, panel, "", "", same
        history = [{"question": t["question"], "answer": t["answer"]} for t in turns]
        answer, shown, last = None, "", 0.0
        try:  # the model's words as they come; the verified, linked answer replaces them at the end
            for item in self.assistant.ask_stream(question, history=history, **filters):
                if not isinstance(item, str):
                    answer = item
                    break
                shown += item
                if time.monotonic() - last >= self.stream_delay:
                    last = time.monotonic()
                    chat[-1] = {"role": "assistant", "content": render.streaming_html(shown.strip())}
                    yield chat, "", turns, panel, "", "", same
        except Exception as exc:  # noqa: BLE001 - the edge: becomes a short message in the chat
            chat[-1] = {"role": "assistant", "content": render.failed_html(explain(exc))}
            yield chat, question, turns, panel, "", "", same  # the question stays in the box to retry
            return
        turn = len(turns) + 1
        texts = {c.source_path: read_source(c.source_path) for c in answer.citations}
        turns = turns + [{"question": question, "answer": answer.text,
                          "sources": render.turn_sources(answer, turn, texts)}]
        chat[-1] = {"role": "assistant", "content": render.answer_html(answer, turn, asked=question)}
        yield chat, "", turns, render.sources_panel([(t["question"], t["sources"]) for t in turns]), "", "", same

    @property
    def docs(self):
        return self.assistant.documents()

    def new_conversation(self, doc_ids, date_from, date_to):
        """Start over; if filters are on, offer to clear them too. Yields (chat, box, turns,
        sources, question error, offer row, offer text)."""
        note = self.scope(doc_ids, check_date(date_from, "")[0], check_date(date_to, "")[0])
        offer = f"<p>New conversation. The filters are still on: {render.esc(note)} Clear them too?</p>" if note else ""
        return [], "", [], render.sources_panel([]), "", gr.update(visible=bool(note)), offer

    @staticmethod
    def clear_filters():
        """(doc filter, from, to, filter bar, clear button, offer row, date error) all reset."""
        return [], "", "", "", gr.update(visible=False), gr.update(visible=False), ""
