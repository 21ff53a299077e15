"""Writing the chunks of an index as the columns of ``chunks.cols`` (read by :mod:`rag.index.record_rows`),
and counting their distinct sentences, cheaply when most chunks were loaded from columns.

An update of one article keeps every other article's chunks as loaded (:class:`LoadedChunk` rows of
one :class:`ChunkRows`). Their sentence rows are then taken from the loaded columns in numpy (a
:class:`Rewrite`): no chunk makes its sentences, and the kept ones are not encoded again one by one.
Chunks of any other origin take the general path, one dict look-up per sentence.

Example:
    >>> from rag.index.columns import Texts
    >>> from rag.records import Chunk, Sentence
    >>> s, t = Sentence("s1", "d", 0, 3, "Hi."), Sentence("s2", "d", 4, 7, "Yo.")
    >>> chunks = [Chunk("c1", "d", 0, 7, "Hi. Yo.", 2, (s, t)), Chunk("c2", "d", 4, 7, "Yo.", 1, (t,))]
    >>> arrays = chunk_arrays(chunks); Texts.of(arrays, "sentence.id").tolist(), arrays["sentences"].tolist()
    (['s1', 's2'], [0, 1, 1])
    >>> sentence_count(chunks)
    2
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from rag.index.columns import gather_texts, pack_texts
from rag.index.record_rows import ChunkRows, LoadedChunk, spans
from rag.records import Chunk


def chunk_arrays(chunks: Sequence[Chunk]) -> dict[str, np.ndarray]:
    """The columns of ``chunks.cols``: per chunk its fields and the rows of its sentences in a table
    of distinct sentence ids (overlapping chunks share a row, as :attr:`Index.sentences` keeps one
    sentence per id)."""
    rewrite = Rewrite.of(chunks)
    if rewrite is not None:
        return rewrite.arrays()
    row_of: dict[str, int] = {}
    ids, starts, ends, refs, ref_at = [], [], [], [], [0]
    for c in chunks:
        for sid, start, end in spans(c):
            row = row_of.get(sid)
            if row is None:
                row = row_of[sid] = len(ids)
                ids.append(sid), starts.append(start), ends.append(end)
            refs.append(row)
        ref_at.append(len(refs))
    return {**_fields(chunks), "sentences": np.array(refs, np.int64), "sentences@at": np.array(ref_at, np.int64),
            **pack_texts("sentence.id", ids), "sentence.start": np.array(starts, np.int64),
            "sentence.end": np.array(ends, np.int64)}


def sentence_count(chunks: Sequence[Chunk]) -> int:
    """How many distinct sentence ids ``chunks`` hold, without making a loaded chunk's sentences."""
    if isinstance(chunks, ChunkRows):
        return len(chunks.sentence_ids())
    rewrite = Rewrite.of(chunks)
    if rewrite is not None:
        return len(rewrite.used) + len(rewrite.new)
    return len({i for c in chunks for i in (c.sentence_ids() if isinstance(c, LoadedChunk) else
                                              [s.id for s in c.sentences])})


def _fields(chunks: Sequence[Chunk]) -> dict[str, np.ndarray]:
    return {**pack_texts("id", [c.id for c in chunks]), **pack_texts("doc_id", [c.doc_id for c in chunks]),
            "start": np.array([c.start for c in chunks], np.int64), "end": np.array([c.end for c in chunks], np.int64),
            "n_tokens": np.array([c.n_tokens for c in chunks], np.int64),
            **pack_texts("text", [c.text for c in chunks])}


def _source(chunks: Sequence[Chunk]) -> ChunkRows | None:
    """The columns most of ``chunks`` were loaded from (an update keeps all but the changed articles')."""
    if isinstance(chunks, ChunkRows):
        return chunks
    counts: dict[int, list] = {}
    for c in chunks[:: max(1, len(chunks) // 64)]:  # a sample: the loaded chunks of one index share one ChunkRows
        rows = c.__dict__.get("_rows")
        if rows is not None:
            counts.setdefault(id(rows), [0, rows])[0] += 1
    return max(counts.values(), key=lambda x: x[0])[1] if counts else None


class Rewrite:
    """The sentence rows of ``chunks`` when most are rows of ``source``: those chunks' rows gathered from it
    (``used``: the old rows still referenced, in their old order), the others' sentences appended (``new``)."""

    @classmethod
    def of(cls, chunks: Sequence[Chunk]) -> Rewrite | None:
        """None when no chunk was loaded from columns, or when an appended sentence id is also the id of a
        kept row (the general path dedupes that; an edited article's new chunks repeat the ids of its old
        sentences, but those rows are not kept)."""
        source = _source(chunks)
        if source is None:
            return None
        rewrite = cls(chunks, source)
        kept = np.zeros(len(source.sentence_ids()), np.bool_)
        kept[rewrite.used] = True
        row_of = source.row_of_sentence
        return None if any(kept[row_of[sid]] for sid in rewrite.new if sid in row_of) else rewrite

    def __init__(self, chunks: Sequence[Chunk], source: ChunkRows) -> None:
        self.chunks, self.source = chunks, source
        self.rows = np.array([_row(c, source) for c in chunks], np.int64)  # -1: not a kept row
        kept = self.rows[self.rows >= 0]
        at = source.ref_at
        self.kept_lengths = at[kept + 1] - at[kept]
        first = np.cumsum(self.kept_lengths) - self.kept_lengths  # where each kept chunk's refs start, gathered
        self.old_refs = source.refs[np.arange(int(self.kept_lengths.sum())) + np.repeat(at[kept] - first,
                                                                                       self.kept_lengths)]
        self.used = np.unique(self.old_refs)
        self.new: dict[str, tuple[int, int]] = {}  # appended sentence id -> (start, end), first one wins
        for i in np.flatnonzero(self.rows < 0).tolist():
            for sid, start, end in spans(chunks[i]):
                self.new.setdefault(sid, (start, end))

    def arrays(self) -> dict[str, np.ndarray]:
        """The columns: per chunk, its rows renumbered (kept rows in their old order, then the new ones)."""
        source, rows, kept_pos = self.source, self.rows, np.flatnonzero(self.rows >= 0)
        renumber = np.full(len(source.sentence_ids()), -1, np.int64)
        renumber[self.used] = np.arange(len(self.used))
        new_row = {sid: len(self.used) + k for k, sid in enumerate(self.new)}
        added = {i: [new_row[sid] for sid, _, _ in spans(self.chunks[i])] for i in np.flatnonzero(rows < 0).tolist()}
        lengths = np.zeros(len(rows), np.int64)
        lengths[kept_pos] = self.kept_lengths
        for i, refs in added.items():
            lengths[i] = len(refs)
        ref_at = np.zeros(len(rows) + 1, np.int64)
        np.cumsum(lengths, out=ref_at[1:])
        refs = np.empty(ref_at[-1], np.int64)
        first = np.cumsum(self.kept_lengths) - self.kept_lengths
        refs[np.arange(len(self.old_refs)) + np.repeat(ref_at[kept_pos] - first, self.kept_lengths)] = \
            renumber[self.old_refs]
        for i, new_refs in added.items():
            refs[ref_at[i]:ref_at[i + 1]] = new_refs
        kept_ids = gather_texts("sentence.id", source.sentence_texts, self.used)
        new_ids = pack_texts("sentence.id", list(self.new))
        id_offsets = kept_ids["sentence.id@at"]
        offsets = np.concatenate([id_offsets, new_ids["sentence.id@at"][1:] + id_offsets[-1]])
        spans_new = np.array(list(self.new.values()), np.int64).reshape(-1, 2)
        return {**_fields(self.chunks), "sentences": refs, "sentences@at": ref_at,
                "sentence.id": np.concatenate([kept_ids["sentence.id"], new_ids["sentence.id"]]),
                "sentence.id@at": offsets,
                "sentence.start": np.concatenate([source.sentence_start[self.used], spans_new[:, 0]]),
                "sentence.end": np.concatenate([source.sentence_end[self.used], spans_new[:, 1]])}


def _row(c: Chunk, source: ChunkRows) -> int:
    """The row of ``c`` in ``source`` when it is that row unchanged (its sentences never replaced), else -1."""
    d = c.__dict__
    return d["_row"] if type(c) is LoadedChunk and d.get("_rows") is source and "sentences" not in d else -1
