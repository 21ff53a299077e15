"""The documents and chunks of an index as columns (``documents.cols``, ``chunks.cols``), read back as
sequences that make a record when it is first used (issue 14: opening an unchanged index).

``chunks.cols`` holds per chunk its id, document id, offsets, token count and text, and the rows of
its sentences in a table of distinct sentences (id, start, end): overlapping chunks share a row, as
they share a sentence id (an id hashes its document, offsets and text). A sentence's text is a slice of
its chunk's, so it is not stored. ``documents.cols`` holds the fields of :class:`DocRecord`.

Example:
    >>> from rag.records import Chunk, Sentence
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

from rag.index.columns import Texts, decode, encode, gather_texts, pack_texts  # noqa: F401 - decode/encode: the example
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


def chunk_arrays(chunks: Sequence[Chunk]) -> dict[str, np.ndarray]:
    """The columns of ``chunks.cols``. Chunks loaded from columns and not changed since keep their sentence
    rows, copied in numpy (:func:`_rewrite`): an update of one article does not re-encode the other 10,000."""
    source = _source(chunks)
    if source is not None:
        arrays = _rewrite(chunks, source)
        if arrays is not None:
            return arrays
    row_of: dict[str, int] = {}
    ids, starts, ends, refs, ref_at = [], [], [], [], [0]
    for c in chunks:
        for sid, start, end in spans(c):
            row = row_of.get(sid)
            if row is None:  # one row per sentence id, as Index.sentences keeps one sentence per id
                row = row_of[sid] = len(ids)
                ids.append(sid), starts.append(start), ends.append(end)
            refs.append(row)
        ref_at.append(len(refs))
    return {**_chunk_fields(chunks), "sentences": np.array(refs, np.int64), "sentences@at": np.array(ref_at, np.int64),
            **pack_texts("sentence.id", ids), "sentence.start": np.array(starts, np.int64),
            "sentence.end": np.array(ends, np.int64)}


def _chunk_fields(chunks: Sequence[Chunk]) -> dict[str, np.ndarray]:
    return {**pack_texts("id", [c.id for c in chunks]), **pack_texts("doc_id", [c.doc_id for c in chunks]),
            "start": np.array([c.start for c in chunks], np.int64), "end": np.array([c.end for c in chunks], np.int64),
            "n_tokens": np.array([c.n_tokens for c in chunks], np.int64), **pack_texts("text", [c.text for c in chunks])}


def _row(c: Chunk, source: ChunkRows) -> int:
    """The row of ``c`` in ``source`` when it is that row unchanged (its sentences never replaced), else -1."""
    d = c.__dict__
    return d["_row"] if type(c) is LoadedChunk and d.get("_rows") is source and "sentences" not in d else -1


def _source(chunks: Sequence[Chunk]) -> ChunkRows | None:
    """The columns most of ``chunks`` were loaded from (an update keeps all but the changed articles')."""
    if isinstance(chunks, ChunkRows):
        return chunks
    counts: dict[int, tuple[int, ChunkRows]] = {}
    for c in chunks[:: max(1, len(chunks) // 64)]:  # a sample: the rows are one object or none
        rows = c.__dict__.get("_rows")
        if rows is not None:
            counts[id(rows)] = (counts.get(id(rows), (0, rows))[0] + 1, rows)
    return max(counts.values(), key=lambda x: x[0])[1] if counts else None


def _rewrite(chunks: Sequence[Chunk], source: ChunkRows) -> dict[str, np.ndarray] | None:
    """:func:`chunk_arrays` with the sentence rows of ``source``'s chunks gathered in numpy and the other
    chunks' sentences appended; None when a new sentence id is also an old one (the general path dedupes)."""
    rows = np.array([_row(c, source) for c in chunks], np.int64)
    kept = rows[rows >= 0]
    old_ids, refs, at, _, _ = source._lists
    at = np.asarray(at, np.int64)
    lengths = at[kept + 1] - at[kept]
    ends = np.cumsum(lengths)
    old_refs = source._refs[np.arange(ends[-1] if len(ends) else 0) + np.repeat(at[kept] - (ends - lengths), lengths)]
    used = np.unique(old_refs)  # the old sentence rows still referenced, in their old order
    renumber = np.full(len(old_ids), -1, np.int64)
    renumber[used] = np.arange(len(used))
    new_of: dict[str, int] = {}
    new = [(sid, start, end) for c in chunks if _row(c, source) < 0 for sid, start, end in spans(c)]
    for sid, _, _ in new:
        new_of.setdefault(sid, len(used) + len(new_of))
    if new_of and not new_of.keys().isdisjoint(source.id_set):
        return None
    pieces, kept_at, lengths_list = [], 0, []
    mapped = renumber[old_refs]
    for c, row in zip(chunks, rows.tolist()):
        if row >= 0:
            n = at[row + 1] - at[row]
            pieces.append(mapped[kept_at:kept_at + n])
            kept_at += n
        else:
            pieces.append(np.array([new_of[sid] for sid, _, _ in spans(c)], np.int64))
        lengths_list.append(len(pieces[-1]))
    ref_at = np.zeros(len(chunks) + 1, np.int64)
    np.cumsum(lengths_list, out=ref_at[1:])
    first = {}
    for sid, start, end in new:
        first.setdefault(sid, (start, end))
    sentence_ids = gather_texts("sentence.id", source._sentence_ids, used)
    if first:
        added = pack_texts("sentence.id", list(first))
        sentence_ids = {"sentence.id": np.concatenate([sentence_ids["sentence.id"], added["sentence.id"]]),
                        "sentence.id@at": np.concatenate([sentence_ids["sentence.id@at"][:-1],
                                                          added["sentence.id@at"] + sentence_ids["sentence.id@at"][-1]])}
    spans_new = np.array(list(first.values()), np.int64).reshape(-1, 2)
    return {**_chunk_fields(chunks), "sentences": np.concatenate([np.empty(0, np.int64), *pieces]),
            "sentences@at": ref_at, **sentence_ids,
            "sentence.start": np.concatenate([source._sentence_start[used], spans_new[:, 0]]),
            "sentence.end": np.concatenate([source._sentence_end[used], spans_new[:, 1]])}


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
        self._sentence_ids = Texts.of(arrays, "sentence.id")
        self._numbers = {k: arrays[k].tolist() for k in ("start", "end", "n_tokens")}
        self._refs, self._ref_at = arrays["sentences"], arrays["sentences@at"]
        self._sentence_start, self._sentence_end = arrays["sentence.start"], arrays["sentence.end"]
        n, m = len(self.ids), len(self._sentence_ids)
        if (not len(self._doc_ids) == len(self._texts) == n or {len(v) for v in self._numbers.values()} != {n}
                or len(self._ref_at) != n + 1 or self._ref_at[0] != 0 or self._ref_at[-1] != len(self._refs)
                or (n and (np.diff(self._ref_at) < 0).any()) or len(self._sentence_start) != m
                or len(self._sentence_end) != m or (len(self._refs) and not 0 <= self._refs.min() <= self._refs.max() < m)):
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
        """The sentence ids, for a rewrite to check that the sentences it appends are new."""
        return frozenset(self._lists[0])

    @cached_property
    def _lists(self) -> tuple[list, ...]:
        """The sentence columns as lists, made once: a chunk's spans are then a few list reads each."""
        return (self._sentence_ids.tolist(), self._refs.tolist(), self._ref_at.tolist(),
                self._sentence_start.tolist(), self._sentence_end.tolist())


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
