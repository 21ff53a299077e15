"""The Milvus collections of one store: their schema, batched writes, reads and the manifest property.

Each row is ``id`` (primary key: the caller's id), ``doc_id`` and ``date`` as
scalar fields, so filters run in the engine, and the rest of the payload as
JSON. A vector collection adds ``vector`` (inner product, exact FLAT index);
the lexical one adds ``text`` (analysed by Milvus's word tokenizer) and
``sparse``, the BM25 vector Milvus derives from it with its BM25 function.

Milvus Lite builds the BM25 statistics of unflushed rows over the filtered
subset only, so on Lite every write is flushed at once: a filtered score then
equals the unfiltered one. A server needs no flush to read its own writes, but
only at "Strong" consistency: at its default ("Bounded"), a search or count
right after a write misses it for a while (a Milvus 2.3 standalone server
returned no hits and a count of 0 just after an upsert), so an index would seem
half-built and be rebuilt on every open. Each collection is created "Strong".

Example:
    >>> split_payloads([{"doc_id": "a", "start": "3"}, {"doc_id": "b", "date": "2020-01-02"}])
    [{'doc_id': 'a', 'date': '', 'payload': {'start': '3'}}, {'doc_id': 'b', 'date': '2020-01-02', 'payload': {}}]
"""
from __future__ import annotations

import json
from typing import Iterable, Mapping, Sequence

from rag.index.milvus_client import LITE, MilvusSession
from rag.index.protocols import Hit

MANIFEST_KEY = "rag.manifest"
BATCH = 1000          # rows per upsert/get call: well under gRPC's 64 MB message limit at 1024 dims
MAX_K = 16384         # Milvus's largest top-k
OUTPUT = ["doc_id", "date", "payload"]
BM25 = {"bm25_k1": 1.2, "bm25_b": 0.75}  # the in-process index's k1 and b


def split_payloads(payloads: Sequence[Mapping[str, str]]) -> list[dict]:
    """Payloads split into the filterable scalars and the JSON rest; a missing date is ""."""
    rows = []
    for p in payloads:
        p = {str(k): str(v) for k, v in p.items() if v is not None}
        rows.append({"doc_id": p.pop("doc_id", ""), "date": p.pop("date", ""), "payload": p})
    return rows


def to_hit(raw: dict, score: float) -> Hit:
    e = raw["entity"]
    payload = {"doc_id": e["doc_id"], **({"date": e["date"]} if e["date"] else {}), **(e.get("payload") or {})}
    return Hit(str(raw["id"]), float(score), payload)


def _schema(session: MilvusSession, dim: int | None):
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    s = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("id", DataType.VARCHAR, is_primary=True, max_length=512)
    s.add_field("doc_id", DataType.VARCHAR, max_length=2048)
    s.add_field("date", DataType.VARCHAR, max_length=32)
    s.add_field("payload", DataType.JSON)
    index = session.client.prepare_index_params()
    if dim is not None:
        s.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        index.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
    else:
        s.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True,
                    analyzer_params={"tokenizer": "standard"})
        s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        s.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                                output_field_names=["sparse"]))
        index.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=BM25)
    return s, index


class Collections:
    """Named collections ``{namespace}_{name}`` in one session, created on first use."""

    def __init__(self, session: MilvusSession, namespace: str = "rag"):
        if not namespace.isidentifier():
            raise ValueError(f"namespace {namespace!r} must be letters, digits and underscores (e.g. 'rag').")
        self.session, self.namespace = session, namespace
        self._lite = session.store.startswith(LITE)

    def name(self, collection: str) -> str:
        return f"{self.namespace}_{collection}"

    def create(self, collection: str, *, dim: int | None, manifest: Mapping | None = None) -> None:
        """Create ``collection`` if missing (vectors of ``dim``, or BM25 texts when ``dim`` is None), and load it."""
        name = self.name(collection)
        if not self.session.call("has_collection", name):
            schema, index = _schema(self.session, dim)
            props = {MANIFEST_KEY: json.dumps(dict(manifest or {}), sort_keys=True)}
            self.session.call("create_collection", name, schema=schema, index_params=index, properties=props,
                              consistency_level="Strong")
        else:  # an existing collection is searchable only once loaded (creating one loads it)
            self.session.call("load_collection", name)

    def drop(self, collection: str) -> None:
        self.session.call("drop_collection", self.name(collection))

    def manifest(self, collection: str) -> dict:
        props = self.session.call("describe_collection", self.name(collection)).get("properties") or {}
        return json.loads(props.get(MANIFEST_KEY) or "{}")

    def write(self, collection: str, rows: list[dict]) -> None:
        for start in range(0, len(rows), BATCH):
            self.session.call("upsert", self.name(collection), rows[start:start + BATCH])
        self._flush(collection)

    def delete(self, collection: str, ids: Iterable[str]) -> None:
        ids = list(dict.fromkeys(ids))
        for start in range(0, len(ids), BATCH):
            self.session.call("delete", self.name(collection), ids=ids[start:start + BATCH])
        if ids:
            self._flush(collection)

    def _flush(self, collection: str) -> None:
        if self._lite:  # see the module docstring
            self.session.call("flush", self.name(collection))

    def count(self, collection: str) -> int:
        rows = self.session.call("query", self.name(collection), filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def search(self, collection: str, data, k: int, field: str, expr: str) -> list[dict]:
        """Top ``k`` rows for one query (a vector or a text), best first, as the client returns them."""
        return self.session.call("search", self.name(collection), data=[data], anns_field=field,
                                 limit=min(k, MAX_K), filter=expr, output_fields=OUTPUT)[0]

    def get(self, collection: str, ids: Sequence[str], fields: list[str]) -> dict[str, dict]:
        """Stored rows of ``ids`` by id (unknown ids are absent)."""
        found = {}
        for start in range(0, len(ids), BATCH):
            for row in self.session.call("get", self.name(collection), ids=list(ids[start:start + BATCH]),
                                         output_fields=fields):
                found[row["id"]] = row
        return found
