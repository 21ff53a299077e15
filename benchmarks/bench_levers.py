"""Speed levers against recall: SQuAD v2.0 dev, the protocol of benchmarks/bench_retrieval.py, in one run.

Each variant builds the index of the 1,204 SQuAD paragraphs (one file each) and asks the answerable
questions; recall@1 and MRR@10 of the default hybrid weights are reported on the half of the
questions bench_retrieval.py reports on (same seed), beside the build time, so a lever that saves
time is kept only when recall holds (issue 14: within 0.005 of separate sentence embedding).

    .venv/bin/python benchmarks/bench_levers.py                     # all variants, all questions
    .venv/bin/python benchmarks/bench_levers.py --questions 1000    # a fixed-seed sample, faster

Variants: ``mean`` (the default build: the int8 graph, every sentence read on its own, a chunk's vector
the mean of its sentences'), ``mean-fp32`` (the same on the fp32 graph), ``separate`` (chunks and
sentences each read on their own, fp32: the default before 2026-12-03), ``pooled`` (sentence vectors
mean-pooled from the chunk's forward pass: ``pool_sentences=True``), ``pooled-int8`` (the same on the
dynamically quantised ONNX graph; its vectors are also compared with fp32 by cosine). Recall is
reported with the default fusion weights; benchmarks/bench_retrieval.py tunes them.
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

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench_retrieval import SQUAD, metrics, rank_with, write_squad_corpus  # noqa: E402
from rag import Retriever, SentenceTransformerEmbedder, Weights  # noqa: E402
from rag.index.chunk_index import Index  # noqa: E402
from rag.ingest.corpus import Corpus  # noqa: E402


VARIANTS = {"mean": lambda: SentenceTransformerEmbedder(),
            "mean-fp32": lambda: SentenceTransformerEmbedder(precision="fp32"),
            "separate": lambda: SentenceTransformerEmbedder(chunk_vectors="own", precision="fp32"),
            "pooled": lambda: SentenceTransformerEmbedder(pool_sentences=True, precision="fp32"),
            "pooled-int8": lambda: SentenceTransformerEmbedder(pool_sentences=True, precision="int8")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--squad", default=str(SQUAD))
    ap.add_argument("--questions", type=int, default=0, help="sample this many questions (0 = all answerable)")
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rag-levers-"))
    _, questions = write_squad_corpus(Path(args.squad), tmp / "squad")
    rng = random.Random(args.seed)
    if args.questions:
        questions = rng.sample(questions, args.questions)
    order = list(range(len(questions)))
    rng.shuffle(order)
    report_on = sorted(order[len(order) // 2:])  # the half bench_retrieval.py reports on
    corpus = Corpus.from_dir(tmp / "squad")
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; {len(corpus.documents)} paragraphs, "
          f"{len(questions)} questions, reporting on {len(report_on)}")
    rows, query_vectors = {}, {}
    for name in args.variants:
        emb = VARIANTS[name]()
        emb.embed(["warm up the model"])
        t = time.perf_counter()
        index = Index.build(corpus, emb)
        build = time.perf_counter() - t
        qtexts = [questions[i][0] for i in report_on]
        qvecs = emb.embed(qtexts)
        query_vectors[name] = qvecs
        retr = Retriever(index, emb)
        ranked = [rank_with(retr.signals(q, k=10, query_vector=v), Weights()) for q, v in zip(qtexts, qvecs)]
        m = metrics(ranked, [questions[i][1] for i in report_on])
        rows[name] = m
        print(f"  {name:12s} build {build:6.1f}s ({index.stats.embedded} texts to the model, {index.stats.chunks} "
              f"chunks, {index.stats.sentences} sentences)  R@1 {m['recall@1']:.3f}  MRR@10 {m['mrr@10']:.3f}",
              flush=True)
    if "separate" in rows:
        for name, m in rows.items():
            print(f"  {name:12s} minus separate: R@1 {m['recall@1'] - rows['separate']['recall@1']:+.4f}, "
                  f"MRR@10 {m['mrr@10'] - rows['separate']['mrr@10']:+.4f} (target within 0.005)")
    if {"pooled", "pooled-int8"} <= query_vectors.keys():
        cos = (query_vectors["pooled"] * query_vectors["pooled-int8"]).sum(1)
        print(f"  int8 vs fp32 query vectors: cosine min {cos.min():.4f}, mean {cos.mean():.4f} "
              f"(1 - min = {1 - cos.min():.4f}; target <= 0.01)")


if __name__ == "__main__":
    main()
