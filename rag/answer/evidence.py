"""Sentence-level evidence: score every sentence of the retrieved passages
against the question.

score = dense_weight * cosine(question, sentence) + (1 - dense_weight) * coverage

where the cosine reads the sentence vectors from the index's vector store
(``VectorStore.score``; nothing is re-embedded) and ``coverage`` is the IDF-weighted share of the question's
words the sentence states (:mod:`rag.answer.terms`). Three checks travel with the
score, because a sentence can be close to a question yet answer another one:

- ``names_ok``: every name in the question occurs in the sentence, the two
  sentences before it ("He added ..."), or the article title;
- ``predicate_ok``: the question's main verb is carried by the sentence
  ("deployed" is not "killed");
- ``attribute_ok``: for "what is the X of Y", the sentence mentions X.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag.index.chunk_index import Index
from rag.index.protocols import SENTENCES
from rag.text.language import stem
from rag.answer.terms import QuestionTerms, Vocabulary, WordSimilarity, name_match, best_match
from rag.records import Passage


@dataclass(frozen=True)
class Evidence:
    row: int
    doc_id: str
    text: str
    start: int
    end: int
    passage: Passage
    dense: float
    coverage: float
    names_ok: bool
    predicate_ok: bool | None  # None: the question has no content verb
    attribute_ok: bool | None  # None: not a "what is the X of Y" question
    score: float


class EvidenceScorer:
    """Ranks the sentences of retrieved passages; one instance per index."""

    def __init__(self, index: Index, similarity: WordSimilarity, *, dense_weight: float = 0.5,
                 soft_min: float = 0.55, same_min: float = 0.8, context: int = 2, deep: int = 24):
        if not 0.0 <= dense_weight <= 1.0:
            raise ValueError(f"dense_weight must be within [0, 1]; got {dense_weight}.")
        self.index, self.similarity = index, similarity
        self.dense_weight, self.soft_min, self.context, self.deep = dense_weight, soft_min, context, deep
        self.same_min = same_min
        self.vocab = Vocabulary([s.text for s in index.sentences])
        self.row_of = {(s.doc_id, s.start): j for j, s in enumerate(index.sentences)}
        by_doc: dict[str, list[int]] = {}
        for j in sorted(range(len(index.sentences)), key=lambda j: (index.sentences[j].doc_id,
                                                                    index.sentences[j].start)):
            by_doc.setdefault(index.sentences[j].doc_id, []).append(j)
        self.before = {}
        for rows in by_doc.values():
            for i, j in enumerate(rows):
                self.before[j] = rows[max(0, i - context):i]
        self._title_terms = {d.id: Vocabulary([d.title]).sentence_terms[0] for d in index.docs}

    def rank(self, q: QuestionTerms, attribute: str | None, qvec: np.ndarray,
             passages: list[Passage]) -> list[Evidence]:
        """Every distinct sentence of ``passages``, best first; soft word matches
        only for the ``deep`` best by a first, exact-match score."""
        seen: dict[int, Passage] = {}
        for p in passages:
            for hit in p.sentences:
                row = self.row_of.get((p.doc_id, hit.start))
                if row is not None and row not in seen:
                    seen[row] = p
        if not seen:
            return []
        rows = np.fromiter(seen, dtype=np.int64)
        dense = self.index.vectors.score(SENTENCES, qvec, [self.index.sentences[r].id for r in rows])
        total = sum(w for _, _, w in q.terms) or 1.0
        exact = [sum(w for _, s, w in q.terms if any(s == st for _, st in self.vocab.sentence_terms[r])) / total
                 for r in rows]
        w = self.dense_weight
        prelim = w * dense + (1 - w) * np.array(exact)
        order = [int(i) for i in np.argsort(-prelim, kind="stable")]
        deep = set(order[: self.deep])  # soft word matches cost word vectors: only for the best sentences
        self.similarity.prepare([t[0] for t in q.terms] + [x for i in deep for x, _ in
                                                           self.vocab.sentence_terms[rows[i]]])
        taken = frozenset(st for _, st, _ in q.terms)
        out = []
        for i in order:
            r, soft = int(rows[i]), i in deep
            sent = self.vocab.sentence_terms[r]
            cov = sum(wt * self._match((word, st), sent, taken - {st}, soft) for word, st, wt in q.terms) / total
            s = self.index.sentences[r]
            out.append(Evidence(
                row=r, doc_id=s.doc_id, text=s.text, start=s.start, end=s.end, passage=seen[r],
                dense=round(float(dense[i]), 4), coverage=round(cov, 4), names_ok=self._names_ok(q, r),
                predicate_ok=None if q.predicate is None else self._match(q.predicate, sent, taken, soft) > 0,
                # A relation noun must be named, not merely related: "admiral" is no "commander" (0.6).
                attribute_ok=None if attribute is None else best_match(
                    (attribute, stem(attribute)), sent, self.similarity if soft else _no_similarity,
                    soft_min=self.same_min, taken=taken) > 0,
                score=round(float(w * dense[i] + (1 - w) * cov), 4)))
        return sorted(out, key=lambda e: -e.score)

    def _match(self, word: tuple[str, str], sentence, taken: frozenset = frozenset(), soft: bool = True) -> float:
        if not soft:
            return best_match(word, sentence, _no_similarity, soft_min=2.0)
        return best_match(word, sentence, self.similarity, soft_min=self.soft_min, taken=taken)

    def _names_ok(self, q: QuestionTerms, row: int) -> bool:
        doc_id = self.index.sentences[row].doc_id
        nearby = [t for j in (row, *self.before.get(row, ())) for t in self.vocab.sentence_terms[j]]
        nearby += self._title_terms.get(doc_id, [])
        return all(_name_in(group, nearby) for group in q.entities)


def _no_similarity(a: str, b: str) -> float:
    return 0.0


def _name_in(group, words) -> bool:
    """A name is mentioned when its last word is ("Assad" for "Bashar al-Assad";
    not "United" for "United States"); a hyphenated last word when each part is.
    Compared as written (give or take "Syria"/"Syrian"), never by stem: "States" is not "stated"."""
    surface = {x for x, _ in words}
    word = group[-1][0]
    if any(name_match(word, x) for x in surface):
        return True
    parts = [p for p in word.split("-") if len(p) >= 3]
    return len(parts) > 1 and all(any(name_match(p, x) for x in surface) for p in parts)
