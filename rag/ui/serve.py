"""``rag serve``: check the port, load and warm up the assistant, then serve the page of
:mod:`rag.ui.app` until interrupted. The console says only what a user can act on.

Gradio reads its analytics switch from the environment when it is imported; the CLI sets it
(:func:`rag.cli.environment.offline`) before it imports this module by name.

Example:
    >>> check_port("127.0.0.1", 0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: --port must be between 1 and 65535; got 0.
"""
from __future__ import annotations

import socket
import time

import gradio as gr

from rag.errors import RagError
from rag.ingest.watch import FolderWatcher
from rag.text.printable import printable
from rag.ui.app import CHAT_CONCURRENCY, SESSIONS, build_app, page_css, page_head, theme
from rag.ui.ready import quiet_logs, warm
from rag.ui.upload import MAX_UPLOAD_BYTES


def launch(demo: gr.Blocks, *, host: str = "127.0.0.1", port: int = 7860, max_upload_bytes: int = MAX_UPLOAD_BYTES,
           block: bool = True):
    demo.queue(default_concurrency_limit=CHAT_CONCURRENCY, max_size=256)
    return demo.launch(server_name=host, server_port=port, share=False, inbrowser=False, show_error=False,
                       theme=theme(), css=page_css(), head=page_head(), footer_links=["api", "settings"],
                       run_history=False, enable_monitoring=False, ssr_mode=False, pwa=False, mcp_server=False,
                       max_file_size=4 * max_upload_bytes, prevent_thread_lock=not block, quiet=True,
                       state_session_capacity=SESSIONS)


def check_port(host: str, port: int) -> None:
    """Refuse a port that is taken or a host that is not this machine's, with the fix."""
    if not 0 < port < 65536:
        raise ValueError(f"--port must be between 1 and 65535; got {port}.")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As the server itself binds (uvicorn sets SO_REUSEADDR): connections of a crashed
        # server waiting out TIME_WAIT must not block a restart; a live listener still does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise RagError(f"cannot listen on {host}:{port} ({exc.strerror}); pass another --port, or a --host "
                           "of this machine (default 127.0.0.1).") from None


def run(args) -> int:
    """``rag serve``: load and warm up the models and the index, then serve until
    interrupted. The console says only what a user can act on."""
    from rag.answer.assistant import Assistant
    from rag.cli.flags import assistant_settings, default_corpus, uploads_for
    from rag.ui.ready import answerer_label

    corpus = args.corpus or default_corpus()
    uploads = uploads_for(args, corpus)
    check_port(args.host, args.port)  # before the model loads: fail in a second, not after a minute
    quiet_logs()
    # The first look comes before the index is read, so an edit made while it loads is not missed.
    watcher = FolderWatcher([corpus, uploads], interval=args.watch) if args.watch > 0 else None
    assistant = Assistant.open(corpus, uploads_dir=uploads, **assistant_settings(args))
    for warning in assistant.warnings:
        print(f"warning: {printable(warning)}", flush=True)
    n = len(assistant.documents())
    print(f"{n} articles from {corpus}; added articles are kept in {uploads}", flush=True)
    print(f"answers by {answerer_label(assistant.answerer.name)}; loading and warming up…", flush=True)
    seconds = warm(assistant)
    if assistant.note:
        print(f"warning: {assistant.note}", flush=True)
    demo = build_app(assistant, corpus, uploads_dir=uploads, watcher=watcher)
    try:
        launch(demo, host=args.host, port=args.port, block=False)
    except OSError as exc:  # taken between the check and the launch
        raise RagError(f"cannot listen on {args.host}:{args.port} ({exc.strerror or 'taken'}); pass another "
                       "--port.") from None
    print(f"Ready in {seconds:.1f} s: open http://{args.host}:{args.port} in a browser (Ctrl+C stops it).",
          flush=True)
    try:
        while demo.is_running:
            time.sleep(0.2)
    except KeyboardInterrupt:
        print("Stopped.", flush=True)
    finally:
        demo.close()
    return 0
