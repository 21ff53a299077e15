"""The in-process :class:`~rag.index.protocols.LexicalIndex`: BM25 with ``bm25s`` (Lucene variant, Snowball stemming).

bm25s computes the BM25 weight of every (term, text) pair once, into a sparse
matrix with one column of postings per term. A query reads only the columns
of its own terms, so a search costs the length of those postings, not the
size of the corpus, and returns the top ``k`` (a filter is applied to the
postings before the cut). ``score(query, ids)`` reads the same postings for
the given ids: fusion gets the BM25 score of dense candidates too.

Updates: texts are tokenised once, on upsert, and their term ids kept. IDF and
length normalisation depend on the whole collection, so after an upsert or
delete the matrix is recomputed from the stored term ids (no re-tokenising),
lazily, before the next search or save. The saved files hold the matrix, so a
load does not refit (issue 14).

Example:
    >>> bm = Bm25Index()
    >>> bm.upsert(["t1", "t2"], ["33 Turkish soldiers killed", "Admiral Makarov sails"],
    ...           [{"doc_id": "a"}, {"doc_id": "b"}])
    >>> [h.id for h in bm.search("Makarov frigate", k=5)], bm.terms("How many soldiers?")
    (['t2'], ['soldier'])
    >>> bm.search("Makarov", k=5, where=Filter(doc_ids={"a"}))
    []
    >>> Bm25Index.from_files(bm.to_files()).score("Turkish soldiers", ["t2", "t1"]).round(2)
    array([0. , 0.6], dtype=float32)
"""
from __future__ import annotations

import io
import json
from typing import Iterable, Mapping, Sequence

import numpy as np

from rag.index.generations import read_file
from rag.index.protocols import Filter, Hit
from rag.lru import LRU

# Question words carry no topic: "how many" would otherwise match every article
# that says "many". Added to bm25s's English list, for documents and queries alike.
QUESTION_WORDS = ("how", "many", "much", "what", "whom", "whose", "why", "did", "does", "do", "say", "said")


def stopwords() -> list[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return sorted(set(STOPWORDS_EN) | set(QUESTION_WORDS))


def _stemmer():
    import Stemmer  # PyStemmer; optional in bm25s, required here for recall

    return Stemmer.Stemmer("english")


class Bm25Index:
    """BM25 by id. ``k1``/``b`` are the usual BM25 saturation and length knobs."""

    def __init__(self, *, k1: float = 1.2, b: float = 0.75, method: str = "lucene"):
        if k1 < 0 or not 0 <= b <= 1:
            raise ValueError(f"BM25 needs k1 >= 0 and 0 <= b <= 1; got k1={k1}, b={b}.")
        self.settings = {"k1": k1, "b": b, "method": method}
        self._stemmer, self._stopwords = _stemmer(), stopwords()
        self._vocab: dict[str, int] = {}
        self._tokens: dict[str, np.ndarray] = {}  # id -> term ids, in upsert order
        self._payload: dict[str, dict] = {}
        self._rows: list[str] = []                # row of the fitted matrix -> id
        self._row_of: dict[str, int] = {}
        self._groups: dict[tuple, np.ndarray] | None = None  # (doc_id, date) -> rows, built on the first filter
        self._matrix: dict | None = None          # bm25s's CSC arrays: data, indices (rows), indptr (per term)
        self._dirty = False
        self._analysed = LRU(1024)

    # -- the LexicalIndex protocol ----------------------------------------------
    def upsert(self, ids: Sequence[str], texts: Sequence[str], payloads: Sequence[Mapping[str, str]]) -> None:
        if not len(ids) == len(texts) == len(payloads):
            raise ValueError(f"upsert needs one text and one payload per id; got {len(ids)} ids, {len(texts)} texts "
                             f"and {len(payloads)} payloads.")
        for id_, terms, payload in zip(ids, self.terms_many(texts), payloads):
            self._tokens.pop(id_, None)  # a replaced id moves to the end, like a new one
            self._tokens[id_] = np.array([self._vocab.setdefault(t, len(self._vocab)) for t in terms], np.int32)
            self._payload[id_] = {str(k): str(v) for k, v in payload.items() if v is not None}
        self._dirty = self._dirty or bool(len(ids))

    def delete(self, ids: Iterable[str]) -> None:
        for id_ in ids:
            if self._tokens.pop(id_, None) is not None:
                del self._payload[id_]
                self._dirty = True

    def search(self, query: str, k: int, *, where: Filter | None = None) -> list[Hit]:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be an integer >= 1; got {k!r}.")
        rows, scores = self._postings(query)
        if where is not None and not where.is_open and rows.size:
            keep = np.isin(rows, self._rows_where(where))
            rows, scores = rows[keep], scores[keep]
        top = np.argsort(-scores, kind="stable")[:k]  # only the matching postings are sorted
        return [Hit(self._rows[r], float(scores[i]), self._payload[self._rows[r]]) for i, r in zip(top, rows[top])]

    def score(self, query: str, ids: Sequence[str]) -> np.ndarray:
        missing = next((i for i in ids if i not in self._tokens), None)
        if missing is not None:
            raise KeyError(f"id {missing!r} is not in the lexical index; pass ids that were upserted.")
        rows, scores = self._postings(query)
        by_row = dict(zip(rows.tolist(), scores.tolist()))
        return np.array([by_row.get(self._row_of[i], 0.0) for i in ids], np.float32)

    def terms(self, text: str) -> list[str]:
        # One search analyses its query up to three times (search, score, the retriever's overlap),
        # and bm25s.tokenize costs ~1 ms a call whatever the length: remember recent texts.
        terms = self._analysed.get(text)
        if terms is None:
            terms = self.terms_many([text])[0]
            self._analysed.put(text, terms)
        return list(terms)

    def terms_many(self, texts: Sequence[str]) -> list[list[str]]:
        """:meth:`terms` of many texts in one tokenizer call (the per-call overhead dominates short texts)."""
        import bm25s

        if not texts:
            return []
        return [list(t) for t in bm25s.tokenize(list(texts), stopwords=self._stopwords, stemmer=self._stemmer,
                                                show_progress=False, return_ids=False)]

    def __len__(self) -> int:
        return len(self._tokens)

    # -- internals -------------------------------------------------------------
    def _postings(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """Rows with at least one query term and their BM25 scores, from those terms' postings only."""
        self._fit()
        # A repeated query term counts each time, as in bm25s's get_scores and Lucene.
        columns = [self._vocab[t] for t in self.terms(query) if t in self._vocab]
        if self._matrix is None or not columns:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        m = self._matrix
        parts = [(m["indices"][m["indptr"][c]:m["indptr"][c + 1]], m["data"][m["indptr"][c]:m["indptr"][c + 1]])
                 for c in columns]
        rows, inverse = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
        scores = np.bincount(inverse, weights=np.concatenate([p[1] for p in parts]), minlength=rows.size)
        return rows.astype(np.int64), scores.astype(np.float32)

    def _rows_where(self, where: Filter) -> np.ndarray:
        """Rows whose payload ``where`` admits: one test per (doc_id, date) group, not per text."""
        if self._groups is None:
            groups: dict[tuple, list[int]] = {}
            for r, id_ in enumerate(self._rows):
                p = self._payload[id_]
                groups.setdefault((p.get("doc_id"), p.get("date")), []).append(r)
            self._groups = {key: np.array(rows, np.int64) for key, rows in groups.items()}
        admitted = [rows for (doc_id, date), rows in self._groups.items()
                    if where.admits({"doc_id": doc_id, "date": date})]
        return np.concatenate([np.empty(0, np.int64), *admitted])

    def _fit(self) -> None:
        if not self._dirty:
            return
        import bm25s
        from bm25s.tokenization import Tokenized

        self._rows = list(self._tokens)
        self._row_of = {id_: r for r, id_ in enumerate(self._rows)}
        self._matrix, self._groups = None, None
        if self._rows:
            bm = bm25s.BM25(**self.settings)
            bm.index(Tokenized(ids=[t.tolist() for t in self._tokens.values()], vocab=dict(self._vocab)),
                     show_progress=False)
            self._matrix = {k: np.asarray(bm.scores[k]) for k in ("data", "indices", "indptr")}
        self._dirty = False

    # -- persistence -----------------------------------------------------------
    def to_files(self) -> dict[str, bytes]:
        """``{"bm25.json": settings, ids, payloads, vocabulary; "bm25.npz": the matrix and term ids}``."""
        self._fit()
        lengths = np.array([len(t) for t in self._tokens.values()], np.int64)
        arrays = {"lengths": lengths, "terms": np.concatenate([*self._tokens.values(), np.empty(0, np.int32)])}
        arrays.update(self._matrix or {})
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        meta = {"settings": self.settings, "ids": self._rows, "payloads": [self._payload[i] for i in self._rows],
                "vocab": list(self._vocab)}
        return {"bm25.json": json.dumps(meta, ensure_ascii=False).encode(), "bm25.npz": buf.getvalue()}

    @classmethod
    def from_files(cls, files: Mapping[str, bytes]) -> Bm25Index:
        """Inverse of :meth:`to_files`, without refitting; ValueError("<file> cannot be read (why)") names damage."""
        names = ("settings", "ids", "payloads", "vocab")
        meta = read_file(files, "bm25.json", lambda b: _fields(json.loads(b), names))  # parsed once, not per field
        arrays = read_file(files, "bm25.npz", _arrays)
        bm = read_file(files, "bm25.json", lambda _: cls(**meta["settings"]))
        read_file(files, "bm25.npz", lambda _: bm._restore(meta, arrays))
        return bm

    def _restore(self, meta: dict, arrays: dict) -> None:
        self._vocab = {t: i for i, t in enumerate(meta["vocab"])}
        ids, lengths = meta["ids"], arrays["lengths"]
        if len(ids) != len(lengths) or len(ids) != len(meta["payloads"]) or int(lengths.sum()) != arrays["terms"].size:
            raise ValueError(f"bm25.json lists {len(ids)} texts but bm25.npz holds {len(lengths)}")
        self._tokens = dict(zip(ids, np.split(arrays["terms"].astype(np.int32), np.cumsum(lengths)[:-1])))
        self._payload = dict(zip(ids, meta["payloads"]))
        self._rows, self._row_of = list(ids), {id_: r for r, id_ in enumerate(ids)}
        if ids:
            self._matrix = {k: arrays[k] for k in ("data", "indices", "indptr")}
            if self._matrix["indptr"].size < len(self._vocab) + 1:
                raise ValueError(f"{self._matrix['indptr'].size - 1} term columns for a vocabulary of {len(self._vocab)}")


def _fields(meta: dict, names: tuple[str, ...]) -> dict:
    return {k: meta[k] for k in names}  # KeyError names a missing one


def _arrays(data: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}
