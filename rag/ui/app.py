"""The web chat (``rag serve``): a Gradio 6 app around one shared Assistant.

Layout: a Chat tab (chat on the left, sources panel on the right, settings
folded below) and a Documents tab (indexed articles, reader, upload). The
model and index load once in :func:`run`; every browser session shares them
and keeps only its own conversation in ``gr.State``.

Offline by construction: analytics off (env var set before gradio is
imported), system fonts (Gradio's default theme would fetch Google Fonts),
no share link, no run history, no monitoring, no MCP, and onnxruntime's
telemetry off (the embedder may run on it; set before it initialises).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio reads it on import
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # onnxruntime >= 1.29 phones home from Linux unless told not to

import gradio as gr  # noqa: E402

from ..errors import RagError  # noqa: E402
from ..html import to_plain  # noqa: E402
from ..ingest import parse_document, read_text  # noqa: E402
from ..meta import resolve_path  # noqa: E402
from ..query import clean_query  # noqa: E402
from . import render  # noqa: E402
from .upload import ALLOWED_SUFFIXES, MAX_UPLOAD_BYTES, Uploader  # noqa: E402

log = logging.getLogger("rag.ui")
STATIC = Path(__file__).parent / "static"
EXAMPLES = ["How many Turkish soldiers died?", "Who is NATO's secretary-general?", "Who is the Kremlin spokesman?",
            "Who led the Russian delegation in Ankara?"]
# Answers computed at once. On 2 cores (load_check, 20 users): 2 -> 3.5 req/s; 8 -> same
# throughput as 4 but p95 13 s instead of 9 s, as answers time-slice the CPU.
CHAT_CONCURRENCY = 4
SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]


def theme() -> gr.themes.Theme:
    return gr.themes.Default(font=SYSTEM_FONTS, font_mono=MONO_FONTS)


def page_head() -> str:
    return f"<script>{(STATIC / 'cite.js').read_text(encoding='utf-8')}</script>"


def page_css() -> str:
    return (STATIC / "chat.css").read_text(encoding="utf-8")


def read_source(shown_path: str) -> str | None:
    """A source file's text exactly as the indexer decoded it (offsets hold), or None."""
    try:
        text, _ = read_text(resolve_path(shown_path))
    except OSError:
        return None
    return text


def user_error(message: str) -> gr.Error:
    """A short message for the user. Gradio renders it as HTML, and it may quote
    a file name or a date the user typed, so it is escaped."""
    return gr.Error(render.esc(message), print_exception=False)


def _explain(exc: Exception) -> str:
    """Domain errors say what to do; anything else is logged, never shown as a traceback."""
    if isinstance(exc, (RagError, ValueError)):
        return str(exc)
    log.exception("unexpected error in the chat")
    return "Something went wrong on the server; the details are in its log. Try again."


def _iso(value: str, name: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise user_error(f"{name} {value!r} is not a date; use YYYY-MM-DD, e.g. 2020-02-28.") from None


class ChatApp:
    """Event handlers over one Assistant; ``build`` lays out the page."""

    def __init__(self, assistant, corpus_dir: str | Path, *, uploads_dir: str | Path, stream_delay: float = 0.1,
                 max_upload_bytes: int = MAX_UPLOAD_BYTES):
        self.assistant = assistant
        self.uploader = Uploader(uploads_dir, corpus_dir=corpus_dir, max_bytes=max_upload_bytes)
        self.stream_delay = stream_delay
        self._refreshing = threading.Lock()  # one index update at a time
        self.default_k = int(getattr(assistant, "k", 8))

    @property
    def docs(self):
        return list(self.assistant.retriever.index.docs)

    def doc_choices(self) -> list[tuple[str, str]]:
        return [(d.title, d.id) for d in self.docs]

    # -- chat ---------------------------------------------------------------
    def respond(self, message, chat, turns, k, doc_ids, date_from, date_to):
        """Stream one answer: a pending note, the text growing, then the final
        message with linked markers and the sources panel."""
        try:
            question = clean_query(message or "")
        except RagError as exc:
            raise user_error(str(exc)) from None
        filters = {"k": int(k), "doc_ids": list(doc_ids or []) or None,
                   "date_from": _iso(date_from, "From date"), "date_to": _iso(date_to, "To date")}
        chat = list(chat or []) + [{"role": "user", "content": render.esc(question)},
                                   {"role": "assistant", "content": render.pending_html(len(self.docs))}]
        panel = render.sources_panel([(t["question"], t["sources"]) for t in turns])
        yield chat, "", turns, panel
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
                    yield chat, "", turns, panel
        except Exception as exc:  # noqa: BLE001 - the edge: becomes a short message
            message = _explain(exc)
            chat[-1] = {"role": "assistant", "content": f'<div class="failed">{render.esc(message)}</div>'}
            yield chat, question, turns, panel  # the question stays in the box to retry
            raise user_error(message) from None
        turn = len(turns) + 1
        texts = {c.source_path: read_source(c.source_path) for c in answer.citations}
        turns = turns + [{"question": question, "answer": answer.text,
                          "sources": render.turn_sources(answer, turn, texts)}]
        chat[-1] = {"role": "assistant", "content": render.answer_html(answer, turn, asked=question)}
        yield chat, "", turns, render.sources_panel([(t["question"], t["sources"]) for t in turns])

    @staticmethod
    def new_conversation():
        return [], "", [], render.sources_panel([])

    # -- documents ----------------------------------------------------------
    def read_article(self, doc_id):
        doc = self.assistant.retriever.index.doc_by_id.get(doc_id) if doc_id else None
        if doc is None:
            return ""
        path = resolve_path(doc.path)
        text = read_source(doc.path)
        parsed = parse_document(doc.id, path, text) if text is not None else None
        if parsed is None:
            raise user_error(f"{doc.path} can no longer be read; re-add the article or restart `rag serve`.")
        is_html = path.suffix.lower() in {".html", ".htm"}
        paragraphs = [to_plain(parsed.text[b.start:b.end]) if is_html else parsed.text[b.start:b.end]
                      for b in parsed.blocks]
        return render.reader_html(doc.title, doc.source, doc.date, paragraphs)

    def add_articles(self, files, progress=gr.Progress()):
        """Save the uploads, embed only them, swap the index; on failure keep the old one."""
        if not files:
            raise user_error("Choose one or more .txt, .md or .html files first.")
        progress(0.1, desc="Checking files")

        def refresh():
            progress(0.4, desc="Cleaning, chunking and embedding the new articles")
            self.assistant.refresh()

        with self._refreshing:
            try:
                result = self.uploader.add([(f, Path(f).name) for f in files], refresh)
            except Exception as exc:  # noqa: BLE001 - the index is unchanged; say so
                raise user_error(f"{_explain(exc)} The upload was undone; the index is unchanged.") from None
        progress(1.0, desc="Done")
        by_path = {resolve_path(d.path).resolve(): d for d in self.docs}
        added = [by_path.get(p.resolve()) for p in result.added]
        lines = [f"Added “{d.title}” ({d.n_chunks} chunk{'s' if d.n_chunks != 1 else ''})." if d else
                 f"Added {p.name}." for p, d in zip(result.added, added)]
        added = [d for d in added if d]
        for problem in result.problems:
            gr.Warning(render.esc(problem))
        lines += [f"Not added: {p}" for p in result.problems]
        status = "<br>".join(render.esc(line) for line in lines) or "Nothing was added."
        table, pick, filter_ = self.document_views(added[-1].id if added else None)
        return None, f'<div class="upload-status">{status}</div>', table, pick, filter_

    def document_views(self, selected: str | None = None):
        """Documents table, reader picker and filter choices as of now: refreshed on
        every page load too, so a tab opened earlier sees articles others added."""
        choices = self.doc_choices()
        return render.documents_table(self.docs), gr.update(choices=choices, value=selected), gr.update(choices=choices)

    # -- layout ---------------------------------------------------------------
    def build(self) -> gr.Blocks:
        with gr.Blocks(title="News QA — answers with citations", fill_width=True) as demo:
            gr.Markdown("### Ask the news articles\nEvery claim links to the sentence it comes from: "
                        "click a marker like [1] to see it highlighted in its article.")
            with gr.Tab("Chat"):
                turns = gr.State([])
                with gr.Row():
                    with gr.Column(scale=3):
                        chat = gr.Chatbot(elem_id="chat", height=520, render_markdown=False, label="Chat",
                                          buttons=["copy"], feedback_options=None)
                        with gr.Row():
                            box = gr.Textbox(placeholder="Ask a question about the articles…", show_label=False,
                                             scale=5, elem_id="question", max_length=2000, submit_btn=True)
                            new = gr.Button("New conversation", scale=1, elem_id="new-conversation")
                        examples = gr.Dataset(components=[box], samples=[[q] for q in EXAMPLES],
                                              label="Examples", elem_id="examples")
                    with gr.Column(scale=2):
                        sources = gr.HTML(render.sources_panel([]), elem_id="sources", js_on_load=None)
                with gr.Accordion("Settings", open=False, elem_id="settings"):
                    with gr.Row():
                        k = gr.Slider(1, 20, value=self.default_k, step=1, label="Passages to read")
                        doc_ids = gr.Dropdown(self.doc_choices(), multiselect=True, label="Only these articles",
                                              elem_id="doc-filter")
                        date_from = gr.Textbox(label="From date", placeholder="YYYY-MM-DD")
                        date_to = gr.Textbox(label="To date", placeholder="YYYY-MM-DD")
            with gr.Tab("Documents"):
                docs_table = gr.HTML(render.documents_table(self.docs), elem_id="documents", js_on_load=None)
                with gr.Row():
                    with gr.Column(scale=3):
                        pick = gr.Dropdown(self.doc_choices(), label="Read an article", elem_id="pick")
                        reader = gr.HTML(elem_id="reader", js_on_load=None)
                    with gr.Column(scale=2):
                        files = gr.File(file_count="multiple", file_types=list(ALLOWED_SUFFIXES), type="filepath",
                                        label=f"Add articles ({', '.join(ALLOWED_SUFFIXES)}, up to "
                                              f"{self.uploader.max_bytes // 1000:,} KB each)", elem_id="upload")
                        add = gr.Button("Add to index", variant="primary", elem_id="add")
                        status = gr.HTML(elem_id="upload-status", js_on_load=None)
            ask = dict(fn=self.respond, inputs=[box, chat, turns, k, doc_ids, date_from, date_to],
                       outputs=[chat, box, turns, sources], concurrency_limit=CHAT_CONCURRENCY,
                       concurrency_id="chat")
            box.submit(**ask, api_name="ask")
            examples.click(lambda row: row[0], examples, box, queue=False, api_name=False).then(
                **{**ask, "api_name": False})
            for event in (new.click, chat.clear):  # the chat's own bin icon starts over too
                event(self.new_conversation, None, [chat, box, turns, sources], queue=False, api_name=False)
            demo.load(self.document_views, None, [docs_table, pick, doc_ids], queue=False, api_name=False)
            pick.change(self.read_article, pick, reader, api_name=False)
            add.click(self.add_articles, files, [files, status, docs_table, pick, doc_ids], concurrency_limit=1,
                      api_name="add_articles")
        return demo


def build_app(assistant, corpus_dir: str | Path, **settings) -> gr.Blocks:
    """The chat page for ``assistant`` serving ``corpus_dir``; ``uploads_dir`` (a
    setting) is where added articles go, outside the corpus."""
    return ChatApp(assistant, corpus_dir, **settings).build()


def launch(demo: gr.Blocks, *, host: str = "127.0.0.1", port: int = 7860, max_upload_bytes: int = MAX_UPLOAD_BYTES,
           block: bool = True):
    demo.queue(default_concurrency_limit=CHAT_CONCURRENCY, max_size=256)
    return demo.launch(server_name=host, server_port=port, share=False, inbrowser=False, show_error=False,
                       theme=theme(), css=page_css(), head=page_head(), footer_links=["api", "settings"],
                       run_history=False, enable_monitoring=False, ssr_mode=False, pwa=False, mcp_server=False,
                       max_file_size=4 * max_upload_bytes, prevent_thread_lock=not block)


def check_port(host: str, port: int) -> None:
    """Refuse a port that is taken or a host that is not this machine's, with the fix."""
    if not 0 < port < 65536:
        raise ValueError(f"--port must be between 1 and 65535; got {port}.")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise RagError(f"cannot listen on {host}:{port} ({exc.strerror}); pass another --port, or a --host "
                           "of this machine (default 127.0.0.1).") from None


def run(args) -> int:
    """``rag serve``: load the model and index once, then serve until interrupted."""
    from ..answer.assistant import Assistant
    from ..cli import answerer_settings, default_corpus, uploads_for

    corpus = args.corpus or default_corpus()
    uploads = uploads_for(args, corpus)
    check_port(args.host, args.port)  # before the model loads: fail in a second, not after a minute
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    assistant = Assistant.open(corpus, index_dir=args.index_dir, model=args.model, uploads_dir=uploads,
                               **answerer_settings(args))
    assistant.warm_up()  # the model loads now, not during the first question
    if assistant.note:
        print(f"warning: {assistant.note}", flush=True)
    n = len(assistant.retriever.index.docs)
    print(f"serving {n} documents from {corpus} at http://{args.host}:{args.port}", flush=True)
    launch(build_app(assistant, corpus, uploads_dir=uploads), host=args.host, port=args.port)
    return 0
