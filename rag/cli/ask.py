"""``rag ask "QUESTION" [--history FILE] [--json]``: one answer on the terminal.

Without ``--json``: the answer, the query actually searched when a follow-up
was rewritten, then the numbered sources (or, on a refusal, the closest
passages as "related"). With ``--json``: exactly the fields of
:class:`~rag.records.Answer`. Bad input (an empty or huge question, an
unreadable history file) raises :class:`~rag.errors.QueryError`, which
``rag.cli.commands.main`` prints as one line and exit code 2.
"""
from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

from rag.errors import QueryError
from rag.answer.followup import turns
from rag.retrieval.query import clean_query
from rag.records import Answer


def read_history(path: str | None) -> list[dict]:
    """Turns from a JSON file: ``[{"question": ..., "answer": ...}, ...]``, oldest first."""
    if path is None:
        return []
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise QueryError(f"history file {path!r} does not exist; pass a JSON file of earlier turns.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise QueryError(f"cannot read history file {path!r} ({exc}); it must be JSON like "
                         '[{"question": "Who is Peskov?", "answer": "Kremlin spokesman"}].') from None
    if not isinstance(data, list):
        raise QueryError(f"history file {path!r} holds a {type(data).__name__}; it must be a JSON list of "
                         '{"question": ..., "answer": ...} objects, oldest first.')
    return [{"question": q, "answer": a} for q, a in turns(data)]


def render(answer: Answer, asked: str) -> str:
    """The answer as plain text for a terminal."""
    lines = [textwrap.fill(answer.text, width=100)]
    if answer.note:
        lines.insert(0, f"note: {answer.note}")
    if answer.query != asked:
        lines.append(f"(searched for: {answer.query})")
    if answer.disagreements:
        for d in answer.disagreements:
            versions = "; ".join(f"{v.value} [{v.citation}]" for v in d.versions)
            lines.append(f"Sources disagree on “{d.about}”: {versions}")
    if answer.citations:
        lines.append("\nSources:")
        for c in answer.citations:
            meta = ", ".join(x for x in (c.source, c.date) if x)
            lines.append(f"[{c.n}] {c.title}" + (f" ({meta})" if meta else "") + f" — {c.source_path}:{c.start}-{c.end}")
            lines.append(textwrap.fill(f"“{c.text}”", width=100, initial_indent="    ", subsequent_indent="    "))
    elif answer.passages:
        lines.append("\nRelated passages:")
        for p in answer.passages[:3]:
            best = p.sentences[0].text if p.sentences else p.text
            lines.append(f"- {p.title} — {p.source_path}:{p.start}-{p.end}")
            lines.append(textwrap.fill(f"“{best}”", width=100, initial_indent="    ", subsequent_indent="    "))
    return "\n".join(lines)


def run(args) -> int:
    from rag.answer.assistant import Assistant
    from rag.cli.flags import assistant_settings, default_corpus, uploads_for

    question = clean_query(args.question)  # fail fast, before the model loads
    history = read_history(args.history)
    settings = {"k": args.k} if args.k else {}
    corpus = args.corpus or default_corpus()
    assistant = Assistant.open(corpus, uploads_dir=uploads_for(args, corpus), **assistant_settings(args), **settings)
    for warning in assistant.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    answer = assistant.ask(question, history=history)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(render(answer, question))
    return 0
