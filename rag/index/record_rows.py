"""The documents and chunks of an index as columns (``documents.cols``, ``chunks.cols``), read back as
sequences that make a record when it is first used (issue 14: opening an unchanged index).

``chunks.cols`` holds per chunk its id, document id, offsets, token count and text, and the rows of
its sentences in a table of distinct sentences (id, start, end): overlapping chunks share a row, as
they share a sentence id (an id hashes its document, offsets and text). A sentence's text is a slice of
its chunk's, so it is not stored. ``documents.cols`` holds the fields of :class:`DocRecord`.

:mod:`rag.index.chunk_columns` writes the chunks' columns.

Example:
    >>> from rag.index.chunk_columns import chunk_arrays
    >>> from rag.index.columns import decode, encode
    >>> s = Sentence("s1", "d", 0, 3, "Hi.")
    >>> rows = ChunkRows(decode(encode(chunk_arrays([Chunk("c1", "d", 0, 3, "Hi.", 1, (s,))])))[0])
    >>> rows[0].sentences == (s,), rows.by_id()["c1"].text, rows.sentence_ids()
    (True, 'Hi.', ['s1'])
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from functools import cached_property

import numpy as np

from rag.index.columns import Texts, pack_texts
from rag.records import Chunk, Sentence


class LoadedChunk(Chunk):
    """A chunk read from an index that makes its :class:`Sentence` records on first use: an open made
    all of them (130,000 at bench_open's 10,000 articles, ~0.25 s of every open) while a search reads the
    sentences of a few chunks. Equal to a :class:`Chunk` of the same fields. Its ``_spans`` (id, start,
    end per sentence) are given (``chunks.json``) or read from its :class:`ChunkRows` when first used."""

    @cached_property
    def _spans(self) -> list:
        return self.__dict__["_rows"].spans(self.__dict__["_row"])

    @cached_property
    def sentences(self) -> tuple[Sentence, ...]:  # noqa: F811 - the field, made when first read
        base, doc_id, text = self.start, self.doc_id, self.text
        # positional and from a list: a third faster than keywords and a generator
        return tuple([Sentence(i, doc_id, s, e, text[s - base : e - base]) for i, s, e in self._spans])

    def sentence_ids(self) -> list[str]:
        return [i for i, _, _ in self._spans]

    def __eq__(self, other):
        if not isinstance(other, Chunk):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in fields(Chunk))

    __hash__ = Chunk.__hash__


def spans(c: Chunk) -> list:
    """``[[id, start, end], ...]`` of a chunk's sentences, without making a loaded chunk's records."""
    if isinstance(c, LoadedChunk) and "sentences" not in c.__dict__:
        return c._spans
    return [[s.id, s.start, s.end] for s in c.sentences]


class _ById(Mapping):
    """``id -> record`` over :class:`Rows`, a record made when it is looked up."""

    def __init__(self, rows: Rows) -> None:
        self._rows, self._row_of = rows, {id_: i for i, id_ in enumerate(rows.ids)}

    def __getitem__(self, id_):
        return self._rows[self._row_of[id_]]

    def __contains__(self, id_) -> bool:
        return id_ in self._row_of

    def __iter__(self):
        return iter(self._row_of)

    def __len__(self) -> int:
        return len(self._row_of)


class Rows(Sequence):
    """Records made from columns on first use, then kept; ``ids`` are decoded up front (a look-up by id
    needs them all)."""

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.ids = Texts.of(arrays, "id").tolist()
        self._made: list = [None] * len(self.ids)
        self._by_id: _ById | None = None

    def make(self, i: int):
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        record = self._made[i]
        if record is None:
            record = self._made[i] = self.make(i % len(self))
        return record

    def __eq__(self, other):  # equal to a list of the same records, as the list it stands for
        if not isinstance(other, (list, tuple, Rows)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # like a list

    def by_id(self) -> _ById:
        if self._by_id is None:
            self._by_id = _ById(self)
        return self._by_id


class ChunkRows(Rows):
    """The chunks of ``chunks.cols``; see the module docstring."""

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        super().__init__(arrays)
        self._doc_ids, self._texts = Texts.of(arrays, "doc_id"), Texts.of(arrays, "text")
        self.sentence_texts = Texts.of(arrays, "sentence.id")
        self._numbers = {k: arrays[k].tolist() for k in ("start", "end", "n_tokens")}
        # per chunk, its sentences' rows: refs[ref_at[i]:ref_at[i + 1]]; per row, a sentence's offsets
        self.refs, self.ref_at = arrays["sentences"], arrays["sentences@at"]
        self.sentence_start, self.sentence_end = arrays["sentence.start"], arrays["sentence.end"]
        n, m, refs, at = len(self.ids), len(self.sentence_texts), self.refs, self.ref_at
        if (not len(self._doc_ids) == len(self._texts) == n or {len(v) for v in self._numbers.values()} != {n}
                or any(a.dtype.kind not in "iu" for a in (refs, at, self.sentence_start, self.sentence_end))
                or len(at) != n + 1 or at[0] != 0 or at[-1] != len(refs) or (n and (np.diff(at) < 0).any())
                or len(self.sentence_start) != m or len(self.sentence_end) != m
                or (len(refs) and not 0 <= refs.min() <= refs.max() < m)):
            raise ValueError(f"columns of {n} chunks and {m} sentences that do not fit together")

    def make(self, i: int) -> LoadedChunk:
        c = object.__new__(LoadedChunk)  # the frozen dataclass's fields, set as its __init__ would
        numbers = self._numbers
        c.__dict__.update(id=self.ids[i], doc_id=self._doc_ids[i], start=numbers["start"][i], end=numbers["end"][i],
                          text=self._texts[i], n_tokens=numbers["n_tokens"][i], _rows=self, _row=i)
        return c

    def spans(self, i: int) -> list:
        ids, refs, at, starts, ends = self._lists
        return [[ids[r], starts[r], ends[r]] for r in refs[at[i]:at[i + 1]]]

    def sentence_ids(self) -> list[str]:
        """The distinct sentence ids, one per sentence row."""
        return self._lists[0]

    @cached_property
    def id_set(self) -> frozenset[str]:
        """The sentence ids as a set, for a load to check them against the vectors."""
        return frozenset(self._lists[0])

    @cached_property
    def row_of_sentence(self) -> dict[str, int]:
        """Sentence id -> its row."""
        return {sid: row for row, sid in enumerate(self._lists[0])}

    @cached_property
    def _lists(self) -> tuple[list, ...]:
        """The sentence columns as lists, made once: a chunk's spans are then a few list reads each."""
        return (self.sentence_texts.tolist(), self.refs.tolist(), self.ref_at.tolist(),
                self.sentence_start.tolist(), self.sentence_end.tolist())


def doc_arrays(docs: Sequence) -> dict[str, np.ndarray]:
    """The columns of ``documents.cols`` (of :class:`~rag.index.chunk_index.DocRecord`)."""
    out = {"n_chunks": np.array([d.n_chunks for d in docs], np.int64)}
    for name in ("id", "title", "path", "source", "date", "sha256"):
        out.update(pack_texts(name, [getattr(d, name) for d in docs]))
    return out


class DocRows(Rows):
    """The documents of ``documents.cols``, each made with ``make_record(**fields)`` on first use."""

    def __init__(self, arrays: Mapping[str, np.ndarray], make_record) -> None:
        super().__init__(arrays)
        self._columns = {name: Texts.of(arrays, name) for name in ("title", "path", "source", "date", "sha256")}
        self._n_chunks, self._make_record = arrays["n_chunks"], make_record
        if {len(c) for c in self._columns.values()} | {len(self._n_chunks)} != {len(self.ids)}:
            raise ValueError(f"columns of {len(self.ids)} documents that do not fit together")

    def make(self, i: int):
        return self._make_record(id=self.ids[i], n_chunks=int(self._n_chunks[i]),
                                 **{name: column[i] for name, column in self._columns.items()})
