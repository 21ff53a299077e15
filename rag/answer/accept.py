"""Accepting a model's proposal: grounded, of the expected type, checked fact by fact.

The model proposes; these functions dispose. A proposal becomes a
:class:`~rag.answer.reader.Pick` (the value, its sentence, its exact span,
and every other article that states it) only when it is found verbatim in
an evidence sentence (:mod:`rag.answer.ground`) and its type fits the
question: "how many" wants a number, "when" a date or time. A yes/no answer
stands only when every number and date of the question is in the cited
sentence and the model agrees with the sentence's polarity; a sentence that
states the fact with another figure makes the answer "No".

The sentence it is found in must also mention the question's names (and,
for "the X of Y", X): a figure from a sentence about something else is no
answer, however well the model copied it.

Example:
    >>> type_agrees("33", "number"), type_agrees("Turkey", "number"), type_agrees("last week", "date")
    (True, False, True)
"""
from __future__ import annotations

import re
from typing import Sequence

from rag.text.language import terms
from rag.text.values import canonical, dates, numbers, squad_normalize
from rag.answer.draft import Question
from rag.answer.evidence import Evidence
from rag.answer.ground import ground
from rag.answer.reader import Pick, states, support, usable
from rag.answer.spans import Candidate

_COUNTED = frozenset({"number", "money", "percent", "quantity", "age"})
_NAMED = frozenset({"person", "org", "place", "nationality", "name"})
_TIME = re.compile(r"\b(today|tonight|yesterday|tomorrow|ago|morning|afternoon|evening|night|noon|midnight|"
                   r"day|days|week|weeks|month|months|year|years|hour|hours|minute|minutes|decade|century|"
                   r"spring|summer|autumn|fall|winter|daily|weekly|monthly|annually|hourly|once|twice|since|"
                   r"until|during|early|late|mid|recently|now|century|times?)\b", re.I)


def type_agrees(value: str, kind: str) -> bool:
    """Whether ``value`` can be an answer of type ``kind`` (free-text kinds accept anything)."""
    has_number, has_date = bool(numbers(value)), bool(dates(value))
    if kind in _COUNTED:
        return has_number
    if kind in ("date", "duration", "frequency"):
        return has_number or has_date or bool(_TIME.search(value))
    if kind in _NAMED:  # a name, not a bare figure or day
        bare = re.sub(r"[\W\d_]+", "", value)
        return bool(bare) and not (has_date and len(value.split()) <= 2)
    return True


def echoes(value: str, question: str) -> bool:
    """The answer only repeats words of the question ("Makarov" for "Who is the captain of
    the Admiral Makarov?"): no answer, unless the question offers a choice ("X or Y").

    >>> echoes("Makarov", "Who is the captain of the Admiral Makarov?"), echoes("Reuters", "Who took the photo?")
    (True, False)
    """
    asked = {st for _, st in terms(question)}
    said = {st for _, st in terms(value)}
    return bool(said) and said <= asked and " or " not in f" {question.lower()} "


def _key(text: str, kind: str, typed: bool) -> str:
    return canonical(text, kind) if typed else squad_normalize(text)


def proposal_pick(value: str, question: Question, evidence: Sequence[Evidence], rule_picks: Sequence[Pick], *,
                  predicate_penalty: float, min_coverage: float = 0.4) -> Pick | None:
    """The grounded form of a proposed ``value``, or None when no sentence holds it verbatim."""
    hits = ground(value, evidence)
    if not hits:
        return None
    hits.sort(key=lambda h: (not usable(h[0]), -support(h[0], predicate_penalty)))
    ev, start, end = hits[0]
    atype = question.atype
    text = ev.text[start:end]
    key = _key(text, atype.kind, atype.typed)
    same = next((p for p in rule_picks if p.key == key), None)
    label = same.candidate.label if same else (atype.labels[0] if atype.labels else "PROPOSAL")
    sources, docs = [ev], {ev.doc_id}
    others = [h[0] for h in hits[1:]] + (list(same.sources) if same else [])
    if atype.typed:  # "33" is stated as "thirty-three" elsewhere: compare canonical values
        others += [e for e in evidence if usable(e) and e.coverage >= min_coverage and states(e.text, key, atype)]
    for e in others:
        if e.doc_id not in docs and usable(e) and (e.coverage >= min_coverage or e in (same.sources if same else ())):
            docs.add(e.doc_id)
            sources.append(e)
    sup = support(ev, predicate_penalty)
    return Pick(text, key, ev, Candidate(text, start, end, label, 0.0), round(sup, 4), round(sup, 4), tuple(sources))


def _facts(text: str) -> set[str]:
    return {f"#{v}" for *_, v in numbers(text)} | {f"@{v}" for *_, v in dates(text)}


def yes_no_pick(proposal: str, question: Question, rule_picks: Sequence[Pick]) -> Pick | None:
    """The checked yes/no answer: the rule reader found the sentence that states the
    question (``rule_picks[0]``, with its polarity); the model's word must agree
    with it, and the question's figures and days must all be in it. A figure the
    sentence states differently makes the answer "No" whatever the model said."""
    if not rule_picks or proposal not in ("Yes", "No"):
        return None
    rule = rule_picks[0]
    asked, stated = _facts(question.text), _facts(rule.evidence.text)
    missing = asked - stated
    if missing:
        kinds = {f[0] for f in missing}
        if any(f[0] in kinds for f in stated - asked):
            return Pick("No", "no", rule.evidence, rule.candidate, rule.score, rule.support, rule.sources)
        return None
    if proposal != rule.value:  # the model and the sentence's polarity disagree: nothing is certain
        return None
    return rule
