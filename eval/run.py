"""``rag eval``: ask every gold question of each answerer, score the answers, write the report.

    rag eval [--gold FILE] [--corpus DIR] [--out DIR] [-k N] [--format auto|jsonl|squad] [--limit N] [--seed S]
             [--index-dir DIR] [--model M] [--embed-backend auto|onnx|torch] [--cache-dir DIR]
             [--answerer llm|rules|both] [--llm-model 0.5b|1.5b|PATH] [--llm-url URL [--llm-name NAME]]
             [--llm-timeout S]
    python -m eval ...   python eval/run.py ...      (the same flags)

Only the public API is used: one ``Assistant`` per answerer answers, all on
the same index and embedder, so retrieval is the same for each; ``open_index``
lists the indexed chunks (so nDCG knows how many relevant passages exist)
and a ``Retriever`` on that index ranks ``k`` passages for the assistant's
query. Scoring is :mod:`eval.scoring`; "correct" is :func:`eval.answer_match.correct`.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import sys
from pathlib import Path

if __package__ in (None, ""):  # `python eval/run.py`: make `eval` and `rag` importable, and keep
    sys.path[0] = str(Path(__file__).resolve().parents[1])  # eval/ off the path (eval/datasets.py is no `datasets`)
    __package__ = "eval"  # noqa: A001 - lets the relative imports below work

from eval import datasets, report  # noqa: E402
from eval.asking import ask_all, open_assistant  # noqa: E402
from eval.journal import NAME as JOURNAL, Journal  # noqa: E402
from eval.scoring import relevant_counts, score  # noqa: E402
from rag.cli import environment  # noqa: E402
from rag.cli.flags import add_eval_flags, embedding_settings  # noqa: E402

EVAL_DIR = Path(__file__).resolve().parent
ROOT = EVAL_DIR.parent
DEFAULT_GOLD = EVAL_DIR / "gold.jsonl"
DEFAULT_OUT = EVAL_DIR / "out"
FLOORS = EVAL_DIR / "floors.json"
EXIT_USER_ERROR = 2
ANSWERERS = ("llm", "rules")  # what --answerer both runs, in report column order; llm is the assistant's default


def build_parser() -> argparse.ArgumentParser:
    """The flags of ``rag eval`` (:func:`rag.cli.flags.add_eval_flags`, the one definition)."""
    return add_eval_flags(argparse.ArgumentParser(prog="python -m eval", description="Score the assistant against a "
                                                 "gold question set; writes results, metrics and a report."))


def answerer_names(choice: str) -> tuple[str, ...]:
    """``--answerer`` as the tuple of answerers to run.

    >>> answerer_names("both"), answerer_names("rules")
    (('llm', 'rules'), ('rules',))
    """
    return ANSWERERS if choice == "both" else (choice,)


def evaluate(gold=None, *, corpus=None, out=None, k: int = 10, fmt: str = "auto", limit: int | None = None,
             seed: int = 13, index_dir=None, model: str | None = None, embed_backend: str = "auto", cache_dir=None,
             embedder=None, answerers=ANSWERERS,
             assistants: dict | None = None, llm_model=None, llm_url: str | None = None, llm_name: str | None = None,
             llm_timeout: float = 30.0, llm_confirm=None, progress: bool = True, floors: dict | None = None,
             command: str | None = None, resume: bool = False) -> dict:
    """Run the whole evaluation for each of ``answerers`` and write the outputs;
    returns metrics.json's content, ``{"answerers": {name: metrics}}``.

    ``model``, ``embed_backend`` and ``cache_dir`` are Assistant.open's; ``embedder``
    lets a caller share a loaded model instead; ``assistants`` maps
    answerer names to ready assistants (the others are opened here, one at a
    time, and let go before the next: one model in memory at once).
    Each answer is kept in ``out``/progress.jsonl as it comes (:mod:`eval.journal`); ``resume``
    continues an interrupted run with the same settings, asking only the questions not in it.
    """
    from rag import Retriever, SentenceTransformerEmbedder, open_index

    if k < 1:
        raise ValueError(f"-k must be at least 1; got {k}.")
    if not answerers or any(a not in ANSWERERS for a in answerers):
        raise ValueError(f"answerers must be some of {', '.join(ANSWERERS)}; got {', '.join(answerers) or 'none'}.")
    gold, out = Path(gold or DEFAULT_GOLD), Path(out or DEFAULT_OUT)
    items, paragraphs = datasets.load(gold, fmt=fmt)
    if paragraphs is not None:
        corpus = datasets.write_corpus(paragraphs, corpus or out / "squad-corpus" / datasets.slug(gold.stem))
    corpus = Path(corpus or ROOT / "seeds")
    items = datasets.sample(items, limit, seed, balanced=paragraphs is not None)
    embedder = embedder or SentenceTransformerEmbedder(model, backend=embed_backend, cache_dir=cache_dir)
    # Built (with a progress bar) or updated here; the assistants then only load it.
    index, _ = open_index(corpus, embedder=embedder, index_dir=index_dir, progress=progress)
    n_relevant = relevant_counts(items, index.chunks)
    retriever = Retriever(index, embedder)
    llm = {"llm_model": llm_model, "llm_url": llm_url, "llm_name": llm_name, "llm_timeout": llm_timeout,
           "llm_confirm": llm_confirm}
    shared = {"limit": limit, "seed": seed, "passages": k, "model": getattr(embedder, "name", None) or model,
              "answerers": list(answerers)}
    # what a resumed run must share with the one it continues (eval.journal): the same files, exactly
    settings = {**shared, "gold": str(gold.resolve()), "gold_sha256": hashlib.sha256(gold.read_bytes()).hexdigest(),
                "corpus": str(corpus.resolve()),
                "llm": {**llm, "llm_model": str(llm_model) if llm_model is not None else None}}
    journal = Journal.start(out / JOURNAL, settings, resume=resume)
    rows, metrics = [], {"answerers": {}}
    with journal:
        for name in answerers:
            if all((name, item.id) in journal.done for item in items):
                assistant = None  # every answer is in the journal: no model to load
            else:
                assistant = (assistants or {}).get(name) or open_assistant(
                    name, corpus, index_dir=index_dir, embedder=embedder, cache_dir=cache_dir, **llm)
            mine = ask_all(assistant, retriever, items, k, progress, name, journal)
            del assistant
            for item, row in zip(items, mine):
                row["scores"] = score(item, row, n_relevant[item.id], k)
                for p in row["ranking"]:
                    p.pop("text", None)  # the chunks' texts are in `passages` or the index: results.jsonl stays small
            metrics["answerers"][name] = report.summarise(mine)
            rows += mine
    info = {"gold": str(gold), "corpus": str(corpus), "format": "squad" if paragraphs is not None else "jsonl",
            "questions": len(items), **shared, "llm": llm if "llm" in answerers else None,
            "command": command or f"rag eval --gold {shlex.quote(str(gold))}"}
    report.write(out, rows, metrics, info, floors)
    journal.finish()
    return metrics


# -- floors (the CI gate) and the command line --------------------------------------------------------------------

def load_floors(path: Path = FLOORS) -> dict:
    """``{answerer: {dotted metric: floor}}``; keys starting with "_" are notes."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: {k: v for k, v in floors.items() if not k.startswith("_")}
            for name, floors in data.items() if not name.startswith("_")}


def below_floors(metrics: dict, floors: dict) -> list[str]:
    """One line per floored metric of a scored answerer that is missing or below its floor.

    >>> below_floors({"answerers": {"rules": {"answers": {"em": 0.5}, "refusals": {"recall": None}}}},
    ...              {"rules": {"answers.em": 0.6, "refusals.recall": 0.5}, "llm": {"answers.em": 0.9}})
    ['rules: answers.em = 0.500 is below its floor 0.600', 'rules: refusals.recall = n/a is below its floor 0.500']
    """
    lines = []
    for name, block in metrics["answerers"].items():
        flat = report.flatten(block)
        lines += [f"{name}: {key} = {report.fmt(flat.get(key))} is below its floor {floor:.3f}"
                  for key, floor in floors.get(name, {}).items() if flat.get(key) is None or flat[key] < floor]
    return lines


def command(args) -> str:
    """The ``rag eval`` line that reproduces a run: every flag that differs from its default.

    >>> command(build_parser().parse_args(["--gold", "dev.json", "--limit", "2000", "--answerer", "rules"]))
    'rag eval --gold dev.json --limit 2000 --answerer rules'
    """
    defaults, parts = build_parser().parse_args([]), ["rag", "eval"]
    for key, value in vars(args).items():
        if key == "resume":  # how the run was asked, not what it measured: the same line reproduces it
            continue
        if key in vars(defaults) and value != getattr(defaults, key):
            flag = "-k" if key == "k" else "--" + key.replace("_", "-")
            parts += [flag, shlex.quote(str(value))]
    return " ".join(parts)


def default_model(args) -> bool:
    """Whether the language model is the assistant's default one (the one its floors are for)."""
    from rag.answer.model_files import DEFAULT_LLM

    return (args.llm_url is None and getattr(args, "llm_confirm", None) is None
            and (args.llm_model is None or args.llm_model.strip().lower() == DEFAULT_LLM))


def run_cli(args) -> int:
    """Entry point of ``rag eval`` and ``python -m eval``: prints the headline and where the report is."""
    from rag import RagError

    out = Path(args.out or DEFAULT_OUT)
    gold = Path(args.gold or DEFAULT_GOLD)
    # Floors are for the whole gold set and the default model; a --limit sample or another model is not held to them.
    floors = load_floors() if gold.resolve() == DEFAULT_GOLD and args.limit is None and FLOORS.exists() else None
    if floors and not default_model(args):
        floors.pop("llm", None)
    try:
        metrics = evaluate(gold, corpus=args.corpus, out=out, k=args.k, fmt=args.format, limit=args.limit,
                           seed=args.seed, index_dir=args.index_dir, **embedding_settings(args),
                           answerers=answerer_names(args.answerer), llm_model=args.llm_model, llm_url=args.llm_url,
                           llm_name=args.llm_name, llm_timeout=args.llm_timeout, llm_confirm=args.llm_confirm,
                           floors=floors, command=command(args), resume=args.resume)
    except (RagError, ValueError) as exc:  # GoldSetError and JournalError are ValueErrors
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(f"interrupted; the answers so far are kept in {out / JOURNAL}: run the same command with --resume "
              "to ask only the rest", file=sys.stderr)
        return 130
    print(report.headline_text(metrics))
    print(f"wrote {out / 'report.md'}, {out / 'metrics.json'}, {out / 'results.jsonl'}")
    for line in below_floors(metrics, floors or {}):
        print(f"warning: {line} (eval/floors.json; CI fails on this)", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    environment.offline()  # `python -m eval` is an edge too: before any model library is imported
    try:
        return run_cli(build_parser().parse_args(argv))
    except KeyboardInterrupt:
        print("interrupted; nothing written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
