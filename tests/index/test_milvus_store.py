"""Milvus-only behaviour: store URIs, the manifest kept in the collections, persistence
across a reopen, and the one-line errors when a server is absent or silent."""
from __future__ import annotations

import socket
import threading
import time

import numpy as np
import pytest

from rag.errors import IndexMismatchError, StoreUnreachableError
from rag.index.milvus_client import client_uri, expression, is_milvus_uri
from rag.index.milvus_store import MilvusLexical, MilvusStore
from rag.index.protocols import CHUNKS, Filter

MANIFEST = {"model": "fake-hash-64", "model_id": "abc", "dim": 4, "chunking": {"max_tokens": 200}}


def test_uris(tmp_path):
    assert client_uri(f"milvus-lite:{tmp_path}/x.db") == f"{tmp_path}/x.db"
    assert client_uri("milvus://10.0.0.5") == "http://10.0.0.5:19530"
    assert client_uri("milvus+https://db.example:443") == "https://db.example:443"
    assert is_milvus_uri("milvus://h:1") and not is_milvus_uri("faiss")
    with pytest.raises(ValueError, match=r"must end in \.db"):
        client_uri(f"milvus-lite:{tmp_path}/x")
    with pytest.raises(ValueError, match="does not exist"):
        client_uri(f"milvus-lite:{tmp_path}/no/such/x.db")
    with pytest.raises(ValueError, match="HOST:PORT"):
        client_uri("milvus://")


def test_filter_expressions_quote_any_id():
    assert expression(None) == ""
    assert expression(Filter(doc_ids={'say "hi"\\'})) == r'doc_id in ["say \"hi\"\\"]'
    assert expression(Filter(date_from="2020-01-01"), ids=["x"]) == \
        'id in ["x"] and date != "" and date >= "2020-01-01"'


def test_contents_and_manifest_survive_a_reopen_and_a_mismatch_is_refused(tmp_path):
    uri = f"milvus-lite:{tmp_path}/keep.db"
    store = MilvusStore.open(uri, manifest=MANIFEST)
    store.upsert(CHUNKS, ["c1", "c2"], np.eye(4, dtype=np.float32)[:2], [{"doc_id": "a"}, {"doc_id": "b"}])
    MilvusLexical(store.session).upsert(["c1"], ["Tankers collided"], [{"doc_id": "a"}])
    store.close()

    again = MilvusStore.open(uri, manifest=MANIFEST)
    assert again.count(CHUNKS) == 2
    assert [h.id for h in MilvusLexical(again.session).search("tanker", k=2)] == ["c1"]
    again.close()
    with pytest.raises(IndexMismatchError) as err:
        MilvusStore.open(uri, manifest={**MANIFEST, "model": "other-model"})
    message = str(err.value)
    assert "'other-model'" in message and "fake-hash-64" in message and "--rebuild" in message and uri in message


def test_fresh_empties_only_its_namespace_whatever_it_was_built_with(tmp_path):
    uri = f"milvus-lite:{tmp_path}/ns.db"
    one = MilvusStore.open(uri, manifest=MANIFEST)
    two = MilvusStore(one.session, manifest={**MANIFEST, "dim": 2}, namespace="other")
    one.upsert(CHUNKS, ["c1"], np.eye(4, dtype=np.float32)[:1], [{"doc_id": "a"}])
    two.upsert(CHUNKS, ["c1"], np.eye(2, dtype=np.float32)[:1], [{"doc_id": "a"}])
    MilvusLexical(one.session).upsert(["c1"], ["Tankers collided"], [{"doc_id": "a"}])
    rebuilt = MilvusStore(one.session, manifest={**MANIFEST, "model": "other"}, fresh=True)
    assert rebuilt.count(CHUNKS) == 0 and len(MilvusLexical(one.session)) == 0 and two.count(CHUNKS) == 1
    one.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_server_is_one_clear_error_naming_the_uri_and_the_fix():
    uri = f"milvus://127.0.0.1:{_free_port()}"  # nothing listens there
    t0 = time.monotonic()
    with pytest.raises(StoreUnreachableError) as err:
        MilvusStore.open(uri, manifest=MANIFEST, timeout=2)
    assert time.monotonic() - t0 < 30
    message = str(err.value)
    assert uri in message and "--store faiss" in message and "\n" not in message


def test_a_silent_server_times_out_instead_of_hanging():
    """A port that accepts connections and never answers: the call's timeout ends it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])  # read nothing, answer nothing
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    uri = f"milvus://127.0.0.1:{listener.getsockname()[1]}"
    try:
        t0 = time.monotonic()
        with pytest.raises(StoreUnreachableError, match="did not answer"):
            MilvusStore.open(uri, manifest=MANIFEST, timeout=1.5)
        assert time.monotonic() - t0 < 20
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        listener.close()


def test_docstring_examples_run():
    import doctest

    from rag.index import milvus_client, milvus_collections, milvus_store, workers

    for module in (milvus_client, milvus_collections, milvus_store, workers):
        failed, tried = doctest.testmod(module)
        assert tried > 0 and failed == 0, module.__name__
