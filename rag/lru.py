"""A bounded, thread-safe least-recently-used map: every cache of the server is one.

A server answers for weeks; a cache keyed by user text (questions, words of
questions) that never forgets grows with every new question. Each cache has a
ceiling in entries, and so in bytes (the figures are where each is made;
``benchmarks/soak_memory.py`` measures the whole server).

Example:
    >>> c = LRU(2)
    >>> c.put("a", 1); c.put("b", 2); c.get("a"); c.put("c", 3)
    1
    >>> sorted(c.keys()), c.missing(["a", "b", "d", "d"])
    (['a', 'c'], ['b', 'd'])
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Hashable, Iterable


class LRU:
    """At most ``size`` entries; reading an entry makes it the newest."""

    def __init__(self, size: int):
        if size < 1:
            raise ValueError(f"an LRU cache needs a size of at least 1; got {size}.")
        self.size = size
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, default=None):
        with self._lock:
            if key not in self._data:
                return default
            self._data.move_to_end(key)
            return self._data[key]

    def put(self, key: Hashable, value) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def put_many(self, items: Iterable[tuple[Hashable, object]]) -> None:
        for key, value in items:
            self.put(key, value)

    def missing(self, keys: Iterable[Hashable]) -> list:
        """The distinct ``keys`` not cached, in first-seen order."""
        with self._lock:
            return [k for k in dict.fromkeys(keys) if k not in self._data]

    def keys(self) -> list:
        with self._lock:
            return list(self._data)

    def __len__(self) -> int:
        return len(self._data)
