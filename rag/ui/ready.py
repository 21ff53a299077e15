"""Start-up of ``rag serve``: everything loads before the server says it is ready.

Left lazy, the first question pays for loading the embedding model, spaCy,
the answering model and the first parses (10.7 s measured, against 0.2–0.6 s
for the next ones). :func:`warm` pays that before the port opens: the model
loads, the index's sentences are parsed into the parse cache (as answering
would parse them), and two questions drawn from the articles' titles go
through the whole pipeline. The console then prints only what a user can act
on (:func:`quiet_logs` silences library chatter).

Example:
    >>> answerer_label("llm:llama.cpp:qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
    'the local model qwen2.5-coder-1.5b-instruct-q4_k_m.gguf'
"""
from __future__ import annotations

import logging
import time

from rag.ui.render import esc

WARM_QUESTIONS = 2
WARM_SENTENCES = 2000  # at most this many sentences parsed ahead (the parse cache holds 4096)


def quiet_logs() -> None:
    """Warnings and errors only, one line each. The level is set on the console handler, not
    the loggers: some libraries (bm25s) set their own logger to DEBUG when first imported."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.WARNING)


def warm(assistant) -> float:
    """Load and exercise every part an answer uses; returns the seconds it took."""
    t0 = time.perf_counter()
    assistant.warm_up(sentences=WARM_SENTENCES)
    for doc in assistant.documents()[:WARM_QUESTIONS]:
        assistant.ask(f"What does the article “{doc.title}” report?")
    return time.perf_counter() - t0


def answerer_label(name: str) -> str:
    """Who answers, in words: the rule reader, a local model file, or a server's model."""
    if not name or name == "rules":
        return "the rule reader"
    kind, _, model = name.partition(":")[2].partition(":")
    return f"the local model {model}" if kind == "llama.cpp" else f"the model {model} (OpenAI-compatible server)"


def ready_html(assistant) -> str:
    """The page's status line: ready, how many articles, who answers (and why not the model)."""
    n = len(assistant.documents())
    note = f' <span class="fallback-note">{esc(assistant.note)}</span>' if assistant.note else ""
    return (f'<div class="ready" data-ready="true" role="status"><span class="dot"></span> Ready · {n} article'
            f'{"s" if n != 1 else ""} · answers by {esc(answerer_label(assistant.answerer.name))}{note}</div>')
