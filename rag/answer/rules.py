"""The rule reader as an answerer: no model, deterministic, about 50 ms.

It proposes the best value of :func:`rag.answer.reader.read` (or yes/no from
:func:`~rag.answer.reader.read_yes_no`) with the reader's own support score,
and hands every ranked value on in ``Draft.picks``: the assistant uses them
for corroboration and disagreement whichever answerer chose the answer.
It is the fallback when no language model can be loaded and the baseline in
the eval report.

Example:
    >>> r = RuleAnswerer(similarity=None)                           # doctest: +SKIP
    >>> r.answer(question, evidence).answer                         # doctest: +SKIP
    '33'
"""
from __future__ import annotations

from typing import Sequence

from rag.answer.draft import Draft, OnToken, Question
from rag.answer.evidence import Evidence
from rag.answer.reader import Pick, read, read_yes_no


class RuleAnswerer:
    """Settings of the rule reader here; the question goes to :meth:`answer`."""

    name = "rules"

    def __init__(self, *, similarity=None, top: int = 6, predicate_penalty: float = 0.25, soft_min: float = 0.55):
        if top < 1:
            raise ValueError(f"top is how many evidence sentences the reader reads and must be at least 1; got {top}.")
        self.similarity, self.top = similarity, top
        self.predicate_penalty, self.soft_min = predicate_penalty, soft_min

    def picks(self, question: Question, evidence: Sequence[Evidence]) -> list[Pick]:
        """Every distinct value the rules find, best first."""
        if question.atype.kind == "yesno":
            return read_yes_no(list(evidence), question.text, self.predicate_penalty)
        return read(list(evidence), question.atype, question.terms, set(question.words), top=self.top,
                    predicate_penalty=self.predicate_penalty, similarity=self.similarity, soft_min=self.soft_min)

    def answer(self, question: Question, evidence: Sequence[Evidence], history=(), *, retry: str | None = None,
               shorter: bool = False, on_token: OnToken | None = None) -> Draft:
        picks = self.picks(question, evidence)
        if not picks:
            return Draft(None, (), self.name, note="no sentence states an answer of the expected kind")
        best = picks[0]
        return Draft(best.value, (best.evidence,), self.name, support=best.support, picks=tuple(picks))
