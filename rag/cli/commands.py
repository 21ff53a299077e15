"""The ``rag`` command: index, search, docs (and more as features land).

User errors become one line on stderr and a non-zero exit code; only bugs
produce tracebacks.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

from rag.cli import environment
from rag.cli.flags import (add_answerer_flags, add_eval_flags, add_index_flags, add_store_flags, default_corpus,
                           make_embedder, uploads_for)
from rag.errors import RagError
from rag.text.printable import printable

EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line like every other user error."""

    def error(self, message: str):
        print(f"error: {printable(message)}; see `{self.prog} --help`.", file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rag", description="Offline question answering over news articles "
                                                             "with exact citations.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("index", help="build or update the index of a folder of articles")
    p.add_argument("dir", nargs="?", default=None, help="folder of .txt/.md/.markdown/.html/.htm articles")
    p.add_argument("--rebuild", action="store_true", help="ignore the existing index and build from scratch")
    add_index_flags(p)
    add_store_flags(p, build=True)
    p = sub.add_parser("search", help="ranked passages for a question")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=5, help="number of passages (default 5)")
    p.add_argument("--json", action="store_true", help="print the passages as JSON")
    p.add_argument("--doc", action="append", default=None, help="only this document id (repeatable)")
    p.add_argument("--date-from", default=None, help="only documents dated on/after YYYY-MM-DD")
    p.add_argument("--date-to", default=None, help="only documents dated on/before YYYY-MM-DD")
    p.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    add_index_flags(p)
    add_store_flags(p)
    p = sub.add_parser("docs", help="list the indexed documents")
    p.add_argument("--json", action="store_true")
    add_index_flags(p)
    add_store_flags(p)
    p = sub.add_parser("ask", help="a short answer with verified sentence citations")
    p.add_argument("question")
    p.add_argument("--history", default=None, help="JSON file: earlier turns [{question, answer}], oldest first")
    p.add_argument("--json", action="store_true", help="print the Answer as JSON")
    p.add_argument("-k", type=int, default=None, help="passages to read (default: the assistant's)")
    add_index_flags(p)
    add_store_flags(p)
    add_answerer_flags(p)
    p = sub.add_parser("serve", help="the web chat")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--watch", type=float, default=2.0, metavar="SECONDS",
                   help="look for articles edited, added or removed in the folder every SECONDS and re-index "
                        "(default 2; 0: never)")
    add_index_flags(p)
    add_store_flags(p)
    add_answerer_flags(p)
    add_eval_flags(sub.add_parser("eval", help="score the assistant against a gold question set"))
    return parser


def _open(args, rebuild: bool = False, progress: bool = False, warn: bool = True):
    from rag.index.open_index import open_index

    corpus = args.corpus or getattr(args, "dir", None) or default_corpus()
    embedder = make_embedder(args)
    index, status = open_index(corpus, embedder=embedder, index_dir=args.index_dir, rebuild=rebuild,
                               progress=progress, uploads_dir=uploads_for(args, corpus), store=args.store,
                               store_timeout=args.store_timeout, workers=getattr(args, "workers", 1),
                               ray_address=getattr(args, "ray", None))
    if warn:
        for warning in index.stats.warnings:
            print(f"warning: {printable(warning)}", file=sys.stderr)
    return index, embedder, status, corpus


def cmd_index(args) -> int:
    t0 = time.perf_counter()
    index, _, status, corpus = _open(args, rebuild=args.rebuild, progress=True, warn=False)
    s = index.stats
    print(f"{status} index of {corpus}: {s.documents} documents, {s.chunks} chunks, {s.sentences} sentences; "
          f"embedded {s.embedded} texts in {time.perf_counter() - t0:.1f}s")
    if s.warnings:  # last, so a long build does not scroll them away
        skipped = sum(": skipped," in w for w in s.warnings)
        print(f"{skipped} file(s) skipped, {len(s.warnings) - skipped} other warning(s):", file=sys.stderr)
        for warning in s.warnings:
            print(f"  - {printable(warning)}", file=sys.stderr)
    return 0


def cmd_search(args) -> int:
    from rag.retrieval.query import clean_query
    from rag.retrieval.retriever import Retriever

    clean_query(args.question)  # fail fast, before the model loads
    index, embedder, _, _ = _open(args)
    passages = Retriever(index, embedder).search(args.question, k=args.k, doc_ids=args.doc,
                                                 date_from=args.date_from, date_to=args.date_to, mode=args.mode)
    if args.json:
        print(json.dumps([p.to_dict() for p in passages], ensure_ascii=False, indent=1))
        return 0
    if not passages:
        print("no passages match (check the filters)")
    for rank, p in enumerate(passages, 1):
        best = p.sentences[0].text if p.sentences else p.text
        print(f"{rank}. [{p.score:.3f}] {p.title} ({p.source or 'source unknown'}, {p.date or 'date unknown'})")
        print(f"   {printable(p.source_path)}:{p.start}-{p.end}")
        print(f"   > {best}")
    return 0


def cmd_docs(args) -> int:
    index, _, _, _ = _open(args)
    rows = [{"id": d.id, "title": d.title, "source": d.source, "date": d.date, "path": d.path,
             "chunks": d.n_chunks} for d in index.docs]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for r in rows:
        print(printable_row([r["id"], r["date"] or "unknown date", r["source"] or "unknown source",
                             f"{r['chunks']} chunks", r["title"]]))
    return 0


def printable_row(fields: list[str]) -> str:
    """One tab-separated line, whatever the fields hold (a file name may hold a newline)."""
    return "\t".join(printable(str(f)) for f in fields)


def _lazy(module: str, func: str):
    """Commands owned by other modules, imported only when run."""

    def run(args) -> int:
        import importlib

        return getattr(importlib.import_module(module), func)(args)

    return run


COMMANDS = {"index": cmd_index, "search": cmd_search, "docs": cmd_docs,
            "ask": _lazy("rag.cli.ask", "run"),      # issue 3: answers
            "serve": _lazy("rag.ui.serve", "run"),   # issue 4: web chat (gradio reads the environment on import)
            "eval": _lazy("eval.run", "run_cli")}    # issue 5: evaluation


def main(argv: list[str] | None = None) -> int:
    environment.offline()  # before any library that reads these is imported
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (RagError, ValueError) as exc:  # ValueError: argument validation in the library
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted; the previous index is intact", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `rag docs | head -1`: the reader left; nothing to say, and
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
        return 0


if __name__ == "__main__":
    sys.exit(main())
