"""BM25 over chunk texts with ``bm25s`` (Lucene variant, Snowball stemming).

Scores come back for every document so fusion can look up the lexical score
of any dense candidate, not only of BM25's own top-k.

Example:
    >>> bm = Lexical().fit(["33 Turkish soldiers killed", "Admiral Makarov sails"])
    >>> int(bm.scores("Makarov frigate").argmax())
    1
"""
from __future__ import annotations

import numpy as np


# Question words carry no topic: "how many" would otherwise match every article
# that says "many". Added to bm25s's English list, for documents and queries alike.
QUESTION_WORDS = ("how", "many", "much", "what", "whom", "whose", "why", "did", "does", "do", "say", "said")


def stopwords() -> list[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return sorted(set(STOPWORDS_EN) | set(QUESTION_WORDS))


def _stemmer():
    import Stemmer  # PyStemmer; optional in bm25s, required here for recall

    return Stemmer.Stemmer("english")


class Lexical:
    """BM25 index. ``k1``/``b`` are the usual BM25 saturation and length knobs."""

    def __init__(self, *, k1: float = 1.2, b: float = 0.75, method: str = "lucene"):
        if k1 < 0 or not 0 <= b <= 1:
            raise ValueError(f"BM25 needs k1 >= 0 and 0 <= b <= 1; got k1={k1}, b={b}.")
        self.k1, self.b, self.method = k1, b, method
        self._stemmer = _stemmer()
        self._stopwords = stopwords()
        self._bm25 = None
        self.n_docs = 0

    def _tokenize(self, texts: list[str]):
        import bm25s

        return bm25s.tokenize(texts, stopwords=self._stopwords, stemmer=self._stemmer,
                              show_progress=False, return_ids=False)

    def fit(self, texts: list[str]) -> "Lexical":
        import bm25s

        self.n_docs = len(texts)
        self._bm25 = None
        if texts:
            self._bm25 = bm25s.BM25(k1=self.k1, b=self.b, method=self.method)
            self._bm25.index(bm25s.tokenize(texts, stopwords=self._stopwords, stemmer=self._stemmer,
                                            show_progress=False),
                             show_progress=False)
        return self

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of ``query`` against every document, shape ``(n_docs,)``."""
        if self._bm25 is None:
            return np.zeros(self.n_docs, dtype=np.float32)
        tokens = self._tokenize([query])[0]
        if not tokens:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)

    def query_terms(self, query: str) -> list[str]:
        """The stemmed, stop-word-free terms BM25 matches on."""
        return list(self._tokenize([query])[0])
