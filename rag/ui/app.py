"""The web chat (``rag serve``): a Gradio 6 app around one shared Assistant.

Layout: a status line with the theme switch; a Chat tab (chat on the left,
sources panel on the right, which is a drawer over the chat on a phone;
filters folded below) and a Documents tab (indexed articles, reader, upload,
removal). The handlers live in :mod:`rag.ui.chat` and :mod:`rag.ui.documents`;
this module lays out the page and wires events. The model and index load and
are exercised once in :func:`rag.ui.serve.run` before the port opens (:mod:`rag.ui.ready`);
every browser session shares them and keeps only its own conversation in
``gr.State``.

Offline by construction: system fonts (Gradio's default theme would fetch
Google Fonts), no share link, no run history, no monitoring, no MCP. Gradio's
analytics and onnxruntime's telemetry are switched off by ``rag serve`` before
either is imported (:func:`rag.cli.environment.offline`: environment variables,
which library code does not touch); a program importing this module itself
sets ``GRADIO_ANALYTICS_ENABLED=False`` first.
"""
from __future__ import annotations

from pathlib import Path

import gradio as gr

from rag.ingest.files import SUFFIXES
from rag.ingest.watch import FolderWatcher
from rag.ui import render
from rag.ui.blocks import CheckedBlocks
from rag.ui.chat import ChatTab
from rag.ui.documents import DocumentsTab
from rag.ui.ready import ready_html
from rag.ui.upload import MAX_UPLOAD_BYTES, Uploader

STATIC = Path(__file__).parent / "static"
EXAMPLES = ["How many Turkish soldiers died?", "Who is NATO's secretary-general?", "Who is the Kremlin spokesman?",
            "Who led the Russian delegation in Ankara?"]
# Answers computed at once. On 2 cores (load_check, 20 users): 2 -> 3.5 req/s; 8 -> same
# throughput as 4 but p95 13 s instead of 9 s, as answers time-slice the CPU.
CHAT_CONCURRENCY = 4
# Sessions whose state (the conversation for follow-ups, Gradio's copy of the page
# config) is kept; the oldest goes first. Gradio's default, 10,000, let memory grow
# by ~90 KB a request with no plateau when every API call is a new session
# (benchmarks/soak_memory.py); an evicted session only loses its follow-up context.
SESSIONS = 256
SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
THEME_SWITCH = ('<div class="theme-switch" role="radiogroup" aria-label="Colour theme">'
                + "".join(f'<button type="button" role="radio" data-theme-choice="{v}" aria-checked="false" '
                          f'title="{t}">{label}</button>'
                          for v, label, t in [("auto", "Auto", "Follow the system's light or dark setting"),
                                              ("light", "Light", "Always light"), ("dark", "Dark", "Always dark")])
                + "</div>")
# The documents table is re-rendered on every change; one listener on its box turns clicks
# (and Enter on a focused row) into a select event with the row's document and the action.
TABLE_JS = """
element.addEventListener('click', (e) => {
  const remove = e.target.closest('button.remove-doc');
  const row = e.target.closest('tr[data-doc]');
  if (remove) trigger('select', {doc: remove.dataset.doc, action: 'remove'});
  else if (row) trigger('select', {doc: row.dataset.doc, action: 'read'});
});
element.addEventListener('keydown', (e) => {
  const row = e.target.closest('tr[data-doc]');
  if (row && e.key === 'Enter') trigger('select', {doc: row.dataset.doc, action: 'read'});
});
"""


def theme() -> gr.themes.Theme:
    return gr.themes.Default(font=SYSTEM_FONTS, font_mono=MONO_FONTS)


def page_head() -> str:
    return "".join(f"<script>{(STATIC / name).read_text(encoding='utf-8')}</script>" for name in ("ui.js", "cite.js"))


def page_css() -> str:
    return (STATIC / "chat.css").read_text(encoding="utf-8")


def build_app(assistant, corpus_dir: str | Path, *, uploads_dir: str | Path, stream_delay: float = 0.1,
              max_upload_bytes: int = MAX_UPLOAD_BYTES, watcher: FolderWatcher | None = None) -> gr.Blocks:
    """The chat page for ``assistant`` serving ``corpus_dir``; added articles go to
    ``uploads_dir``, outside the corpus (:mod:`rag.ingest.userdata`). A ``watcher`` is started
    here: articles changed on disk are re-indexed, one update at a time with uploads.

    Why one long function (over 60 lines): Gradio components exist only inside the
    ``with Blocks()`` block that lays them out, and the events wired below name them
    as local variables; the handlers themselves live in :mod:`rag.ui.chat` and
    :mod:`rag.ui.documents`, so what is left is layout and wiring, read top to bottom."""
    chat_tab = ChatTab(assistant, stream_delay=stream_delay)
    uploader = Uploader(uploads_dir, corpus_dir=corpus_dir, max_bytes=max_upload_bytes)
    docs_tab = DocumentsTab(assistant, uploader)
    if watcher is not None:
        watcher.on_change = lambda: print(f"articles changed on disk: index {docs_tab.refresh_from_disk()}, "
                                          f"{len(docs_tab.docs)} articles", flush=True)
        watcher.start()
    with CheckedBlocks(title="News QA — answers with citations", fill_width=True) as demo:
        with gr.Row(elem_id="top"):
            gr.Markdown("### Ask the news articles\nEvery claim links to the sentence it comes from: "
                        "click a marker like [1] to see it highlighted in its article.")
            with gr.Column(scale=0, min_width=250):
                ready = gr.HTML(ready_html(assistant), elem_id="ready", js_on_load=None)
                gr.HTML(THEME_SWITCH, elem_id="theme", js_on_load=None)
        with gr.Tab("Chat"):
            turns = gr.State([])
            with gr.Row():
                with gr.Column(scale=3, min_width=300):
                    chat = gr.Chatbot(elem_id="chat", height=520, render_markdown=False, label="Chat",
                                      buttons=["copy"], feedback_options=None)
                    with gr.Row(elem_id="ask-row"):
                        box = gr.Textbox(placeholder="Ask a question about the articles…", show_label=False,
                                         scale=5, elem_id="question", submit_btn="Ask", lines=1)
                        new = gr.Button("New conversation", scale=1, elem_id="new-conversation", min_width=120)
                    question_error = gr.HTML(elem_id="question-error", js_on_load=None)
                    with gr.Row(elem_id="filter-row"):
                        filter_bar = gr.HTML(elem_id="filter-bar", js_on_load=None)
                        clear = gr.Button("Clear filters", visible=False, size="sm", scale=0, elem_id="clear-filters",
                                          min_width=110)
                    with gr.Row(visible=False, elem_id="reset-offer") as offer_row:
                        offer = gr.HTML(js_on_load=None)
                        offer_clear = gr.Button("Clear filters", size="sm", scale=0, min_width=110,
                                                elem_id="offer-clear")
                        offer_keep = gr.Button("Keep them", size="sm", scale=0, min_width=100, elem_id="offer-keep")
                    examples = gr.Dataset(components=[box], samples=[[q] for q in EXAMPLES],
                                          label="Examples", elem_id="examples")
                with gr.Column(scale=2, min_width=300, elem_id="sources-col"):
                    sources = gr.HTML(render.sources_panel([]), elem_id="sources", js_on_load=None)
            with gr.Accordion("Settings and filters", open=False, elem_id="settings") as settings:
                with gr.Row():
                    k = gr.Slider(1, 20, value=int(getattr(assistant, "k", 8)), step=1, label="Passages to read")
                    doc_ids = gr.Dropdown(docs_tab.choices(), multiselect=True, label="Only these articles",
                                          elem_id="doc-filter")
                    date_from = gr.Textbox(label="From date", placeholder="YYYY-MM-DD", elem_id="date-from")
                    date_to = gr.Textbox(label="To date", placeholder="YYYY-MM-DD", elem_id="date-to")
                date_error = gr.HTML(elem_id="date-error", js_on_load=None)
        with gr.Tab("Documents"):
            docs_table = gr.HTML(docs_tab.views()[0], elem_id="documents", js_on_load=TABLE_JS)
            with gr.Row(visible=False, elem_id="confirm-remove") as confirm_row:
                confirm_text = gr.HTML(js_on_load=None)
                confirm = gr.Button("Remove", variant="stop", size="sm", scale=0, min_width=90, elem_id="confirm")
                cancel = gr.Button("Cancel", size="sm", scale=0, min_width=90, elem_id="cancel")
            pending = gr.State(None)
            with gr.Row():
                with gr.Column(scale=3, min_width=300):
                    pick = gr.Dropdown(docs_tab.choices(), label="Read an article", elem_id="pick")
                    reader = gr.HTML(elem_id="reader", js_on_load=None)
                with gr.Column(scale=2, min_width=300):
                    files = gr.File(file_count="multiple", file_types=list(SUFFIXES), type="filepath",
                                    label=f"Add articles ({', '.join(SUFFIXES)}, up to "
                                          f"{uploader.max_bytes // 1000:,} KB each)", elem_id="upload")
                    add = gr.Button("Add to index", variant="primary", elem_id="add")
                    status = gr.HTML(docs_tab.notices_html(), elem_id="upload-status", js_on_load=None)

        filters = [doc_ids, date_from, date_to]
        # The bar follows every edit (queued one at a time, the last edit last); a bad date is
        # said when the user leaves the field or presses Enter, not while they are typing it.
        filter_view = dict(fn=chat_tab.filters, inputs=filters, outputs=[filter_bar, clear], concurrency_limit=1,
                           concurrency_id="filters", api_name=False, show_progress="hidden")
        date_check = dict(fn=chat_tab.date_error, inputs=[date_from, date_to], outputs=date_error, queue=False,
                          api_name=False, show_progress="hidden")
        ask = dict(fn=chat_tab.respond, inputs=[box, chat, turns, k, *filters],
                   outputs=[chat, box, turns, sources, question_error, date_error, settings],
                   concurrency_limit=CHAT_CONCURRENCY, concurrency_id="chat")
        box.submit(**ask, api_name="ask")
        examples.click(lambda row: row[0], examples, box, queue=False, api_name=False).then(
            **{**ask, "api_name": False})
        restart = dict(fn=chat_tab.new_conversation, inputs=filters,
                       outputs=[chat, box, turns, sources, question_error, offer_row, offer], queue=False,
                       api_name=False)
        new.click(**restart)
        chat.clear(**restart)  # the chat's own bin icon starts over too
        for button in (clear, offer_clear):
            button.click(chat_tab.clear_filters, None, [*filters, filter_bar, clear, offer_row, date_error],
                         queue=False, api_name=False)
        offer_keep.click(lambda: gr.update(visible=False), None, offer_row, queue=False, api_name=False)
        for field in filters:
            field.change(**filter_view)
        for field in (date_from, date_to):
            field.blur(**date_check)
            field.submit(**date_check)

        tables = [docs_table, pick, doc_ids]
        demo.load(docs_tab.views, [pick, doc_ids], tables, queue=False, api_name=False)
        pick.change(docs_tab.read, pick, reader, api_name=False)
        docs_table.select(docs_tab.row_action, None, [pick, confirm_row, confirm_text, pending], queue=False,
                          api_name=False)
        confirm.click(docs_tab.remove, [pending, doc_ids], [status, *tables, confirm_row, pending, reader],
                      concurrency_limit=1, concurrency_id="index", api_name=False).then(
            lambda: ready_html(assistant), None, ready, queue=False, api_name=False)
        cancel.click(lambda: (gr.update(visible=False), None), None, [confirm_row, pending], queue=False,
                     api_name=False)
        files.upload(lambda: "", None, status, queue=False, api_name=False, show_progress="hidden")
        add.click(lambda: gr.update(interactive=False, value="Adding…"), None, add, queue=False, api_name=False).then(
            docs_tab.add, [files, doc_ids], [files, status, *tables], concurrency_limit=1, concurrency_id="index",
            show_progress_on=[status], api_name="add_articles").then(
            lambda: (gr.update(interactive=True, value="Add to index"), ready_html(assistant)), None, [add, ready],
            queue=False, api_name=False)
    return demo
