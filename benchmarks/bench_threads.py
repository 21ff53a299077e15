"""Query latency under concurrency, quiet and with a CPU hog on the other core: thread settings.

Prints figures and ratios; asserts nothing. Run on an otherwise quiet machine:

    .venv/bin/python benchmarks/bench_threads.py                   # 6 SQuAD articles, 200 questions
    .venv/bin/python benchmarks/bench_threads.py --articles 35 --queries 500 --no-txtai

The server answers up to 4 requests at once (rag/ui/app.py CHAT_CONCURRENCY); each request embeds
its question with ONNX Runtime, scores BM25 (numpy) and searches FAISS. Every runtime has its own
thread pool sized to the cores by default, so 4 requests could ask for 4 x (ORT + OpenMP + BLAS)
threads on 2 cores. This measures hybrid ``Retriever.search`` p50/p95 for ONNX Runtime intra-op
threads 1 (the default) against one per core, with 1 and 4 concurrent requests, on a quiet machine and with a
busy-loop process (the hog) taking a core, and txtai's search (same model, same chunk texts) at
concurrency 1 as the peer (issue 14: ours <= 0.5x txtai, quiet and with the hog).
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path


ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench_retrieval import SQUAD, write_squad_corpus  # noqa: E402
from eval.metrics import percentile  # noqa: E402


@contextmanager
def hog(on: bool):
    """A process spinning on one core while the block runs."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if on else None
    try:
        time.sleep(0.5 if on else 0)
        yield
    finally:
        if proc:
            proc.kill()
            proc.wait()


def measure(search, questions: list[str], concurrency: int) -> tuple[float, float, float]:
    """p50 and p95 latency (ms) of ``search`` over ``questions`` sent ``concurrency`` at a time, and queries/s."""
    for q in questions[:10]:
        search(q)  # warm-up

    def one(q):
        t = time.perf_counter()
        search(q)
        return time.perf_counter() - t

    t = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        times = list(pool.map(one, questions))
    wall = time.perf_counter() - t
    ms = [t * 1000 for t in times]
    return percentile(ms, 50), percentile(ms, 95), len(questions) / wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--squad", default=str(SQUAD))
    ap.add_argument("--articles", type=int, default=6, help="SQuAD articles to index (their paragraphs)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--no-txtai", action="store_true")
    args = ap.parse_args()
    from rag import Retriever, SentenceTransformerEmbedder
    from rag.embedding.onnx_encoder import default_threads
    from rag.index.chunk_index import Index
    from rag.ingest.corpus import Corpus

    tmp = Path(tempfile.mkdtemp(prefix="rag-bench-threads-"))
    _, questions = write_squad_corpus(Path(args.squad), tmp / "all")
    keep = {f"p{a:02d}" for a in range(args.articles)}
    (tmp / "corpus").mkdir()
    for f in (tmp / "all").glob("*.txt"):
        if f.name[:3] in keep:
            f.rename(tmp / "corpus" / f.name)
    questions = random.Random(7).sample([q for q, d in questions if d[:3] in keep], args.queries)
    corpus = Corpus.from_dir(tmp / "corpus")
    base = SentenceTransformerEmbedder()
    index = Index.build(corpus, base)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; {len(corpus.documents)} "
          f"paragraphs, {len(index.chunks)} chunks; {len(questions)} questions; hybrid search, k=10")
    settings = {f"ORT threads {default_threads()}": SentenceTransformerEmbedder(threads=default_threads()),
                "ORT threads 1 (default)": base}
    rows = {}
    for busy in (False, True):
        for name, emb in settings.items():
            retr = Retriever(index, emb)
            for concurrency in (1, 4):
                with hog(busy):
                    p50, p95, qps = measure(lambda q: retr.search(q, k=10), questions, concurrency)
                rows[busy, name, concurrency] = p50
                print(f"  {'hog' if busy else 'quiet':5s} {name:24s} concurrency {concurrency}: p50 {p50:6.1f} ms  "
                      f"p95 {p95:6.1f} ms  {qps:5.1f} queries/s", flush=True)
    for busy in (False, True):
        for concurrency in (1, 4):
            a, b = (rows[busy, name, concurrency] for name in settings)
            print(f"  {'hog' if busy else 'quiet':5s} concurrency {concurrency}: p50 threads 1 / threads "
                  f"{default_threads()} = {b / a:.2f}")
    if not args.no_txtai:
        from txtai import Embeddings
        from rag.embedding.sentence_embedder import default_model_path

        tx = Embeddings(path=default_model_path(), hybrid=True, content=False)
        tx.index([(i, c.text, None) for i, c in enumerate(index.chunks)])
        for busy in (False, True):
            with hog(busy):
                p50, p95, _ = measure(lambda q: tx.search(q, 10), questions, 1)
            ours = min(rows[busy, name, 1] for name in settings)
            print(f"  {'hog' if busy else 'quiet':5s} txtai search p50 {p50:6.1f} ms  p95 {p95:6.1f} ms; "
                  f"ours (best setting) / txtai = {ours / p50:.2f} (target <= 0.5)")


if __name__ == "__main__":
    main()
