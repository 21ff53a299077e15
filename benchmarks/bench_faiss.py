"""Benchmark rag.index.vector_index.VectorIndex: build time, single-query latency, recall@10.

Not a test: it prints tables that justify the defaults in rag/vectors.py
(``DEFAULT_APPROX_THRESHOLD``, the HNSW/IVF parameters, the thread setting).

    .venv/bin/python benchmarks/bench_faiss.py                      # full run
    .venv/bin/python benchmarks/bench_faiss.py --sizes 10000,30000  # quick

Data look like sentence embeddings rather than uniform noise (see
``GENERATOR``): random cosine between two rows is ~0.05 and a row's nearest
neighbour sits at ~0.65, as with MiniLM on news text. Queries are data rows
plus noise (cosine ~0.9 to their source), so they land in populated regions
without being copies. Recall is measured against exact flat search.
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import faiss
import numpy as np

from eval.metrics import percentile
from rag.index.vector_index import DEFAULT_APPROX_THRESHOLD, VectorIndex

GENERATOR = (
    "x = normalise(0.3*mu + c[j] + N(0, diag(s)) @ R / sqrt(384)): 3000 cluster centres c "
    "= normalise(topic + 0.9*u) around 64 random topics, shared offset mu (anisotropy), "
    "noise spectrum s_i ~ i^-0.5 in a random rotation R (low effective rank), seed 0"
)
K = 10


def normalise(x: np.ndarray) -> np.ndarray:
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def make_vectors(n: int, dim: int = 384, seed: int = 0, chunk: int = 100_000) -> np.ndarray:
    """Rows are i.i.d., so any prefix of the result is a valid smaller data set."""
    rng = np.random.default_rng(seed)
    mu = normalise(rng.standard_normal((1, dim), dtype=np.float32))
    topics = normalise(rng.standard_normal((64, dim), dtype=np.float32))
    centres = topics[rng.integers(0, 64, 3000)]
    centres = normalise(centres + 0.9 * normalise(rng.standard_normal(centres.shape, dtype=np.float32)))
    spectrum = np.arange(1, dim + 1, dtype=np.float32) ** -0.5
    spectrum *= np.sqrt(dim / (spectrum**2).sum())  # keeps E|noise|^2 = 1 after / sqrt(dim)
    rotation = np.linalg.qr(rng.standard_normal((dim, dim)))[0].astype(np.float32)
    out = np.empty((n, dim), np.float32)
    for s in range(0, n, chunk):  # chunks keep the float temporaries small at 1M
        m = min(chunk, n - s)
        noise = (rng.standard_normal((m, dim), dtype=np.float32) * spectrum) @ rotation
        out[s : s + m] = normalise(0.3 * mu + centres[rng.integers(0, 3000, m)] + noise / np.sqrt(dim))
    return out


def make_queries(x: np.ndarray, n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = x[rng.choice(len(x), n, replace=False)]
    return normalise(rows + 0.5 / np.sqrt(x.shape[1]) * rng.standard_normal(rows.shape, dtype=np.float32))


def latency_ms(index: VectorIndex, queries: np.ndarray) -> tuple[float, float]:
    for q in queries[:20]:  # warm caches and the OpenMP pool before timing
        index.search(q, K)
    times = []
    for q in queries:
        t = time.perf_counter()
        index.search(q, K)
        times.append(time.perf_counter() - t)
    return percentile([t * 1e3 for t in times], 50), percentile([t * 1e3 for t in times], 95)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(a) & set(b)) / K for a, b in zip(found, truth)]))


def timed_fit(**settings) -> tuple[VectorIndex, np.ndarray, float]:
    x = settings.pop("x")
    t = time.perf_counter()
    index = VectorIndex(**settings).fit(x)
    return index, x, time.perf_counter() - t


def row(n, name, params, build_s, lat, rec) -> None:
    print(f"{n:>9,} {name:<5} {params:<22} {build_s:>8.1f} {lat[0]:>8.3f} {lat[1]:>8.3f} {rec:>9.3f}", flush=True)


def main_table(x: np.ndarray, sizes: list[int], n_queries: int, hnsw_ms: list[int], grid_max: int) -> None:
    print("\n## Build time, single-query latency (k=10) and recall@10 vs exact")
    print(f"{'N':>9} {'kind':<5} {'params':<22} {'build s':>8} {'p50 ms':>8} {'p95 ms':>8} {'recall@10':>9}")
    for n in sizes:
        data, q = x[:n], make_queries(x[:n], n_queries)
        flat, _, build_s = timed_fit(x=data, kind="flat")
        truth = flat.search(q, K)[1]  # batched: one BLAS pass, the ground truth
        row(n, "flat", "exact IndexFlatIP", build_s, latency_ms(flat, q), 1.0)
        del flat
        for m in hnsw_ms:
            if m != hnsw_ms[-1] and n > grid_max:
                continue  # extra grid points only where builds are cheap
            index, _, build_s = timed_fit(x=data, kind="hnsw", hnsw_m=m)
            for ef in (32, 64, 128, 256):
                index.tune(hnsw_ef_search=ef)
                row(n, "hnsw", f"M={m} efSearch={ef}", build_s, latency_ms(index, q), recall(index.search(q, K)[1], truth))
            del index
        index, _, build_s = timed_fit(x=data, kind="ivf")
        nlist = index.params["nlist"]
        for nprobe in (8, 16, 32, 64, 128):
            index.tune(ivf_nprobe=nprobe)
            row(n, "ivf", f"nlist={nlist} nprobe={nprobe}", build_s, latency_ms(index, q), recall(index.search(q, K)[1], truth))
        del index


def crossover(x: np.ndarray, n_queries: int) -> None:
    print("\n## Crossover: exact vs default HNSW (M=32, efSearch=128), single queries")
    print(f"{'N':>9} {'flat p50':>9} {'hnsw p50':>9} {'hnsw recall@10':>15}")
    over_1ms = faster = None
    fits = 0  # largest N whose exact p50 stays within 1 ms
    for n in (1_000, 2_000, 5_000, 10_000, 15_000, 20_000, 30_000, 50_000):
        data, q = x[:n], make_queries(x[:n], n_queries)
        flat = VectorIndex(kind="flat").fit(data)
        hnsw = VectorIndex(kind="hnsw").fit(data)
        f, h = latency_ms(flat, q)[0], latency_ms(hnsw, q)[0]
        print(f"{n:>9,} {f:>9.3f} {h:>9.3f} {recall(hnsw.search(q, K)[1], flat.search(q, K)[1]):>15.3f}", flush=True)
        over_1ms = over_1ms or (n if f > 1.0 else None)
        fits = n if f <= 1.0 and not over_1ms else fits
        faster = faster or (n if h < f else None)
    print(f"flat p50 first exceeds 1 ms at N = {over_1ms}; HNSW first beats flat at N = {faster}")
    print(f"largest N with flat p50 <= 1 ms: {fits:,}; rag.index.vector_index.DEFAULT_APPROX_THRESHOLD = "
          f"{DEFAULT_APPROX_THRESHOLD:,}")


def threads(x: np.ndarray, n_queries: int) -> None:
    """Single queries pinned to 1 OpenMP thread (the default) vs OpenMP's own
    count, and one batched search on 1 vs all threads."""
    q, all_threads = make_queries(x, n_queries), faiss.omp_get_max_threads()
    print(f"\n## OpenMP threads at N = {len(x):,}: single-query p50 / p95 ms, batch of {len(q)} ms/query")
    print(f"{'kind':<5} {'1 thread':>17} {f'{all_threads} threads':>17} {'batch 1 thr':>12} {'batch all':>10}")
    for kind in ("flat", "hnsw", "ivf"):
        index = VectorIndex(kind=kind).fit(x)
        pinned = latency_ms(index.tune(single_query_threads=1), q)
        free = latency_ms(index.tune(single_query_threads=0), q)
        batch = []
        for t in (1, all_threads):
            faiss.omp_set_num_threads(t)
            start = time.perf_counter()
            index.search(q, K)
            batch.append((time.perf_counter() - start) / len(q) * 1e3)
        faiss.omp_set_num_threads(all_threads)
        print(f"{kind:<5} {pinned[0]:>8.3f} {pinned[1]:>8.3f} {free[0]:>8.3f} {free[1]:>8.3f} "
              f"{batch[0]:>12.3f} {batch[1]:>10.3f}", flush=True)
        del index


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,30000,100000,300000,1000000", help="comma-separated N values")
    ap.add_argument("--queries", type=int, default=300, help="single queries timed per configuration")
    ap.add_argument("--hnsw-m", default="16,32", help="HNSW M values; all but the last only up to --grid-max")
    ap.add_argument("--grid-max", type=int, default=100_000, help="largest N for the extra HNSW M values")
    ap.add_argument("--threads-n", type=int, default=100_000, help="N for the OpenMP thread comparison (0 skips)")
    args = ap.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    hnsw_ms = [int(m) for m in args.hnsw_m.split(",")]
    n_max = max(sizes + [50_000, args.threads_n])
    started = time.perf_counter()
    print(f"# faiss {faiss.__version__}, numpy {np.__version__}, {os.cpu_count()} CPUs "
          f"({platform.processor() or platform.machine()}), OpenMP threads {faiss.omp_get_max_threads()}")
    print(f"# load average at start {os.getloadavg()[0]:.1f} (other work on this machine skews latency)")
    print(f"# generator: {GENERATOR}")
    print(f"# queries: {args.queries} per configuration, each a data row + N(0, 0.5^2/384) noise, normalised")
    t = time.perf_counter()
    x = make_vectors(n_max)
    print(f"# generated {n_max:,} x 384 in {time.perf_counter() - t:.1f} s")
    crossover(x, args.queries)
    if args.threads_n:
        threads(x[: args.threads_n], args.queries)
    main_table(x, sizes, args.queries, hnsw_ms, args.grid_max)
    print(f"\n# total {time.perf_counter() - started:.0f} s; load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
