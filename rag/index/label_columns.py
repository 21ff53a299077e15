"""The id and payload maps of one faiss collection, as columns indexed by label (issue 14, memory).

faiss holds the vectors under int64 labels handed out in order; beside them a collection must know
each label's string id and payload, and each id's label. Held as a dict per map plus a set per
``(doc_id, date)`` group, that cost ~470 bytes a chunk at 1M chunks (bench_memory: 1.30x the raw
vectors). Here the only dict is ``label_of`` (id -> label, needed for look-ups by id); by label there
are a list of ids (a pointer each) and an ``array`` of int32 payload numbers into a table of the
distinct payloads (a build's chunks share their document's, a sentence its chunk's). A filter tests
each distinct payload once and selects labels with one numpy pass over the payload numbers.

Example:
    >>> cols = LabelColumns()
    >>> cols.add(["x", "y", "z"], [0, 1, 2], [{"doc_id": "a"}, {"doc_id": "b"}, {"doc_id": "a"}])
    >>> cols.drop([1]); cols.live().tolist(), cols.id_of[2], cols.payload[0] is cols.payload[2]
    ([0, 2], 'z', True)
    >>> cols.where(lambda p: p.get("doc_id") == "a").tolist(), 1 in cols.id_of
    ([0, 2], False)
"""
from __future__ import annotations

from array import array
from collections.abc import Mapping
from typing import Callable, Sequence

import numpy as np


class _ByLabel(Mapping):
    """A read-only view ``label -> value`` over the live labels (no dict per label)."""

    def __init__(self, cols: LabelColumns, value: Callable[[int], object]) -> None:
        self._cols, self._value = cols, value

    def __getitem__(self, label):
        ids = self._cols.ids
        if not 0 <= label < len(ids) or ids[label] is None:
            raise KeyError(label)
        return self._value(int(label))

    def __iter__(self):
        return iter(self._cols.live().tolist())

    def __len__(self) -> int:
        return len(self._cols.label_of)


class LabelColumns:
    """Ids and payloads by label; see the module docstring."""

    def __init__(self) -> None:
        self.label_of: dict[str, int] = {}
        self.ids: list[str | None] = []      # label -> id; None once deleted (or never used)
        self.numbers = array("i")            # label -> payload number; -1 once deleted
        self.payloads: list[dict] = []       # the distinct payloads
        self._number_of: dict[tuple, int] | None = {}  # payload items -> number; None until a load's first add
        self.id_of = _ByLabel(self, self.ids.__getitem__)
        self.payload = _ByLabel(self, lambda label: self.payloads[self.numbers[label]])

    def _number(self, payload: dict) -> int:
        if self._number_of is None:  # made when first needed: an index that is only searched never needs it
            self._number_of = {}
            for k, p in enumerate(self.payloads):
                self._number_of.setdefault(tuple(sorted(p.items())), k)
        key = tuple(sorted(payload.items()))
        number = self._number_of.get(key)
        if number is None:
            number = self._number_of[key] = len(self.payloads)
            self.payloads.append(payload)
        return number

    def _grow(self, size: int) -> None:
        if size > len(self.ids):
            more = size - len(self.ids)
            self.ids.extend([None] * more)
            self.numbers.extend(array("i", [-1]) * more)

    def add(self, ids: Sequence[str], labels: Sequence[int], payloads: Sequence[dict]) -> None:
        """Remember new ``labels`` (not in use) with their ids and payloads."""
        if labels:
            self._grow(max(labels) + 1)
        for id_, label, payload in zip(ids, labels, payloads):
            self.label_of[id_], self.ids[label], self.numbers[label] = label, id_, self._number(payload)

    def drop(self, labels: Sequence[int]) -> None:
        """Forget ``labels`` (their ids must have been popped from ``label_of`` already)."""
        for label in labels:
            self.ids[label], self.numbers[label] = None, -1

    def live(self) -> np.ndarray:
        """The labels in use, ascending (int64)."""
        return np.flatnonzero(np.frombuffer(self.numbers, np.int32) >= 0) if self.numbers else np.empty(0, np.int64)

    def where(self, admits: Callable[[dict], bool]) -> np.ndarray:
        """Live labels whose payload ``admits``: one test per distinct payload, one numpy pass over the labels."""
        ok = np.zeros(len(self.payloads) + 1, bool)  # the extra last slot is what -1 (deleted) reads
        ok[[k for k, p in enumerate(self.payloads) if admits(p)]] = True
        if not self.numbers:
            return np.empty(0, np.int64)
        return np.flatnonzero(ok[np.frombuffer(self.numbers, np.int32)]).astype(np.int64)

    # -- persistence: the columns of ids.cols -------------------------------------------------
    def columns(self) -> dict:
        labels = self.live()
        used, order = np.unique(np.frombuffer(self.numbers, np.int32)[labels], return_inverse=True)
        return {"labels": labels.tolist(), "ids": [self.ids[x] for x in labels.tolist()],
                "payloads": [self.payloads[k] for k in used.tolist()], "payload_of": order.tolist()}

    def restore_rows(self, labels: list[int], ids: list[str], payloads: list[dict]) -> None:
        """:meth:`restore` from one payload per label (the row-per-item layout): equal ones become one."""
        distinct: dict[tuple, int] = {}
        try:
            numbers = [distinct.setdefault(tuple(sorted(p.items())), len(distinct)) for p in payloads]
        except (AttributeError, TypeError):
            raise ValueError("a payload that is not an object of strings") from None
        firsts = {k: p for k, p in zip(reversed(numbers), reversed(payloads))}
        self.restore(labels, ids, [firsts[k] for k in range(len(distinct))], numbers)

    def restore(self, labels: list[int], ids: list[str], payloads: list[dict], payload_of: list[int]) -> None:
        """Inverse of :meth:`columns`; ValueError when the columns do not fit together."""
        if (not len(labels) == len(ids) == len(payload_of) or not set(map(type, labels)) <= {int}
                or not set(map(type, ids)) <= {str} or not set(map(type, payloads)) <= {dict}
                or (labels and min(labels) < 0)
                or (payload_of and not 0 <= min(payload_of) <= max(payload_of) < len(payloads))):
            raise ValueError(f"{len(labels)} labels, {len(ids)} ids and {len(payload_of)} payload numbers (of "
                             f"{len(payloads)} payloads) that do not fit together")
        self.label_of = dict(zip(ids, labels))
        if not len(self.label_of) == len(set(labels)) == len(labels):
            raise ValueError(f"{len(labels)} labels for {len(set(labels))} distinct labels and "
                             f"{len(self.label_of)} distinct ids")
        self.payloads, self._number_of = list(payloads), None  # distinct as written (LabelColumns.columns)
        size = max(labels, default=-1) + 1
        numbers = np.full(size, -1, np.int32)
        numbers[labels] = payload_of
        self.numbers = array("i", numbers.tobytes())
        if size == len(labels):  # no label deleted: the ids are already in label order (as columns() sorts them)
            self.ids[:] = ids if labels == sorted(labels) else [x for _, x in sorted(zip(labels, ids))]
        else:
            self.ids[:] = [None] * size  # in place: id_of reads this list
            for label, id_ in zip(labels, ids):
                self.ids[label] = id_
