"""One connection to Milvus: URIs, a timeout on every call, typed errors, filter expressions.

:mod:`rag.index.milvus_store` builds the stores on this; nothing here knows
about vectors or texts. Two kinds of URI name a store:

- ``milvus-lite:PATH`` -- Milvus Lite, an embedded Milvus in the folder PATH
  (its name must end in ``.db``); no server, for tests and single users;
- ``milvus://HOST:PORT`` -- a Milvus server or cluster (``milvus+https://`` for TLS).

Every call goes through :meth:`MilvusSession.call`, which adds the timeout and
turns the client's exceptions into :class:`~rag.errors.StoreUnreachableError`
(no answer, or too late) or :class:`~rag.errors.IndexStoreError` (an answer
that says no), both naming the URI.

Example:
    >>> client_uri("milvus://db.example:19530"), client_uri("milvus-lite:/tmp/x.db")
    ('http://db.example:19530', '/tmp/x.db')
    >>> expression(Filter(doc_ids=frozenset({'a"1'}), date_to="2020-12-31"))
    'doc_id in ["a\\\\"1"] and date != "" and date <= "2020-12-31"'
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Iterable

from rag.errors import IndexStoreError, StoreUnreachableError
from rag.index.protocols import Filter

LITE, SERVER, SERVER_TLS = "milvus-lite:", "milvus://", "milvus+https://"
DEFAULT_TIMEOUT = 10.0  # seconds per call; a build's big upserts get the same budget per batch
FIX = "start the server (or check the address), raise --store-timeout, or pass --store faiss"


def is_milvus_uri(store: str) -> bool:
    return store.startswith((LITE, SERVER, SERVER_TLS))


def client_uri(store: str) -> str:
    """The URI pymilvus understands for our ``--store`` value; ValueError names a bad one."""
    if store.startswith(LITE):
        path = store[len(LITE):]
        if not path.endswith(".db"):
            raise ValueError(f"--store {store!r}: a Milvus Lite path must end in .db "
                             f"(e.g. milvus-lite:{path or 'index'}.db); it is a folder Milvus Lite creates.")
        parent = Path(path).parent
        if not parent.is_dir():
            raise ValueError(f"--store {store!r}: the folder {str(parent)!r} does not exist; create it first.")
        return path
    for prefix, scheme in ((SERVER, "http://"), (SERVER_TLS, "https://")):
        if store.startswith(prefix):
            address = store[len(prefix):].rstrip("/")
            if not address or "/" in address:
                raise ValueError(f"--store {store!r}: expected {prefix}HOST:PORT, e.g. {prefix}127.0.0.1:19530.")
            return scheme + (address if ":" in address else address + ":19530")
    raise ValueError(f"--store {store!r} is not a Milvus URI; use milvus-lite:PATH.db or milvus://HOST:PORT.")


def literal(value: str) -> str:
    """A string literal for a Milvus filter: JSON quoting escapes quotes and backslashes."""
    return json.dumps(value, ensure_ascii=False)


def expression(where: Filter | None, ids: Iterable[str] | None = None) -> str:
    """The filter pushed into the engine ("" = everything). An empty payload
    date is stored as "", which passes no date bound (see :class:`Filter`)."""
    parts = []
    if ids is not None:
        parts.append(f"id in [{', '.join(literal(i) for i in ids)}]")
    if where is not None and where.doc_ids is not None:
        parts.append(f"doc_id in [{', '.join(literal(d) for d in sorted(where.doc_ids))}]")
    if where is not None and (where.date_from or where.date_to):
        parts.append('date != ""')
        if where.date_from:
            parts.append(f"date >= {literal(where.date_from)}")
        if where.date_to:
            parts.append(f"date <= {literal(where.date_to)}")
    return " and ".join(parts)


def _unreachable(exc: BaseException) -> bool:
    """No answer or a late one, as opposed to a server that answered "no"."""
    import grpc
    from pymilvus.exceptions import ConnectError, MilvusUnavailableException

    if isinstance(exc, grpc.RpcError):
        return exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
    text = str(exc).lower()
    return isinstance(exc, (ConnectError, MilvusUnavailableException)) or any(
        word in text for word in ("fail connecting", "unavailable", "deadline", "timeout", "timed out"))


def locked_elsewhere(folder: str) -> bool:
    """Whether another process holds Milvus Lite's lock on ``folder``. Asked only after a failed
    connect: this process's own server would have been reused, not refused."""
    import fcntl

    from milvus_lite.db import LOCK_FILENAME

    try:
        fd = os.open(os.path.join(folder, LOCK_FILENAME), os.O_RDWR)
    except OSError:  # no folder or no lock file: nobody holds it
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


class MilvusSession:
    """A client for one store URI; every call has ``timeout`` seconds."""

    def __init__(self, store: str, *, timeout: float = DEFAULT_TIMEOUT):
        if not timeout > 0:
            raise ValueError(f"the store timeout must be a positive number of seconds; got {timeout!r}.")
        self.store, self.timeout = store, float(timeout)
        target = client_uri(store)
        try:
            from pymilvus import MilvusClient
        except ImportError:
            raise IndexStoreError(f"--store {store!r} needs pymilvus and milvus-lite: "
                                  "pip install 'rag[scale]'.") from None
        # We turn each client error into one typed error naming the store; the client's own logged
        # tracebacks would only repeat it, louder. So would Milvus Lite's in-process gRPC server, which
        # logs a traceback for each call it does not implement (the client then falls back).
        for name in ("pymilvus", "milvus_lite", "grpc._server"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        try:
            self.client = self._guard("connect", lambda: MilvusClient(uri=target, timeout=self.timeout))
        except IndexStoreError:
            if store.startswith(LITE) and locked_elsewhere(target):
                raise IndexStoreError(
                    f"the Milvus Lite store {store!r} is open in another process (a running `rag serve`?), and "
                    "Milvus Lite serves one process at a time. Stop that process, or serve the folder to several: "
                    f"`python -m milvus_lite server --data-dir {target} --port 19530` and --store "
                    "milvus://127.0.0.1:19530.") from None
            raise

    def call(self, method: str, *args, **kwargs):
        """``client.<method>(*args, timeout=..., **kwargs)`` with typed errors."""
        fn = getattr(self.client, method)
        return self._guard(method, lambda: fn(*args, timeout=self.timeout, **kwargs))

    def _guard(self, what: str, thunk):
        try:
            return thunk()
        except Exception as exc:  # noqa: BLE001 - pymilvus raises grpc and its own types
            detail = " ".join(str(exc).split())[:300]
            if _unreachable(exc):
                raise StoreUnreachableError(f"the Milvus store {self.store!r} did not answer {what} within "
                                            f"{self.timeout:g}s ({detail}); {FIX}.") from None
            raise IndexStoreError(f"the Milvus store {self.store!r} refused {what}: {detail}") from None

    def close(self) -> None:
        """Close the connection; for Milvus Lite also stop its in-process server and release the folder."""
        self.client.close()
        if self.store.startswith(LITE):
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(client_uri(self.store))
