"""Build speed: `rag index` against txtai's hybrid index of the same chunk texts, same model, same run.

Prints ratios; asserts nothing. Run on a quiet machine:

    .venv/bin/python benchmarks/bench_build.py                  # the 35 articles of SQuAD v2.0 dev
    .venv/bin/python benchmarks/bench_build.py --articles 8     # fewer, while developing

Corpus: the 218 news articles of issue 14 are not in this workplace, so the Wikipedia articles of
SQuAD v2.0 dev (../shared/data/squad, 35 articles, 1,204 paragraphs) stand in: one file per article,
paragraphs as blank-line separated blocks, so articles split into many chunks as news articles do.

1. ``rag index DIR --rebuild`` as a whole process (start-up, model load, reading, splitting,
   embedding, writing), and txtai (``Embeddings(path=<the same all-MiniLM-L6-v2 folder>,
   hybrid=True)``) indexing exactly our chunk texts, also as a whole process. Target: ours / txtai <= 0.5.
2. In one process: ``Index.build`` (split, chunk, embed, no disk) against the model alone encoding
   the texts the build must embed (the distinct sentences by default; chunks as well with ``own-fp32``;
   with ``pool_sentences=True`` the chunk texts only, sentence vectors coming from the same pass), and against txtai's own index() call.
   Target: build rate / raw rate >= 0.9. The splitting and chunking alone are timed as well.
   Variants (``--variants``): ``mean`` (the default build: the int8 graph, sentences read alone, a
   chunk's vector their mean), ``mean-fp32``, ``own-fp32`` (chunk texts read as well, fp32: the default
   before 2026-12-03), ``pooled`` (``pool_sentences=True``, fp32) and ``pooled-int8``. Both levers are opt-in library settings with no
   ``rag index`` flag, so part 1 also times each non-default variant as a whole process that calls
   ``open_index(..., rebuild=True)`` with those settings (what ``rag index --rebuild`` runs).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
SQUAD = ROOT.parent / "shared" / "data" / "squad" / "dev-v2.0.reconstructed.json"

TXTAI = """
import json, sys, time
t = time.perf_counter()
from txtai import Embeddings
texts = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8")]
emb = Embeddings(path=sys.argv[1], hybrid=True, content=False)
t_index = time.perf_counter()
emb.index([(i, text, None) for i, text in enumerate(texts)])
emb.save(sys.argv[3])
print(json.dumps({"index_seconds": time.perf_counter() - t_index, "count": emb.count()}))
"""


VARIANTS = {"mean": ("default: int8 graph, sentences read alone, chunk vectors their mean", {}),
            "mean-fp32": ("the default on the fp32 graph", {"precision": "fp32"}),
            "own-fp32": ("chunks and sentences each read alone, fp32 (the default before 2026-12-03)",
                         {"chunk_vectors": "own", "precision": "fp32"}),
            "pooled": ("sentences pooled from the chunk pass, fp32", {"pool_sentences": True, "precision": "fp32"}),
            "pooled-int8": ("pooled, int8 ONNX graph", {"pool_sentences": True, "precision": "int8"})}


WHOLE = """
import json, sys
from rag.embedding.sentence_embedder import SentenceTransformerEmbedder
from rag.index.open_index import open_index
index, status = open_index(sys.argv[1], index_dir=sys.argv[2], rebuild=True,
                           embedder=SentenceTransformerEmbedder(**json.loads(sys.argv[3])))
print(status, index.stats.embedded, "texts embedded")
"""


def write_articles(squad: Path, folder: Path, limit: int | None) -> int:
    """One .txt per SQuAD article (title line, then its paragraphs); returns the number written."""
    data = json.loads(squad.read_text(encoding="utf-8"))["data"][:limit]
    folder.mkdir(parents=True, exist_ok=True)
    for a, article in enumerate(data):
        body = "\n\n".join(p["context"].replace("\n", " ") for p in article["paragraphs"])
        title = article["title"].replace("_", " ")
        (folder / f"a{a:02d}.txt").write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    return len(data)


def timed(cmd: list[str], **kw) -> tuple[float, str]:
    t = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT, **kw)  # this checkout's rag/
    return time.perf_counter() - t, out.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--squad", default=str(SQUAD))
    ap.add_argument("--articles", type=int, default=None, help="only the first N articles (default: all 35)")
    ap.add_argument("--no-txtai", action="store_true")
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    args = ap.parse_args()
    if not args.no_txtai and importlib.util.find_spec("txtai") is None:
        sys.exit("error: txtai, the peer this benchmark compares with, is not installed; install it with "
                 ".venv/bin/pip install -e '.[bench]', or pass --no-txtai.")
    from rag.embedding.sentence_embedder import SentenceTransformerEmbedder, default_model_path

    tmp = Path(tempfile.mkdtemp(prefix="rag-bench-build-"))
    n = write_articles(Path(args.squad), tmp / "corpus", args.articles)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; {n} SQuAD v2.0 dev articles; "
          f"temp {tmp}")

    print("\n== whole processes")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ours, out = timed([sys.executable, "-m", "rag.cli", "index", str(tmp / "corpus"), "--index-dir",
                       str(tmp / "index"), "--rebuild"], env=env)
    print(f"  rag index: {ours:.1f}s  ({out.strip()})")
    from rag.index.codec import load

    index = load(tmp / "index")
    chunk_texts = [c.text for c in index.chunks]
    inner = None
    if not args.no_txtai:
        (tmp / "chunks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in chunk_texts), encoding="utf-8")
        theirs, out = timed([sys.executable, "-c", TXTAI, default_model_path(), str(tmp / "chunks.jsonl"),
                             str(tmp / "txtai")], env=env)
        inner = json.loads(out.strip().splitlines()[-1])
        print(f"  txtai hybrid (same {len(chunk_texts)} chunk texts, same model): {theirs:.1f}s "
              f"(its index() call {inner['index_seconds']:.1f}s)")
        print(f"  ratio ours / txtai = {ours / theirs:.2f} (target <= 0.5)")
        for variant in [v for v in args.variants if v != "mean"]:
            name, settings = VARIANTS[variant]
            whole, out = timed([sys.executable, "-c", WHOLE, str(tmp / "corpus"), str(tmp / f"index-{variant}"),
                                json.dumps(settings)], env=env)
            print(f"  {name}, open_index(rebuild=True) as a process: {whole:.1f}s ({out.strip()}); "
                  f"ratio / txtai = {whole / theirs:.2f} (target <= 0.5)")

    print("\n== in one process: the build against the model alone")
    from rag.chunking.chunker import Chunker
    from rag.index.chunk_index import Index
    from rag.ingest.corpus import Corpus

    corpus = Corpus.from_dir(tmp / "corpus")
    Chunker().run(corpus.documents[0])  # loads spaCy: start-up is timed in part 1, not here
    import bm25s  # noqa: F401,E402 - likewise the lexical index's import (bm25s, scipy: 0.24 s), the build's first
    t = time.perf_counter()
    for doc in corpus.documents:
        Chunker().run(doc)
    print(f"  splitting + chunking alone: {time.perf_counter() - t:.1f}s")
    for variant in args.variants:
        name, settings = VARIANTS[variant]
        emb = SentenceTransformerEmbedder(**settings)
        emb.embed(["warm up the model"])
        t = time.perf_counter()
        built = Index.build(corpus, emb)
        build = time.perf_counter() - t
        must = ([] if emb.chunks_from_sentences else chunk_texts) + \
            ([] if emb.pools_spans else list(dict.fromkeys(x.text for x in built.sentences)))
        t = time.perf_counter()
        emb.embed(must)
        raw = time.perf_counter() - t
        s = built.stats
        print(f"  {name}: {s.chunks} chunks, {s.sentences} sentences, {len(must)} texts to embed")
        print(f"    Index.build {build:.1f}s; the model alone on those texts {raw:.1f}s "
              f"({emb.backend}, {emb.precision}); build rate / raw rate = {raw / build:.2f} (target >= 0.9)")
        if inner:
            print(f"    Index.build / txtai's index() call = {build / inner['index_seconds']:.2f} (target <= 0.5)")


if __name__ == "__main__":
    main()
