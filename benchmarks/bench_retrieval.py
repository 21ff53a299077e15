"""Retrieval benchmark: build speed, query latency, and recall on SQuAD v2.0 dev.

Prints figures; asserts nothing. Run on a quiet machine:

    .venv/bin/python benchmarks/bench_retrieval.py                 # everything, with txtai beside us
    .venv/bin/python benchmarks/bench_retrieval.py --no-txtai --questions 1000
    .venv/bin/python benchmarks/bench_retrieval.py --no-txtai --pool-sentences   # sentence vectors pooled

Protocol (the same as the txtai reference figures in issue 2): the 1,204
paragraphs of SQuAD v2.0 dev are the corpus, one file each; every answerable
question (5,928) is asked; a hit is the paragraph the question was written
on. Passages are collapsed to their paragraph (first occurrence wins), so
recall@k counts distinct paragraphs. Fusion weights are chosen by grid search
on one half of the questions (fixed seed) and reported on the other half.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from itertools import product
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rag import Retriever, SentenceTransformerEmbedder, Weights, open_index  # noqa: E402
from rag.retrieval.fusion import fuse, rrf  # noqa: E402
from eval.metrics import percentile  # noqa: E402

SQUAD = ROOT.parent / "shared" / "data" / "squad" / "dev-v2.0.reconstructed.json"


def pct(xs, q):
    """Milliseconds at percentile ``q`` of timings in seconds."""
    return percentile([x * 1000 for x in xs], q)


def write_squad_corpus(path: Path, folder: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """One .txt per paragraph; returns doc ids and (question, doc id) pairs."""
    data = json.loads(path.read_text(encoding="utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    ids, questions = [], []
    for a, article in enumerate(data["data"]):
        for p, para in enumerate(article["paragraphs"]):
            doc_id = f"p{a:02d}_{p:03d}"
            (folder / f"{doc_id}.txt").write_text(para["context"].replace("\n", " ") + "\n", encoding="utf-8")
            ids.append(doc_id)
            questions += [(qa["question"], doc_id) for qa in para["qas"] if not qa.get("is_impossible")]
    return ids, questions


def metrics(ranked_docs: list[list[str]], gold: list[str]) -> dict:
    r = {1: 0, 5: 0, 10: 0}
    mrr = 0.0
    for docs, g in zip(ranked_docs, gold):
        if g in docs[:10]:
            rank = docs.index(g) + 1
            mrr += 1 / rank
            for k in r:
                r[k] += rank <= k
    n = len(gold)
    return {"recall@1": r[1] / n, "recall@5": r[5] / n, "recall@10": r[10] / n, "mrr@10": mrr / n}


def dedupe(doc_ids, order, k=10):
    out = []
    for i in order:
        if doc_ids[i] not in out:
            out.append(doc_ids[i])
            if len(out) == k:
                break
    return out


def rank_with(sig, w: Weights):
    scores = fuse(sig.dense, sig.sentence, sig.lexical, w)
    return dedupe(sig.doc_ids, np.argsort(-scores, kind="stable"))


def rank_rrf(sig):
    dense_order = np.argsort(-sig.dense, kind="stable").tolist()
    lex_order = [i for i in np.argsort(-sig.lexical, kind="stable").tolist() if sig.lexical[i] > 0]
    fused = rrf([dense_order, lex_order], k=60)
    return dedupe(sig.doc_ids, sorted(fused, key=fused.get, reverse=True))


def table(rows: dict[str, dict]) -> None:
    print(f"  {'method':34s} {'R@1':>6s} {'R@5':>6s} {'R@10':>6s} {'MRR@10':>7s}")
    for name, m in rows.items():
        print(f"  {name:34s} {m['recall@1']:6.3f} {m['recall@5']:6.3f} {m['recall@10']:6.3f} {m['mrr@10']:7.3f}")


def latency(fn, queries):
    for q in queries[:10]:
        fn(q)  # warm-up
    times = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        times.append(time.perf_counter() - t)
    return pct(times, 50), pct(times, 95)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--squad", default=str(SQUAD))
    ap.add_argument("--questions", type=int, default=0, help="sample this many questions (0 = all)")
    ap.add_argument("--latency-queries", type=int, default=300)
    ap.add_argument("--no-txtai", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work-dir", help="keep the corpus and indexes here; a second run with the same folder loads "
                                       "them instead of rebuilding (then the build lines time a load)")
    ap.add_argument("--pool-sentences", action="store_true",
                    help="sentence vectors pooled from their chunk's pass (pool_sentences=True)")
    args = ap.parse_args()
    emb = SentenceTransformerEmbedder(pool_sentences=args.pool_sentences)
    emb.embed(["warm up the model"])
    tmp = Path(args.work_dir) if args.work_dir else Path(tempfile.mkdtemp(prefix="rag-bench-"))
    rebuild = not args.work_dir
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; model {emb.name}"
          f"{', sentences pooled from the chunk pass' if emb.pools_spans else ''}; temp {tmp}")

    print("\n== build: five bundled articles")
    t = time.perf_counter()
    seeds_index, _ = open_index(ROOT / "seeds", embedder=emb, index_dir=tmp / "seeds-index", rebuild=rebuild)
    dt = time.perf_counter() - t
    s = seeds_index.stats
    print(f"  {s.documents} docs, {s.chunks} chunks, {s.sentences} sentences in {dt:.2f}s "
          f"= {s.chunks / dt:.1f} chunks/s ({s.embedded} texts embedded)")

    print("\n== build: SQuAD v2.0 dev paragraphs")
    doc_ids, questions = write_squad_corpus(Path(args.squad), tmp / "squad")
    t = time.perf_counter()
    index, status = open_index(tmp / "squad", embedder=emb, index_dir=tmp / "squad-index", rebuild=rebuild)
    build = time.perf_counter() - t
    s = index.stats
    # the texts the model must read: by default the distinct sentences only (a chunk's vector is their mean);
    # with pooling, the chunks only (their sentences come from the same pass)
    texts = ([] if emb.chunks_from_sentences else [c.text for c in index.chunks]) + \
        ([] if emb.pools_spans else list(dict.fromkeys(x.text for x in index.sentences)))
    print(f"  {s.documents} paragraphs -> {s.chunks} chunks + {s.sentences} sentences "
          f"({len(texts)} texts to the model); vector index: {index.vectors.kind('chunks')}")
    if status == "loaded":
        print(f"  loaded from --work-dir in {build:.1f}s (build and raw model throughput not measured)")
    else:
        t = time.perf_counter()
        emb.embed(texts)
        raw = time.perf_counter() - t
        print(f"  build {build:.1f}s = {s.chunks / build:.1f} chunks/s, {len(texts) / build:.1f} texts/s")
        print(f"  raw model throughput on the same texts: {raw:.1f}s = {len(texts) / raw:.1f} texts/s; "
              f"build / raw = {build / raw:.2f} (target <= 1.15)")

    rng = random.Random(args.seed)
    if args.questions:
        questions = rng.sample(questions, args.questions)
    order = list(range(len(questions)))
    rng.shuffle(order)
    half_a = set(order[: len(order) // 2])
    qtexts = [q for q, _ in questions]
    gold = [d for _, d in questions]
    print(f"\n== recall on {len(questions)} answerable questions (tune on {len(half_a)}, report on the rest)")
    qvecs = emb.embed(qtexts)
    retr = Retriever(index, emb)
    sigs = [retr.signals(q, k=10, query_vector=v) for q, v in zip(qtexts, qvecs)]
    A = [i for i in range(len(questions)) if i in half_a]
    B = [i for i in range(len(questions)) if i not in half_a]

    def score(idx, ranker):
        return metrics([ranker(sigs[i]) for i in idx], [gold[i] for i in idx])

    grid = [Weights(d, s_, l) for d, s_, l in product(np.arange(0, 1.01, 0.05), repeat=3)
            if abs(d + s_ + l - 1) < 1e-6 and d + s_ + l > 0]
    best = max(grid, key=lambda w: (lambda m: (m["mrr@10"], m["recall@1"]))(score(A, lambda g: rank_with(g, w))))
    best = Weights(*(round(float(x), 2) for x in (best.dense, best.sentence, best.lexical)))
    rows = {
        "dense (chunk cosine)": score(B, lambda g: rank_with(g, Weights(1, 0, 0))),
        "dense (best-sentence cosine)": score(B, lambda g: rank_with(g, Weights(0, 1, 0))),
        "BM25 (bm25s)": score(B, lambda g: rank_with(g, Weights(0, 0, 1))),
        "RRF k=60 (dense + BM25)": score(B, rank_rrf),
        "txtai-style (0.5 cos + 0.5 bm25/max)": score(B, lambda g: rank_with(g, Weights(0.5, 0, 0.5))),
        f"hybrid default {tuple(Weights().__dict__.values())}": score(B, lambda g: rank_with(g, Weights())),
        f"hybrid tuned on A {(best.dense, best.sentence, best.lexical)}": score(B, lambda g: rank_with(g, best)),
    }
    table(rows)
    ours = rows[f"hybrid default {tuple(Weights().__dict__.values())}"]

    print("\n== search latency (query embedding included, distinct questions, after warm-up)")
    lat_q = rng.sample(qtexts, min(args.latency_queries, len(qtexts)))
    for name, r, ix in (("5 articles", Retriever(seeds_index, emb), seeds_index), ("SQuAD 1,204 paragraphs", retr, index)):
        for mode in ("dense", "lexical", "hybrid"):
            p50, p95 = latency(lambda q: r.search(q, k=5, mode=mode), lat_q)
            print(f"  {name:24s} {mode:8s} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms")
    p50, p95 = latency(lambda q: emb.embed([q]), lat_q)
    print(f"  {'query embedding alone':24s} {'':8s} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms")
    ours_p50, _ = latency(lambda q: retr.search(q, k=10), lat_q)

    if not args.no_txtai:
        print("\n== txtai hybrid=True, same model, same run")
        from txtai import Embeddings
        from rag.embedding.sentence_embedder import default_model_path

        texts_by_id = {d: (tmp / "squad" / f"{d}.txt").read_text() for d in doc_ids}
        t = time.perf_counter()
        tx = Embeddings(path=default_model_path(), hybrid=True, content=False)
        tx.index([(d, texts_by_id[d], None) for d in doc_ids])
        print(f"  txtai build {time.perf_counter() - t:.1f}s")
        ranked = [[r[0] for r in tx.search(qtexts[i], 10)] for i in B]
        m = metrics(ranked, [gold[i] for i in B])
        table({"txtai hybrid": m})
        tx_p50, tx_p95 = latency(lambda q: tx.search(q, 10), lat_q)
        print(f"  txtai search p50 {tx_p50:.2f} ms  p95 {tx_p95:.2f} ms; ours (hybrid, k=10) p50 {ours_p50:.2f} ms")
        print("  ratios ours/txtai: " + ", ".join(f"{k} {ours[k] / m[k]:.3f}" for k in m)
              + f", p50 latency {ours_p50 / tx_p50:.2f}")


if __name__ == "__main__":
    main()
