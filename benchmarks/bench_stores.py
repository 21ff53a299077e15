"""FAISS vs Milvus Lite, in one run: the SQuAD protocol, then synthetic vectors at scale.

Prints figures; asserts nothing. Run on a quiet machine:

    .venv/bin/python benchmarks/bench_stores.py                          # SQuAD + 1M synthetic
    .venv/bin/python benchmarks/bench_stores.py --questions 300 --synthetic 100000 --work-dir /tmp/bs

SQuAD (the protocol of bench_retrieval.py): the 1,204 paragraphs of SQuAD v2.0
dev are the corpus, one file each; a sample of answerable questions (fixed
seed) is asked in hybrid mode with the default weights; a hit is the paragraph
the question was written on. Both stores index the same chunks and the same
vectors (the model runs once; the second store's build reuses its vectors), so
"build" is chunking plus writing the store, and the model's time is printed
apart. Query latency is retrieval alone: question vectors are embedded first.

Synthetic: N clustered unit vectors (384-d, the model's size; the generator of
bench_faiss.py), 100 queries near stored rows; recall@10 against exact search. FAISS: exact (flat) and HNSW
(M=32, efSearch=128). Milvus Lite: its FLAT index (exact), written through
MilvusStore in batches, as a build writes.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench_faiss import make_queries, make_vectors  # noqa: E402
from bench_retrieval import SQUAD, dedupe, metrics, write_squad_corpus  # noqa: E402
from eval.metrics import percentile  # noqa: E402
from rag.embedding.protocol import Embedder  # noqa: E402
from rag.embedding.sentence_embedder import SentenceTransformerEmbedder  # noqa: E402
from rag.index.faiss_store import FaissStore  # noqa: E402
from rag.index.milvus_store import MilvusStore  # noqa: E402
from rag.index.open_index import open_index  # noqa: E402
from rag.index.protocols import CHUNKS, Filter  # noqa: E402
from rag.retrieval.retriever import Retriever  # noqa: E402


class Memo(Embedder):
    """The real model, each text embedded once: the second store's build reuses the first's vectors."""

    def __init__(self, inner: Embedder):
        self.inner, self.name, self.cache, self.seconds = inner, inner.name, {}, 0.0

    @property
    def identity(self) -> str:
        return self.inner.identity

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed(self, texts, *, progress=False):
        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if missing:
            t0 = time.perf_counter()
            self.cache.update(zip(missing, self.inner.embed(missing, progress=progress)))
            self.seconds += time.perf_counter() - t0
        return np.stack([self.cache[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)


def ms(seconds: list[float]) -> str:
    return f"p50 {percentile([s * 1000 for s in seconds], 50):7.1f} ms  p95 {percentile([s * 1000 for s in seconds], 95):7.1f} ms"


def squad(args, work: Path) -> None:
    corpus = work / "squad"
    doc_ids, questions = write_squad_corpus(SQUAD, corpus)
    random.Random(13).shuffle(questions)
    questions = questions[: args.questions]
    embedder = Memo(SentenceTransformerEmbedder())
    embedder.embed([q for q, _ in questions])  # question vectors first: latency below is retrieval only
    stores = {"faiss": "faiss", "milvus-lite": f"milvus-lite:{work}/squad-milvus.db"}
    print(f"SQuAD v2.0 dev: {len(doc_ids)} paragraphs, {len(questions)} questions (seed 13), hybrid, k=10")
    for name, store in stores.items():
        embedded = embedder.seconds
        t0 = time.perf_counter()
        index, _ = open_index(corpus, embedder=embedder, index_dir=work / f"index-{name}", store=store,
                              rebuild=True)
        build = time.perf_counter() - t0 - (embedder.seconds - embedded)
        retriever, ranked, lat = Retriever(index, embedder), [], []
        for q, _ in questions:
            qv = embedder.cache[q]
            t0 = time.perf_counter()
            passages = retriever.search(q, k=10, per_doc_cap=1, query_vector=qv)
            lat.append(time.perf_counter() - t0)
            ranked.append(dedupe([p.doc_id for p in passages], range(len(passages))))
        m = metrics(ranked, [g for _, g in questions])
        print(f"  {name:12s} build {build:6.1f} s (+ model {embedder.seconds - embedded:6.1f} s)  "
              f"chunks {len(index.chunks)}  sentences {len(index.sentences)}  "
              f"R@1 {m['recall@1']:.3f} R@5 {m['recall@5']:.3f} R@10 {m['recall@10']:.3f} "
              f"MRR@10 {m['mrr@10']:.3f}  query {ms(lat)}")


def synthetic(args, work: Path) -> None:
    n, dim = args.synthetic, 384
    x = make_vectors(n, dim)   # clustered like text embeddings (bench_faiss.py), not uniform noise
    q = make_queries(x, 100)
    ids = [f"v{i}" for i in range(n)]
    payloads = [{"doc_id": f"d{i // 10}"} for i in range(n)]
    truth = None
    print(f"synthetic: {n:,} clustered unit vectors x {dim} (bench_faiss.make_vectors), 100 queries, "
          "recall@10 against exact search")
    stores = {"faiss flat": lambda: FaissStore(dim=dim, kind="flat"),
              "faiss hnsw": lambda: FaissStore(dim=dim, kind="hnsw"),
              "milvus-lite flat": lambda: MilvusStore.open(f"milvus-lite:{work}/synthetic.db",
                                                           manifest={"dim": dim}, timeout=600, fresh=True)}
    if args.no_hnsw:
        del stores["faiss hnsw"]
    for name, make in stores.items():
        t0 = time.perf_counter()
        store = make()
        for start in range(0, n, 50_000):  # as a build writes: in batches
            store.upsert(CHUNKS, ids[start:start + 50_000], x[start:start + 50_000], payloads[start:start + 50_000])
        build = time.perf_counter() - t0
        lat, found = [], []
        for i in range(len(q)):
            t0 = time.perf_counter()
            hits = store.search(CHUNKS, q[i], 10)
            lat.append(time.perf_counter() - t0)
            found.append({h.id for h in hits})
        filtered = []
        for i in range(20):  # ten documents (100 vectors) allowed: the filter runs inside the store
            where = Filter(doc_ids=frozenset(f"d{j}" for j in range(i * 10, i * 10 + 10)))
            t0 = time.perf_counter()
            store.search(CHUNKS, q[i], 10, where=where)
            filtered.append(time.perf_counter() - t0)
        truth = truth or found  # the first store is exact
        recall = np.mean([len(f & t) / 10 for f, t in zip(found, truth)])
        print(f"  {name:17s} build {build:7.1f} s  query {ms(lat)}  recall@10 {recall:.3f}  "
              f"filtered query p50 {percentile([s * 1000 for s in filtered], 50):.1f} ms")
        if isinstance(store, MilvusStore):
            store.close()
        del store


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--questions", type=int, default=1000)
    p.add_argument("--synthetic", type=int, default=1_000_000, help="vectors for the scale test (0: skip)")
    p.add_argument("--no-squad", action="store_true")
    p.add_argument("--no-hnsw", action="store_true", help="skip FAISS HNSW in the scale test (bench_faiss.py has it)")
    p.add_argument("--work-dir", default=None, help="keep corpus and stores here (default: a temporary folder)")
    args = p.parse_args()
    work = Path(args.work_dir) if args.work_dir else Path(tempfile.mkdtemp(prefix="rag-bench-stores-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"bench_stores: {os.cpu_count()} cores; work dir {work}")
    if not args.no_squad:
        squad(args, work)
    if args.synthetic:
        synthetic(args, work)


if __name__ == "__main__":
    main()
