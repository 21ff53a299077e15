"""A map over worker processes on this machine, or over Ray tasks on a cluster, with a progress bar.

Each worker is set up once with the build's chunker and embedder (pickled by
the caller before any model is loaded, so what travels is a few settings,
not the weights) and then runs the functions named in :data:`TASKS` on
batches. A worker process embeds with ``cores // workers`` threads, so N
workers share the machine instead of each taking every core. Ray runs the same
functions as tasks of one CPU each; a worker process of the cluster keeps its
model between tasks.

Example:
    >>> from rag.chunking.chunker import Chunker
    >>> with Workers(Chunker(), embedder=None, workers=1) as pool:
    ...     pool.map("chunk", [[]], desc="parse+chunk", sizes=[0])
    [[]]
"""
from __future__ import annotations

import os
import pickle
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from typing import Sequence

from rag.errors import ClusterError

_STATE: dict = {}  # in each worker process: the key, chunker and embedder of the current build


def _setup(blob: bytes, threads: int) -> None:
    # Threads are set through the libraries' own calls (library code leaves the environment alone);
    # the ONNX encoder runs one thread per batch already.
    _STATE["chunker"], _STATE["embedder"] = pickle.loads(blob)
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:  # an embedder without torch
        pass


def _chunk(docs) -> list:
    """(doc id, chunks) per document, or (doc id, the exception) for one that cannot be chunked."""
    out = []
    for doc in docs:
        try:
            out.append((doc.id, _STATE["chunker"].run(doc)))
        except Exception as exc:  # noqa: BLE001 - one article never stops the others; the parent reports it
            out.append((doc.id, exc))
    return out


def _embed(texts):
    return _STATE["embedder"].embed(list(texts))


TASKS = {"chunk": _chunk, "embed": _embed}


def _run(name: str, batch):
    return TASKS[name](batch)


def _ray_run(key: str, blob: bytes, name: str, batch):
    if _STATE.get("key") != key:  # a Ray worker process may serve several builds
        _setup(blob, 1)
        _STATE["key"] = key
    return TASKS[name](batch)


def _unreachable(address: str, exc: BaseException) -> ClusterError:
    return ClusterError(f"cannot reach the Ray cluster at --ray {address!r} ({type(exc).__name__}: "
                        f"{' '.join(str(exc).split())[:200]}); start it with `ray start --head` there, "
                        "or drop --ray to build on this machine.")


def _probe(address: str, timeout: float = 5.0) -> None:
    """Fail in seconds when nothing listens at HOST:PORT: ``ray.init`` would retry for minutes."""
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return  # "auto" and the like: ray.init resolves them
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise _unreachable(address, exc) from None


class Workers:
    """``workers`` processes here, or Ray tasks on the cluster at ``ray_address``; a context manager."""

    def __init__(self, chunker, embedder, *, workers: int = 1, ray_address: str | None = None):
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"--workers must be a whole number >= 1; got {workers!r}.")
        self.workers, self.ray_address = workers, ray_address
        self._blob = pickle.dumps((chunker, embedder))
        self._pool = self._remote = None

    def __enter__(self) -> "Workers":
        if self.ray_address:
            self._remote = self._connect()
        elif self.workers > 1:
            threads = max(1, (os.cpu_count() or 1) // self.workers)
            # spawn, not fork: a forked copy of a process that already started torch's threads can hang.
            self._pool = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"), initializer=_setup,
                                             initargs=(self._blob, threads))
        else:  # in this process, as it is: no copies, no thread settings changed
            _STATE.update(zip(("chunker", "embedder"), pickle.loads(self._blob)), key=None)
        return self

    def _connect(self):
        import hashlib

        import ray

        if not ray.is_initialized():
            _probe(self.ray_address)
            try:
                ray.init(address=self.ray_address, log_to_driver=False, logging_level="ERROR")
            except Exception as exc:  # noqa: BLE001 - ray raises ConnectionError, RuntimeError, ValueError
                raise _unreachable(self.ray_address, exc) from None
        self._key = hashlib.sha256(self._blob).hexdigest()
        self._blob_ref = ray.put(self._blob)
        return ray.remote(num_cpus=1)(_ray_run)

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        elif self._remote is None:
            _STATE.clear()
        # A Ray connection stays up: the cluster is not ours, and the caller may build again.

    def map(self, name: str, batches: Sequence, *, desc: str, sizes: Sequence[int]) -> list:
        """``TASKS[name](batch)`` for every batch, in order; the bar counts ``sizes`` (documents or texts)."""
        from tqdm import tqdm

        bar = tqdm(total=sum(sizes), desc=desc, unit="", disable=None, leave=False)
        try:
            if self._remote is not None:
                return self._map_ray(name, batches, sizes, bar)
            if self._pool is None:
                out = []
                for batch, size in zip(batches, sizes):
                    out.append(_run(name, batch))
                    bar.update(size)
                return out
            futures = {self._pool.submit(_run, name, b): i for i, b in enumerate(batches)}
            out = [None] * len(batches)
            for future in as_completed(futures):
                out[futures[future]] = future.result()
                bar.update(sizes[futures[future]])
            return out
        finally:
            bar.close()

    def _map_ray(self, name, batches, sizes, bar) -> list:
        import ray

        refs = [self._remote.remote(self._key, self._blob_ref, name, b) for b in batches]
        size_of = {ref: s for ref, s in zip(refs, sizes)}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            bar.update(sum(size_of[r] for r in done))
        return ray.get(refs)
