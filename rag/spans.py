"""Candidate short answers inside one evidence sentence.

Typed questions take named entities of the expected labels (plus patterns
spaCy does not tag: "24/7", "an hour-and-a-half"); free-text questions take
noun phrases and short quotations. Every candidate gets a ``bonus`` for the
signs that it fills the question's gap: the right label, attachment to the
question's focus noun ("German Chancellor *Angela Merkel*", "the level *of
presidents*"), being governed by a question word ("use *its influence*"),
closeness to the words the sentence shares with the question. Words already in
the question are never the answer.

Example:
    >>> doc = parse("Nato Secretary-General Jens Stoltenberg on Friday called on Russia.")  # doctest: +SKIP
    >>> [c.text for c in candidates(doc, detect("Who is the NATO Secretary-General?"), {"nato", "secretary-general"})]  # doctest: +SKIP
    ['Jens Stoltenberg', 'Russia']
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .nlp import FUNCTION_WORDS, stem
from .qtype import GENERIC_NOUNS, AnswerType

_NUM = r"(?:\d+(?:[.,]\d+)?|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|few|several)"
PATTERNS = {
    "frequency": re.compile(r"\b\d+/\d+\b|\b(?:daily|weekly|monthly|yearly|annually|hourly|twice|once)\b"
                            r"|\bevery (?:day|week|month|year|hour)\b"),
    "duration": re.compile(rf"\b{_NUM}(?:[\s-]+(?:and[\s-]+a[\s-]+half[\s-]+)?)(?:hours?|days?|weeks?|months?|"
                           rf"years?|minutes?|decades?)(?:[\s-]+and[\s-]+a[\s-]+half)?\b", re.I),
    "number": re.compile(r"\b\d[\d,.]*\b"),
}
PATTERNS["quantity"] = PATTERNS["money"] = PATTERNS["percent"] = PATTERNS["age"] = PATTERNS["number"]
_QUOTE = re.compile(r"[\"“]([^\"“”]{2,80})[\"”]")
_PLACE_PREPS = {"in", "at", "to", "into", "from", "near", "inside", "towards", "toward", "through", "across", "via"}
_AGE = re.compile(r"\b\d{1,3}[\s-]+years?[\s-]+old\b|\baged\s+\d{1,3}\b|\b\d{1,3}-year-old\b", re.I)
MAX_TOKENS = 12


@dataclass(frozen=True)
class Candidate:
    """``start``/``end`` are character offsets into the sentence text."""

    text: str
    start: int
    end: int
    label: str
    bonus: float


def _content(tokens) -> list:
    return [t for t in tokens if not t.is_punct and t.lower_ not in FUNCTION_WORDS]


def _in_question(tok, words: set[str]) -> bool:
    w = tok.lower_
    if w in words or stem(w) in words:
        return True
    # "Russia's" answers nothing in a question about the "Russian" fleet.
    return tok.pos_ == "PROPN" and len(w) >= 4 and any(len(q) >= 4 and (q.startswith(w) or w.startswith(q))
                                                       for q in words)


def candidates(doc, atype: AnswerType, words: set[str], *, near: frozenset = frozenset(),
               near_type: frozenset = frozenset(), same: frozenset = frozenset(),
               speech: bool = False) -> list[Candidate]:
    """Scored candidate answers in the parsed sentence ``doc``; ``words`` holds
    the question's content words and their stems, ``near`` the sentence's words
    that mean the same as one of them ("augmenting" for "bolstering"),
    ``near_type`` those that mean what the wh-phrase describes ("defences" for
    "what defensive capability"); ``speech`` when the question asks who said
    something (the speaker is then favoured); ``same`` the sentence's words
    that name the counted thing of "how many X" (a strict synonym: "soldiers"
    for "troops", not "soldiers" for "civilians")."""
    related = words | near
    focus = {atype.focus} if atype.focus and atype.focus not in GENERIC_NOUNS else set()
    describing = set(atype.describes) | focus | set(near_type)
    anchors = [t.i for t in doc if not t.is_punct and t.lower_ not in FUNCTION_WORDS and _in_question(t, related)]
    found: dict[tuple[int, int], Candidate] = {}

    def add(tokens_or_chars, label: str, base: float, longest: int = MAX_TOKENS):
        if isinstance(tokens_or_chars, tuple):  # a character range from a pattern
            span = doc.char_span(*tokens_or_chars, alignment_mode="expand")
        else:
            span = tokens_or_chars
        if span is None or len(span) == 0 or len(span) > longest:
            return
        while len(span) and (span[0].is_punct or span[0].lower_ in ("and", "or", "but")
                             or span[0].pos_ == "ADV" and len(span) > 1 and span[1].is_punct):
            span = span[1:]  # "Separately, March 5th" -> "March 5th"
        while len(span) and span[-1].is_punct:
            span = span[:-1]
        content = _content(span)
        if not content or all(t.pos_ == "PRON" and t.is_alpha for t in content):
            return
        if not atype.typed and len(span.ents) == 1 and len(span.ents[0]) >= len(span) - 1 \
                and span.ents[0].label_ in ("DATE", "TIME", "CARDINAL", "ORDINAL", "PERCENT", "MONEY", "QUANTITY"):
            base -= 0.2  # "what"/"how" asks for a thing or a way; a date or a figure has its own question
        if atype.kind in ("number", "money", "quantity") and atype.focus and not _counts(span, atype.focus, same):
            return  # "33 Turkish soldiers" does not answer "how many civilians"
        if atype.role and not _has_role(span, atype.role):
            return  # "Russian Foreign Minister Sergey Lavrov" is not the Turkish defence minister
        if atype.kind == "manner" and span.ents and all(e.label_ in ("GPE", "LOC", "DATE", "TIME", "NORP")
                                                       for e in span.ents) and len(span.ents[0]) == len(span):
            return  # "in Idlib" says where, not how
        if label in ("PERSON", "GPE") and any(t.pos_ == "PROPN" and t.lemma_.lower() != atype.focus
                                              and _in_question(t, words) for t in span):
            return  # a person or place the question names is not its answer
        # The focus noun is the category asked for ("which *sea*"), not a repeat of the question.
        describes = [t.lemma_.lower() in describing or t.lower_ in describing for t in content]
        overlap = sum(_in_question(t, words) and not d for t, d in zip(content, describes)) / len(content)
        if overlap == 1.0:
            return
        inside = set(range(span.start, span.end))
        dist = min((abs(a - i) for a in anchors if a not in inside for i in (span.start, span.end - 1)), default=99)
        bonus = base - 0.3 * overlap + 0.15 * max(0.0, 1 - dist / 12) - 0.03 * max(0, len(span) - 6)
        # The wh-phrase describes the answer: "German Chancellor *Angela Merkel*", "its air *defences*".
        attach = max(_focus_bonus(span, describing), 0.25 if any(describes) and overlap < 1 else 0.0)
        bonus += attach + (_governor_bonus(span, related) if not attach else 0.0)  # one attachment, counted once
        if _speaker(span) or _addressee(span):
            # Who speaks answers "who said"; for "what did X say" it is attribution, not content.
            bonus += (0.3 if speech and _speaker(span) else 0.0) if atype.typed else -0.3
        key = (span.start_char, span.end_char)
        if key not in found or found[key].bonus < bonus:
            found[key] = Candidate(span.text, span.start_char, span.end_char, label, round(bonus, 4))

    if atype.kind == "yesno":
        return []
    if atype.kind == "age":  # an age says so: "62 years old", "aged 62", "a 62-year-old"
        for m in _AGE.finditer(doc.text):
            add((m.start(), m.end()), "AGE", 0.4)
        return sorted(found.values(), key=lambda c: -c.bonus)
    for rank, label in enumerate(atype.labels):
        for ent in doc.ents:
            if ent.label_ == label and atype.plural:  # "which two presidents": "Putin and Erdogan"
                conj = {t.i for c in ent.root.children if c.dep_ == "conj" for t in c.subtree}
                other = next((e for e in doc.ents if e.start > ent.end and e.label_ == label
                              and e.root.i in conj), None)
                if other is not None:
                    add(doc[ent.start: other.end], label, 0.6 - 0.08 * rank)
            if ent.label_ == label:
                # "the day before yesterday" is a date, not a duration: a duration counts units.
                if atype.kind == "duration" and not PATTERNS["duration"].search(ent.text):
                    continue
                single = 0.15 if atype.plural and atype.kind in ("person", "org", "place", "name") else 0.0
                add(ent, label, 0.3 - 0.08 * rank - single)
    pattern = PATTERNS.get(atype.kind)
    if pattern is not None:
        for m in pattern.finditer(doc.text):
            add((m.start(), m.end()), "PATTERN", 0.3 if atype.kind in ("frequency", "duration") else 0.2)
    if atype.kind in ("person", "org", "name", "place") and not found:
        for chunk in doc.noun_chunks:  # names the NER missed
            if chunk.root.pos_ == "PROPN":
                add(chunk, "PROPN", 0.1)
    if atype.kind == "manner":  # "how were they killed": "in a regime air strike", "by artillery fire"
        for tok in doc:
            if _in_question(tok, words) and tok.pos_ == "VERB":
                for prep in tok.children:
                    if prep.dep_ in ("prep", "agent") and prep.lower_ in ("by", "with", "in", "through", "via"):
                        for pobj in prep.children:
                            if pobj.dep_ == "pobj":
                                add(doc[pobj.left_edge.i: pobj.i + 1], "MANNER", 0.3)
    if atype.kind == "place" and not found:
        for chunk in doc.noun_chunks:
            if chunk.root.dep_ == "pobj" and chunk.root.head.lower_ in _PLACE_PREPS:
                add(chunk, "NP", 0.05)
    if atype.kind == "title":
        for ent in doc.ents:
            if ent.label_ == "PERSON":
                left = [t for t in ent.root.lefts if t.i < ent.start and t.dep_ in ("compound", "amod", "nmod")]
                if left:
                    add(doc[min(t.left_edge.i for t in left): ent.start], "TITLE", 0.4)
    if atype.focus and atype.focus not in GENERIC_NOUNS or atype.modifier and atype.focus:
        _focus_candidates(doc, atype, add)
    if not atype.typed or (not found and atype.kind in ("person", "org", "name")):
        for chunk in doc.noun_chunks:  # of the wrong type when the question wanted a name
            add(_with_of(doc, chunk), "NP", 0.0 if not atype.typed else -0.2)
    if speech and not atype.typed:  # "what did X say": what the speech verb reports
        for tok in doc:
            if stem(tok.lower_) in _speech() and tok.pos_ == "VERB":
                for child in tok.children:
                    if child.dep_ == "ccomp":
                        words_ = [t for t in child.subtree if not (t.dep_ == "mark" and t.i == child.left_edge.i)]
                        add(doc[words_[0].i: words_[-1].i + 1], "SAID", 0.45, longest=45)
    if not atype.typed:
        for m in _QUOTE.finditer(doc.text):  # words the source chose: what a "say"/"how" question wants
            add((m.start(1), m.end(1)), "QUOTE", 0.3 if speech else 0.2)
    return sorted(found.values(), key=lambda c: -c.bonus)


def _counts(span, focus: str, same: frozenset) -> bool:
    """A number counts the focus noun when it modifies it (or a strict synonym),
    or modifies no noun in a sentence that names it ("the total ... to 53")."""
    tok = span.root
    of = [g for c in tok.children if c.dep_ == "prep" and c.lower_ == "of" for g in c.children if g.dep_ == "pobj"]
    if of:  # "dozens of Turkish soldiers"
        return of[0].lemma_.lower() == focus or of[0].lower_ in same
    while tok.dep_ in ("quantmod", "nummod", "compound", "amod") and tok.head.i != tok.i:
        tok = tok.head
        if tok.pos_ in ("NOUN", "PROPN"):
            return tok.lemma_.lower() == focus or tok.lower_ in same
    # A bare number ("injured five more", "to 53") counts what its sentence talks about.
    return any(t.lemma_.lower() == focus or t.lower_ in same for t in span.doc)


def _has_role(span, role: tuple[str, ...]) -> bool:
    """"Kremlin spokesman Dmitry Peskov": every word of the asked role stands
    just before the name (or just after it, as an apposition)."""
    doc = span.doc
    around = {t.lower_ for t in doc[max(0, span.start - 6): span.start]} | \
        {t.lower_ for t in doc[span.end: span.end + 4]}
    stems = {stem(w) for w in around}
    from .terms import _name_match

    return all(stem(w) in stems or any(_name_match(w, a) for a in around) for w in role)


def _with_of(doc, chunk):
    """"another series" -> "another series of consultations": the of-phrase names what is counted."""
    for child in chunk.root.rights:
        if child.dep_ == "prep" and child.lower_ == "of":
            pobj = next((g for g in child.children if g.dep_ == "pobj"), None)
            if pobj is not None:  # the counted noun phrase only, not its relative clauses
                return doc[chunk.start: pobj.i + 1]
    return chunk


def _focus_candidates(doc, atype: AnswerType, add) -> None:
    """Spans attached to the focus noun when the sentence repeats it."""
    for tok in doc:
        if tok.lemma_.lower() != atype.focus:
            continue
        for child in tok.children:
            if child.dep_ == "poss":
                add(doc[child.left_edge.i: child.right_edge.i + 1], "FOCUS", 0.35)
            if child.dep_ == "prep" and child.lower_ == "of":
                add(doc[child.i + 1: child.right_edge.i + 1], "FOCUS", 0.35)
        # "what kind of access" -> "urgent humanitarian access"; "which fleet" -> "Black Sea fleet"
        mods = [t for t in tok.lefts if t.dep_ in ("amod", "compound", "nmod", "nummod")
                and (atype.modifier or t.pos_ == "PROPN")]
        if mods:  # the modifier alone for "what kind of X", the named X for "which X"
            add(doc[min(t.left_edge.i for t in mods): tok.i + (0 if atype.modifier else 1)], "MODIFIER", 0.45)


def _focus_bonus(span, describing: set[str]) -> float:
    """"German Chancellor Angela Merkel", "33 Turkish soldiers": the focus noun
    (or a word meaning the same) sits in or right next to the candidate."""
    doc = span.doc
    window = doc[max(0, span.start - 3): span.end + 2]
    return 0.25 if any(t.lemma_.lower() in describing or t.lower_ in describing for t in window) else 0.0


def _speech() -> frozenset:
    from .terms import SPEECH  # terms imports the embedder side; keep spans importable alone

    return SPEECH


def _speaker(span) -> bool:
    """The span is who speaks: subject of a speech verb, or "according to" it."""
    SPEECH = _speech()
    head = span.root.head
    if span.root.dep_ == "pobj" and head.lower_ == "to" and head.head.lower_ == "according":
        return True
    return span.root.dep_ in ("nsubj", "nsubjpass") and stem(head.lower_) in SPEECH


def _addressee(span) -> bool:
    """"told *reporters*": the one spoken to."""
    SPEECH = _speech()
    head = span.root.head
    return span.root.dep_ in ("dobj", "dative") and stem(head.lower_) in SPEECH


def _governor_bonus(span, words: set[str]) -> float:
    """"use its influence": the candidate is the object of a word the question uses."""
    root = span.root
    while root.dep_ == "conj" and root.head.i != root.i:  # "presidents, defence ministries": a list, no governor
        root = root.head
    head = root.head
    if head.pos_ == "ADP":
        head = head.head
    return 0.2 if head.i not in range(span.start, span.end) and _in_question(head, words) else 0.0
