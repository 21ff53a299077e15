"""How a candidate span sits in its sentence's parse: the relations that make
it the answer (counted by the focus noun, object of a question word) or mere
attribution (the speaker, the one spoken to).

Example:
    >>> doc = parse("On Monday an attack killed five Turkish troops.")        # doctest: +SKIP
    >>> counts(doc[6:7], "troop", frozenset())                                # doctest: +SKIP
    True
"""
from __future__ import annotations

from rag.text.language import stem
from rag.answer.terms import SPEECH, name_match


def in_question(tok, words: set[str]) -> bool:
    """The token repeats a question word (or stem, or names the same country)."""
    w = tok.lower_
    if w in words or stem(w) in words:
        return True
    # "Russia's" answers nothing in a question about the "Russian" fleet.
    return tok.pos_ == "PROPN" and len(w) >= 4 and any(len(q) >= 4 and (q.startswith(w) or w.startswith(q))
                                                       for q in words)


def counts(span, focus: str, same: frozenset, constraints: tuple[str, ...] = ()) -> bool:
    """A number counts the focus noun when it modifies it (or a strict synonym)
    with no contrary proper adjective ("16 *Syrian* soldiers" is no count of
    Turkish ones), or modifies no noun in a sentence that names it ("the total
    ... to 53")."""

    def is_focus(noun) -> bool:
        if not (noun.lemma_.lower() == focus or noun.lower_ in same):
            return False
        proper = [c.lower_ for c in noun.lefts if c.dep_ in ("amod", "compound") and c.text[:1].isupper()]
        return not (constraints and proper and not any(name_match(c, p) for c in constraints for p in proper))

    tok = span.root
    of = [g for c in tok.children if c.dep_ == "prep" and c.lower_ == "of" for g in c.children if g.dep_ == "pobj"]
    if of:  # "dozens of Turkish soldiers"
        return is_focus(of[0])
    while tok.dep_ in ("quantmod", "nummod", "compound", "amod") and tok.head.i != tok.i:
        tok = tok.head
        if tok.pos_ in ("NOUN", "PROPN"):
            return is_focus(tok)
    # A bare number ("injured five more", "to 53") counts what its sentence talks about.
    return any(t.lemma_.lower() == focus or t.lower_ in same for t in span.doc)


def with_of(doc, chunk):
    """"another series" -> "another series of consultations": the of-phrase names what is counted."""
    for child in chunk.root.rights:
        if child.dep_ == "prep" and child.lower_ == "of":
            pobj = next((g for g in child.children if g.dep_ == "pobj"), None)
            if pobj is not None:  # the counted noun phrase only, not its relative clauses
                return doc[chunk.start: pobj.i + 1]
    return chunk


def focus_bonus(span, describing: set[str]) -> float:
    """"German Chancellor Angela Merkel", "33 Turkish soldiers": the focus noun
    (or a word meaning the same) sits in or right next to the candidate."""
    doc = span.doc
    window = doc[max(0, span.start - 3): span.end + 2]
    return 0.25 if any(t.lemma_.lower() in describing or t.lower_ in describing for t in window) else 0.0


def is_speaker(span) -> bool:
    """The span is who speaks: subject of a speech verb, or "according to" it."""
    head = span.root.head
    if span.root.dep_ == "pobj" and head.lower_ == "to" and head.head.lower_ == "according":
        return True
    return span.root.dep_ in ("nsubj", "nsubjpass") and stem(head.lower_) in SPEECH


def is_addressee(span) -> bool:
    """"told *reporters*": the one spoken to."""
    head = span.root.head
    return span.root.dep_ in ("dobj", "dative") and stem(head.lower_) in SPEECH


def governor_bonus(span, words: set[str]) -> float:
    """"use its influence": the candidate is the object of a word the question uses."""
    root = span.root
    while root.dep_ == "conj" and root.head.i != root.i:  # "presidents, defence ministries": a list, no governor
        root = root.head
    head = root.head
    if head.pos_ == "ADP":
        head = head.head
    return 0.2 if head.i not in range(span.start, span.end) and in_question(head, words) else 0.0
