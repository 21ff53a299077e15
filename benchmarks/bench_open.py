"""Opening an unchanged index of 10,000 synthetic articles: stat first against re-reading the corpus.

Prints figures and ratios; asserts nothing. Run on a quiet machine:

    .venv/bin/python benchmarks/bench_open.py                    # 10,000 articles (the build takes minutes)
    .venv/bin/python benchmarks/bench_open.py --articles 1000    # while developing

The build uses a hashing embedder (no model: vectors do not matter for opening). Then, each timed
3 times (median): ``open_index`` of the unchanged folder (target <= 0.5 s; after one open that hashed
every file, timed too), and its parts: the stat
check (rag.ingest.stamps.unchanged) against the old check (read and clean every article, hash the
corpus), and loading the generation; a ``touch``ed file (stat changed, bytes not: must stay
"loaded"); and one article edited (an incremental update), split into loading the previous index,
the build (split, embed, update the stores) and the save, with the bytes the save wrote (files the
new generation shares with the previous one by hard link are not written: rag.index.faiss_delta).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.embedding.protocol import Embedder  # noqa: E402
from rag.index.chunk_index import corpus_hash, doc_hash  # noqa: E402
from rag.index.codec import load, read_manifest  # noqa: E402
from rag.index import open_index as opener  # noqa: E402
from rag.index.generations import live_generation  # noqa: E402
from rag.index.open_index import STAMPS, open_index  # noqa: E402
from rag.ingest.corpus import Corpus  # noqa: E402
from rag.index.verified import CACHE, SETTLED_NS  # noqa: E402
from rag.ingest.stamps import unchanged  # noqa: E402

WORDS = ("minister talks ceasefire border troops province offensive convoy council vote market shares energy "
         "pipeline drought harvest court ruling election coalition envoy summit strike port airline").split()


class HashEmbedder(Embedder):
    """Vectors from a hash of the text: cheap and deterministic."""

    name = "hash-384"
    dim = 384

    def embed(self, texts, *, progress=False):
        out = np.stack([np.frombuffer(hashlib.sha512(t.encode()).digest() * 6, np.uint8)[:384] for t in texts]
                       ) if texts else np.zeros((0, 384))
        out = out.astype(np.float32) - 127.5
        return out / np.linalg.norm(out, axis=1, keepdims=True).clip(1e-9)


def write_corpus(folder: Path, n: int) -> None:
    rng = random.Random(14)
    folder.mkdir(parents=True)
    for i in range(n):
        paras = []
        for _ in range(3):
            sents = [" ".join(rng.choices(WORDS, k=rng.randint(8, 18))).capitalize() + "." for _ in range(4)]
            paras.append(" ".join(sents))
        (folder / f"article-{i:05d}.txt").write_text(f"Report number {i}\n\n" + "\n\n".join(paras) + "\n",
                                                      encoding="utf-8")


def median_of(fn, n: int = 3) -> tuple[float, object]:
    times, out = [], None
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def timing(module, name: str, into: dict) -> None:
    """Wrap ``module.name`` so each call adds its seconds to ``into[name]``."""
    real = getattr(module, name)

    def timed(*args, **kwargs):
        t = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            into[name] = into.get(name, 0.0) + time.perf_counter() - t

    setattr(module, name, timed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=10_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rag-bench-open-"))
    corpus, index_dir, emb = tmp / "corpus", tmp / "index", HashEmbedder()
    write_corpus(corpus, args.articles)
    t = time.perf_counter()
    index, status = open_index(corpus, embedder=emb, index_dir=index_dir)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; {status} {len(index.docs)} "
          f"articles, {len(index.chunks)} chunks in {time.perf_counter() - t:.0f}s; temp {tmp}")
    want = read_manifest(index_dir)["corpus_hash"]
    time.sleep(SETTLED_NS / 1e9)  # files younger than this are hashed on every open (rag.index.verified)
    (index_dir / CACHE).unlink(missing_ok=True)
    t = time.perf_counter()
    open_index(corpus, embedder=emb, index_dir=index_dir)
    print(f"  first open after the write (every byte of the index hashed, then its stats recorded): "
          f"{time.perf_counter() - t:.2f}s")

    opened, (_, status) = median_of(lambda: open_index(corpus, embedder=emb, index_dir=index_dir))
    stat_check, _ = median_of(lambda: unchanged(index_dir / STAMPS, want, [corpus]))
    full_check, same = median_of(lambda: corpus_hash([doc_hash(d) for d in Corpus.from_dir(corpus).documents]) == want)
    loading, _ = median_of(lambda: load(index_dir))
    print(f"  open_index, unchanged: {opened:.2f}s ({status}); target 0.5 s: ratio {opened / 0.5:.2f}")
    print(f"    of which the corpus check: stat first {stat_check * 1000:.0f} ms against re-reading and cleaning "
          f"every article {full_check * 1000:.0f} ms (same hash: {same}): ratio {stat_check / full_check:.3f}")
    print(f"    and loading the generation (index files, BM25): {loading:.2f}s")

    first = sorted(corpus.glob("*.txt"))[0]
    st = first.stat()
    os.utime(first, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    t = time.perf_counter()
    _, status = open_index(corpus, embedder=emb, index_dir=index_dir)
    print(f"  one file touched (stat changed, bytes not): {time.perf_counter() - t:.2f}s, {status} (must be loaded)")
    first.write_text(first.read_text(encoding="utf-8") + "\nA late paragraph was added to this report.\n",
                     encoding="utf-8")
    parts: dict[str, float] = {}
    for name in ("load", "save"):
        timing(opener, name, parts)
    t = time.perf_counter()
    index, status = open_index(corpus, embedder=emb, index_dir=index_dir)
    total = time.perf_counter() - t
    gen = live_generation(index_dir)
    written = sum(f.stat().st_size for f in gen.iterdir() if f.stat().st_nlink == 1)
    shared = sum(f.stat().st_size for f in gen.iterdir() if f.stat().st_nlink > 1)
    print(f"  one article edited: {total:.2f}s, {status}, {index.stats.embedded} texts embedded "
          f"(issue 14: <= 2 s plus its own embedding): ratio {total / 2:.2f}")
    print(f"    of which loading the previous index {parts['load']:.2f}s, the build {index.stats.seconds:.2f}s, the "
          f"save {parts['save']:.2f}s ({written / 1e6:.1f} MB written, {shared / 1e6:.1f} MB linked from the "
          "previous generation)")
    time.sleep(SETTLED_NS / 1e9)
    open_index(corpus, embedder=emb, index_dir=index_dir)  # the new generation's files hashed and recorded once
    again, _ = median_of(lambda: open_index(corpus, embedder=emb, index_dir=index_dir))
    print(f"    open_index after the update (the delta applied on load): {again:.2f}s")
    for c in index.vectors._collections.values():
        c.base = None  # as if nothing could be linked: every file written whole, as before rag.index.faiss_delta
    t = time.perf_counter()
    opener.save(index, index_dir)
    whole = sum(f.stat().st_size for f in live_generation(index_dir).iterdir())
    print(f"    the same save written whole, same run: {time.perf_counter() - t:.2f}s ({whole / 1e6:.1f} MB written)")


if __name__ == "__main__":
    main()
