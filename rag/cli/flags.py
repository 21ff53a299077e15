"""The flags the ``rag`` subcommands share, each defined once, and what they mean as library arguments.

Groups: :func:`add_index_flags` (corpus, index, embedding model, cache, uploads), :func:`add_store_flags`
(where vectors and BM25 live; the build's workers), :func:`add_answerer_flags`
(who answers) and :func:`add_eval_flags` (``rag eval`` and ``python -m eval``, the same parser both ways).
The readers (:func:`embedding_settings`, :func:`make_embedder`, :func:`answerer_settings`, :func:`uploads_for`) turn parsed flags
into keyword arguments, filling unset flags from the environment (:mod:`rag.cli.environment`) here at the
edge and nowhere else.

Example:
    >>> import argparse
    >>> p = argparse.ArgumentParser()
    >>> add_index_flags(p)
    >>> args = p.parse_args(["--embed-backend", "torch", "--cache-dir", "/tmp/c"])
    >>> s = embedding_settings(args, env={"RAG_MODEL": "/models/mini"})
    >>> s["embed_backend"], s["cache_dir"].as_posix(), s["model"]
    ('torch', '/tmp/c', '/models/mini')
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Mapping

from rag.cli import environment

BACKENDS = ("auto", "onnx", "torch")  # SentenceTransformerEmbedder.BACKENDS; not imported, to keep `rag --help` fast


def default_corpus() -> str:
    """``./seeds`` when there is one, else the bundled articles."""
    from rag.paths import PROJECT_ROOT

    local = Path("seeds")
    return str(local) if local.is_dir() else str(PROJECT_ROOT / "seeds")


def add_index_flags(p: argparse.ArgumentParser, *, corpus_help: str | None = None, uploads: bool = True) -> None:
    """--corpus, --index-dir, --model, --embed-backend, --cache-dir and (``uploads``) --uploads-dir."""
    p.add_argument("--corpus", default=None,
                   help=corpus_help or "folder of articles (default: ./seeds or the bundled articles)")
    p.add_argument("--index-dir", default=None, help="where the index lives (default: CORPUS/.rag-index)")
    p.add_argument("--model", default=None, help="sentence-transformers model name or local path "
                                                 "(default: $RAG_MODEL, else bundled all-MiniLM-L6-v2)")
    p.add_argument("--embed-backend", choices=BACKENDS, default=None,
                   help="run the embedding model on ONNX Runtime or PyTorch (default: $RAG_EMBED_BACKEND, else "
                        "auto: ONNX when the model allows)")
    p.add_argument("--cache-dir", default=None, help="exported ONNX graphs and local language models (default: "
                                                     "$RAG_CACHE, else $XDG_CACHE_HOME/rag, else ~/.cache/rag)")
    if uploads:
        p.add_argument("--uploads-dir", default=None, help="articles added in the chat, indexed with the corpus "
                                                           "(default: under $RAG_DATA_DIR or ~/.local/share/rag)")


def add_store_flags(p: argparse.ArgumentParser, *, build: bool = False) -> None:
    """--store and --store-timeout (every command that opens the index: index, search, docs, ask, serve);
    ``build`` (``rag index``): --workers and --ray too."""
    p.add_argument("--store", default="faiss", help="where vectors and BM25 live: faiss (in the index folder, "
                                                    "default), milvus-lite:PATH.db or milvus://HOST:PORT")
    p.add_argument("--store-timeout", type=float, default=None, metavar="SECONDS",
                   help="seconds one Milvus call may take (default 10)")
    if build:
        p.add_argument("--workers", type=int, default=1, help="parse, chunk and embed in N processes (default 1)")
        p.add_argument("--ray", default=None, metavar="ADDRESS",
                       help="parse, chunk and embed as tasks on the Ray cluster at ADDRESS (e.g. 10.0.0.5:6379)")


def add_answerer_flags(p: argparse.ArgumentParser, *, both: bool = False) -> None:
    """--answerer and the --llm-* flags; ``both`` (``rag eval``): "both" answerers side by side, the default."""
    if both:
        p.add_argument("--answerer", choices=["llm", "rules", "both"], default="both",
                       help="which answerer to score; both: side by side on the same retrieval (default)")
    else:
        p.add_argument("--answerer", choices=["llm", "rules"], default="llm",
                       help="who proposes answers: the local language model (default) or the rule reader")
    p.add_argument("--llm-model", default=None, help="0.5b, 1.5b (default) or the path of any GGUF chat model")
    p.add_argument("--llm-url", default=None, help="an OpenAI-compatible server instead of the bundled model, "
                                                   "e.g. http://127.0.0.1:8080/v1 (Ollama, llama.cpp, vLLM)")
    p.add_argument("--llm-name", default=None, help="model name to ask the --llm-url server for")
    p.add_argument("--llm-timeout", type=float, default=30.0, help="seconds one model call may take (default 30)")
    p.add_argument("--llm-confirm", type=confirm_setting, default=None, metavar="LEVEL|off",
                   help="share of 'yes' the model must give its own answer when asked to check it, 0-1, or off "
                        "(default: the level calibrated for the model: 0.60; the 0.5b model is not asked)")
    if not both:  # eval keeps the model's own default, so its figures stay comparable
        p.add_argument("--llm-threads", type=int, default=None, help="CPU threads of the local model (default: "
                                                                      "cores, at most 4)")


def add_eval_flags(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Every flag of ``rag eval`` (the same parser for ``python -m eval``)."""
    p.add_argument("--gold", default=None, help="gold file (default eval/gold.jsonl); JSONL or SQuAD JSON")
    p.add_argument("--out", default=None, help="output folder (default eval/out)")
    p.add_argument("-k", type=int, default=10, help="passages scored per question (default 10)")
    p.add_argument("--format", choices=["auto", "jsonl", "squad"], default="auto")
    p.add_argument("--limit", type=int, default=None, help="sample N questions (fixed seed; SQuAD: half unanswerable)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run with the same flags: the answers already in OUT/progress.jsonl "
                        "are kept and only the other questions are asked (change no code in between)")
    add_index_flags(p, uploads=False, corpus_help="folder of articles (default: the bundled seeds); with a SQuAD "
                                                  "file, where its paragraphs are written (default OUT/squad-corpus)")
    add_answerer_flags(p, both=True)
    return p


def embedding_settings(args, env: Mapping[str, str] = os.environ) -> dict:
    """``model``, ``embed_backend`` and ``cache_dir`` as Assistant.open and eval's evaluate take them:
    the flags, else the environment."""
    return {"model": args.model or environment.embed_model(env),
            "embed_backend": args.embed_backend or environment.embed_backend(env),
            "cache_dir": Path(args.cache_dir).expanduser() if args.cache_dir else environment.cache_dir(env)}


def make_embedder(args, env: Mapping[str, str] = os.environ):
    """The SentenceTransformerEmbedder the flags ask for (loaded lazily, on first use)."""
    from rag.embedding.sentence_embedder import SentenceTransformerEmbedder

    s = embedding_settings(args, env)
    return SentenceTransformerEmbedder(s["model"], backend=s["embed_backend"], cache_dir=s["cache_dir"])


def assistant_settings(args, env: Mapping[str, str] = os.environ) -> dict:
    """Assistant.open's keyword arguments for the index, store and answerer flags."""
    return {"index_dir": args.index_dir, "store": args.store, "store_timeout": args.store_timeout,
            **embedding_settings(args, env), **answerer_settings(args)}


def answerer_settings(args) -> dict:
    """The answerer flags as keyword arguments of Assistant.open."""
    return {"answerer": args.answerer, "llm_model": args.llm_model, "llm_url": args.llm_url,
            "llm_name": args.llm_name, "llm_timeout": args.llm_timeout, "llm_threads": args.llm_threads,
            "llm_confirm": args.llm_confirm}


def confirm_setting(text: str) -> float | str:
    """``--llm-confirm``'s value: "off" or a share between 0 and 1."""
    if text.strip().lower() == "off":
        return "off"
    try:
        level = float(text)
    except ValueError:
        level = -1.0
    if not 0.0 <= level <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1 (e.g. 0.55) or off; got {text!r}")
    return level


def uploads_for(args, corpus: str | Path, env: Mapping[str, str] = os.environ) -> Path:
    """The uploads folder of ``corpus``: --uploads-dir, else its folder under the user's data dir."""
    from rag.ingest.userdata import uploads_dir

    if getattr(args, "uploads_dir", None):
        return Path(args.uploads_dir)
    return uploads_dir(corpus, data_dir=environment.data_dir(env))
