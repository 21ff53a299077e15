"""Every cache is bounded: the LRU itself, word vectors, parses."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from rag.lru import LRU


def test_lru_keeps_the_most_recently_used():
    cache = LRU(3)
    for i in range(10):
        cache.put(i, str(i))
    assert cache.keys() == [7, 8, 9] and len(cache) == 3
    assert cache.get(7) == "7"  # read: now the newest
    cache.put(10, "10")
    assert cache.keys() == [9, 7, 10] and cache.get(8) is None


def test_lru_refuses_a_size_below_one():
    with pytest.raises(ValueError, match="at least 1; got 0"):
        LRU(0)


def test_lru_stays_bounded_under_threads():
    cache = LRU(50)

    def fill(offset):
        for i in range(2000):
            cache.put(offset + i, i)
            cache.get(offset + i // 2)

    threads = [threading.Thread(target=fill, args=(k * 10_000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 50


def test_word_similarity_is_bounded_and_right_after_eviction():
    from rag.answer.terms import WordSimilarity

    calls = []

    def embed(words):
        calls.append(list(words))
        out = np.zeros((len(words), 4), np.float32)
        for i, w in enumerate(words):
            out[i, len(w) % 4] = 1.0
        return out

    sim = WordSimilarity(embed, size=8)
    words = [f"w{'x' * (i % 7)}{i}" for i in range(100)]
    sim.prepare(words)
    assert len(sim._vectors) == 8
    assert sim("ab", "cd") == 1.0 and sim("ab", "abc") == 0.0  # embedded again on demand
    assert len(sim._vectors) == 8


def test_parse_cache_is_bounded(monkeypatch):
    from rag.text import language as nlp

    cache = nlp._ParseCache(5)
    docs = cache.get_many([f"Sentence number {i} is here." for i in range(12)])
    assert len(docs) == 12 and docs[3].text == "Sentence number 3 is here."
    assert len(cache.docs) == 5
    again = cache.get_many(["Sentence number 11 is here."])
    assert again[0] is docs[11]  # still cached: the newest
