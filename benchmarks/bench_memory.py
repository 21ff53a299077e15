"""Memory of the vector store at scale: bytes per chunk against the raw float32 vectors (issue 14: <= 1.2x).

Prints figures and ratios; asserts nothing. Run on a quiet machine:

    .venv/bin/python benchmarks/bench_memory.py                              # 1,000,000 chunks, exact (flat)
    .venv/bin/python benchmarks/bench_memory.py --chunks 200000 --kind auto  # HNSW, as a build above 5,000

In this process: N synthetic unit vectors (384-d, bench_faiss.make_vectors, made a batch at a time so
the benchmark holds one batch beside the store) go into a FaissStore "chunks" collection with a
build's payload ({doc_id, date}, 10 chunks a document), in batches as a build writes. Resident memory
(VmRSS) is read before and after (after ``malloc_trim``, so memory the allocator keeps but nothing
uses is not counted), and the peak (VmHWM, reset before each phase through
/proc/self/clear_refs where the kernel allows). Then the store is saved as a generation and loaded
back as ``rag.index.codec.load`` does (faiss maps its checked file, and the id map's columns file is mapped
too: no copy of the files' bytes is held beside faiss's), and the same is read for the load, before and after one search (the mapped file's pages
count in the resident memory once a search has read them). The raw vectors are N x 384 x 4 bytes; the chunks' texts,
BM25 and the sentences collection are not part of this figure (they scale with the text, not the vectors).
"""
from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

from bench_faiss import make_vectors  # noqa: E402
from rag.index.codec import MAPPED  # noqa: E402
from rag.index.faiss_store import FaissStore  # noqa: E402
from rag.index.generations import read_generation, write_generation  # noqa: E402
from rag.index.protocols import CHUNKS  # noqa: E402

BATCH = 50_000
DIM = 384


def status(field: str) -> int:
    """``VmRSS``/``VmHWM``/``RssFile`` of this process in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def trim() -> None:
    """Collect garbage and hand freed heap pages back to the system (glibc), so RSS counts live memory."""
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def report(phase: str, n: int, before: int, seconds: float, peak_reset: bool) -> None:
    raw = n * DIM * 4
    held, peak = status("VmRSS") - before, status("VmHWM") - before
    print(f"  {phase}: {seconds:.1f}s; held {held / n:,.0f} bytes per chunk = {held / raw:.2f}x the raw vectors "
          f"({raw / n:,.0f} bytes); peak {peak / n:,.0f} bytes per chunk = {peak / raw:.2f}x"
          + ("" if peak_reset else " (peak not reset: since the process started)") + " (target <= 1.2x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chunks", type=int, default=1_000_000)
    ap.add_argument("--kind", default="flat", choices=("flat", "hnsw", "auto"))
    args = ap.parse_args()
    n = args.chunks
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; {n:,} chunks x {DIM}, "
          f"FaissStore kind={args.kind}")
    trim()
    before, peak_reset = status("VmRSS"), reset_peak()
    t = time.perf_counter()
    store = FaissStore(dim=DIM, kind=args.kind)
    for start in range(0, n, BATCH):
        m = min(BATCH, n - start)
        store.upsert(CHUNKS, [f"chunk-{i:08d}" for i in range(start, start + m)], make_vectors(m, DIM, seed=start),
                     [{"doc_id": f"doc-{i // 10:07d}", "date": f"2020-{1 + i // 10 % 12:02d}-{1 + i // 10 % 28:02d}"}
                      for i in range(start, start + m)])
    trim()
    report(f"built ({store.kind(CHUNKS)})", n, before, time.perf_counter() - t, peak_reset)

    folder = Path(tempfile.mkdtemp(prefix="rag-bench-memory-"))
    try:
        files = store.to_files()
        write_generation(folder, files)
        on_disk = sum(len(b) for b in files.values())
        del store, files
        trim()
        print(f"  saved: {on_disk / n:,.0f} bytes per chunk on disk")
        before, peak_reset = status("VmRSS"), reset_peak()
        t = time.perf_counter()
        store = FaissStore.from_files(read_generation(folder, as_paths=MAPPED))  # as codec.load does
        trim()
        report("loaded (mapped, before any search)", n, before, time.perf_counter() - t, peak_reset)
        file_before = status("RssFile")
        store.search(CHUNKS, make_vectors(1, DIM, seed=n + 1)[0], 10)  # an exact search reads every vector
        trim()
        report("loaded, after one search", n, before, time.perf_counter() - t, peak_reset)
        print(f"    of which pages of the mapped file (page cache, shared, evictable): "
              f"{(status('RssFile') - file_before) / n:,.0f} bytes per chunk")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
