"""Corroboration and disagreement between sources.

Two values of the answer type "look like the same fact" when the words
around them match (same predicate and participants: "a Russian delegation
... arrive in Ankara on February 26th" vs "a Russian delegation ... came in
Ankara on February 25") and neither carries a scope word the other lacks
("total", "this month", "another": 33 killed in one strike is not 53 killed
in the month). Then:

- same value, different articles   -> corroboration (cite them all);
- different values, different articles, same fact -> a disagreement;
- different values, different scope or same article -> different things
  counted: shown side by side, each with what it counts.

Example:
    >>> relation("came in Ankara on February 25", (18, 29), "on February 26th a delegation was to arrive in Ankara",
    ...          (3, 16), same_doc=False, similarity=lambda a, b: 0.6 if {a, b} == {"came", "arrive"} else 0.0)
    'conflict'
    >>> relation("33 soldiers were killed in a strike", (0, 2), "the total number of soldiers killed this month to 53",
    ...          (50, 52), same_doc=False, similarity=lambda a, b: 0.0)
    'different'
"""
from __future__ import annotations

import re

from rag.text.language import terms
from rag.answer.terms import best_match
from rag.text.values import dates

SCOPE = frozenset("total overall cumulative month week year since far another further additional more earlier "
                  "later previous last first second third new separate same".split())
WINDOW = 60  # characters either side of a value that describe what it is


def _window(text: str, span: tuple[int, int]) -> str:
    start, end = span
    left = text[max(0, start - WINDOW): start]
    right = text[end: end + WINDOW]
    left = left[left.find(" ") + 1:] if start > WINDOW else left  # no half words at the edges
    right = right[: right.rfind(" ")] if end + WINDOW < len(text) else right
    return f"{left} {right}"


def relation(text_a: str, span_a: tuple[int, int], text_b: str, span_b: tuple[int, int], *, same_doc: bool,
             similarity, soft_min: float = 0.55, shared_min: int = 2) -> str:
    """How two different values relate: "conflict", "different" (different
    things counted, different days, or stated by the same article) or "unrelated"."""
    win_a, win_b = _window(text_a, span_a), _window(text_b, span_b)
    ctx_a = [t for t in terms(win_a) if not re.fullmatch(r"[\d,.]+", t[0])]
    ctx_b = [t for t in terms(win_b) if not re.fullmatch(r"[\d,.]+", t[0])]
    scope_a = set(re.findall(r"[a-z]+", win_a.lower())) & SCOPE
    scope_b = set(re.findall(r"[a-z]+", win_b.lower())) & SCOPE
    days_a, days_b = {v for *_, v in dates(win_a)}, {v for *_, v in dates(win_b)}
    shared = sum(1 for w in {x for x in ctx_a if x[0] not in SCOPE}
                 if best_match(w, ctx_b, similarity, soft_min=soft_min, name=True) > 0)
    if shared < 1:
        return "unrelated"
    if same_doc or scope_a != scope_b or shared < shared_min or days_a and days_b and not days_a & days_b:
        return "different"
    return "conflict"


_RELATIVE = re.compile(r"\b(?:today|tonight|yesterday|tomorrow|ago|last|next|this|earlier|later|recently)\b")


def comparable(key_a: str, key_b: str) -> bool:
    """Values that can disagree: not one inside the other ("Stoltenberg" vs "Jens
    Stoltenberg"), and dates of one kind (a weekday and a calendar day may be the same day;
    "yesterday" may be either)."""
    if key_a == key_b or key_a in key_b or key_b in key_a:
        return False
    if _RELATIVE.search(key_a) or _RELATIVE.search(key_b):
        return False  # "yesterday" was a Friday, as the article's date would show: no disagreement
    date = re.compile(r"\d\d-\d\d")
    return bool(date.fullmatch(key_a)) == bool(date.fullmatch(key_b))


_COUNTED = ("number", "date", "money", "quantity", "percent")


def alternatives(best, picks, atype, *, threshold: float, margin: float, similarity, soft_min: float):
    """Values behind the best one that the answer must mention: returns
    ``(disputed, different)`` — picks from other articles that state the same
    fact differently (shown as a disagreement, even when they rank well
    below), and at most one figure or date that counts something else
    (shown with the sentence that says what it counts)."""
    disputed, different = [], []
    if not atype.typed:  # free-text spans of two sentences rarely fill the same slot
        return disputed, different
    best_docs = {e.doc_id for e in best.sources}
    span = lambda p: (p.candidate.start, p.candidate.end)
    for p in picks[1:5]:
        # A version must come from a sentence good enough to answer from; its verb may be a paraphrase
        # ("came" for "arrive"), since the same-fact test below compares the words around the values.
        if p.evidence.score < threshold or not comparable(best.key, p.key):
            continue
        rel = relation(best.evidence.text, span(best), p.evidence.text, span(p),
                       same_doc=p.evidence.doc_id in best_docs, similarity=similarity, soft_min=soft_min)
        same_kind = p.candidate.label == best.candidate.label or \
            {p.candidate.label, best.candidate.label} <= set(atype.labels) | {"PATTERN"}
        if rel == "conflict" and same_kind and not any(e.doc_id in best_docs for e in p.sources):
            disputed.append(p)
        elif rel == "different" and p.support >= threshold and p.score >= best.score - margin and not different \
                and atype.kind in _COUNTED:
            different.append(p)
    return disputed, different
