"""A collection saved as the files of an earlier generation plus a delta, so updating one article
in a large index writes kilobytes instead of the whole faiss index again.

:meth:`FaissStore.to_files(incremental=True) <rag.index.faiss_store.FaissStore.to_files>` saves a
collection that was loaded from files of known checksums (``Collection.base``) and has changed
little since (:func:`worth_a_delta`) as:

- ``<name>.faiss`` and ``<name>.ids.cols``: :class:`~rag.index.generations.Reuse` of those files,
  hard-linked into the new generation, not rewritten;
- ``<name>.delta.npz``: the labels, vectors, ids and payloads added since, the labels of the base
  deleted since, and the base's checksums (a delta is only ever applied to the files it was made
  from; the generation checksums the delta itself like any file).

The delta is cumulative (each save rewrites it from the same base), so a load applies at most one;
past :data:`DELTA_SHARE` of the collection the collection is written whole and becomes the next base.

Example:
    >>> import numpy as np
    >>> from rag.index.faiss_collection import Collection
    >>> c = Collection.empty("flat", 2, {}); c.base = {"faiss": "f", "ids": "i"}
    >>> c.upsert(["x"], np.eye(2, dtype=np.float32)[:1], [{"doc_id": "a"}])
    >>> worth_a_delta(c)
    True
    >>> d = Collection.empty("flat", 2, {}); apply_delta(d, encode_delta(c), {"faiss": "f", "ids": "i"})
    >>> d.vectors(["x"]).tolist(), sorted(d.added)
    ([[1.0, 0.0]], [0])
"""
from __future__ import annotations

import io
import json

import numpy as np

DELTA_MIN = 1_000   # changed vectors a delta may always hold
DELTA_SHARE = 0.05  # ... or this share of the collection: each load re-adds them (HNSW inserts cost)


def delta_name(collection: str) -> str:
    return f"{collection}.delta.npz"


def worth_a_delta(c) -> bool:
    """True when ``c`` has base files to build on and its changes since are few."""
    return c.base is not None and len(c.added) + len(c.removed) <= max(DELTA_MIN, DELTA_SHARE * len(c))


def encode_delta(c) -> bytes:
    """The changes of ``c`` since its base files, as one ``.npz``."""
    labels = np.array(sorted(c.added), np.int64)
    vectors = c.reconstruct(labels) if labels.size else np.zeros((0, c.index.d), np.float32)
    meta = {"base": c.base, "next_label": c.next_label, "ids": [c.id_of[x] for x in labels.tolist()],
            "payloads": [c.payload[x] for x in labels.tolist()]}
    buf = io.BytesIO()
    np.savez(buf, labels=labels, vectors=vectors, removed=np.array(sorted(c.removed), np.int64),
             meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), np.uint8))
    return buf.getvalue()


def apply_delta(c, data: bytes, base: dict[str, str]) -> None:
    """Replay a delta on ``c``, freshly restored from the files whose checksums are ``base``;
    ValueError says why the delta does not fit them."""
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        arrays = {k: z[k] for k in ("labels", "vectors", "removed", "meta")}
    meta = json.loads(arrays["meta"].tobytes())
    if meta["base"] != base:
        raise ValueError("it was written for other base files (their checksums differ)")
    labels, vectors, removed = arrays["labels"], arrays["vectors"], arrays["removed"].tolist()
    if len(labels) != len(meta["ids"]) or vectors.shape != (len(labels), c.index.d):
        raise ValueError(f"{len(meta['ids'])} ids for {len(labels)} labels and vectors of shape {vectors.shape}")
    unknown = [x for x in removed if x not in c.id_of]
    if unknown or (labels.size and (int(labels.min()) < c.next_label or int(labels.max()) >= meta["next_label"])):
        raise ValueError("it deletes labels its base does not hold, or adds labels its base already used")
    c.base = base
    c.delete([c.id_of[x] for x in removed])
    c.add(np.ascontiguousarray(vectors, np.float32), labels)
    c.remember(meta["ids"], labels.tolist(), meta["payloads"])
    c.added, c.next_label = set(labels.tolist()), int(meta["next_label"])
