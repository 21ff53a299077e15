"""Candidate short answers inside one evidence sentence.

Typed questions take named entities of the expected labels (plus patterns
for values spaCy may miss: "weekly", "two hours"); free-text questions take
noun phrases and short quotations. Every candidate gets a ``bonus`` for the
signs that it fills the question's gap: the right label, attachment to the
question's focus noun ("German Chancellor *Angela Merkel*", "the level *of
presidents*"), being governed by a question word ("use *its influence*"),
closeness to the words the sentence shares with the question. Words already in
the question are never the answer.

Example:
    >>> doc = parse("Nato Secretary-General Jens Stoltenberg on Friday called on Russia.")  # doctest: +SKIP
    >>> [c.text for c in candidates(doc, detect("Who is NATO's secretary-general?"), {"nato", "secretary-general"})]  # doctest: +SKIP
    ['Jens Stoltenberg', 'Russia']
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text.language import FUNCTION_WORDS, stem
from rag.answer.qtype import GENERIC_NOUNS, MEDIA_NOUNS, PERSON_NOUNS, AnswerType
from rag.answer.syntax import counts, focus_bonus, governor_bonus, in_question, is_addressee, is_speaker, with_of
from rag.answer.terms import SPEECH

_NUM = r"(?:\d+(?:[.,]\d+)?|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|few|several)"
PATTERNS = {
    "frequency": re.compile(r"\b(?:daily|weekly|monthly|yearly|annually|hourly|twice|once)\b"
                            r"|\bevery (?:day|week|month|year|hour)\b"),
    "duration": re.compile(rf"\b{_NUM}[\s-]+(?:hours?|days?|weeks?|months?|years?|minutes?|decades?)\b", re.I),
    "number": re.compile(r"\b\d[\d,.]*\b"),
}
PATTERNS["quantity"] = PATTERNS["money"] = PATTERNS["percent"] = PATTERNS["age"] = PATTERNS["number"]
# A credit or dateline names the outlet in brackets: "MOSCOW (Sputnik) -", "... on 28 February (Reuters)".
_CREDIT = re.compile(r"\(([A-Z][\w.&'-]*(?: [A-Z][\w.&'-]*){0,3})\)")
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
    value: str | None = None  # the answer as stated, when not the span itself: "Putin and Erdogan"
    parts: tuple[str, ...] = ()  # a two-part answer's parts, each of which a source must state


def _content(tokens) -> list:
    return [t for t in tokens if not t.is_punct and t.lower_ not in FUNCTION_WORDS]


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
    for "troops", not "soldiers" for "civilians").

    Why one long function (over 60 lines): every candidate kind (entities, noun
    chunks, numbers, dates, patterns) goes through one ``add`` closure that trims,
    scores against the same anchors and keeps the best per span in ``found``;
    split per kind, each part would take and return that shared state. The rule
    reader's answers are pinned by the gold eval, so it is left whole."""
    related = words | near
    focus = {atype.focus} if atype.focus and atype.focus not in GENERIC_NOUNS else set()
    describing = set(atype.describes) | focus | set(near_type)
    anchors = [t.i for t in doc if not t.is_punct and t.lower_ not in FUNCTION_WORDS and in_question(t, related)]
    found: dict[tuple[int, int], Candidate] = {}

    def add(tokens_or_chars, label: str, base: float, longest: int = MAX_TOKENS, parts: tuple = ()):
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
        while label == "PERSON" and len(span) > 1 and span[0].lower_ in PERSON_NOUNS:
            span = span[1:]  # "Mayor Ana Costa" -> "Ana Costa": the title is the question's, the name the answer
        content = _content(span)
        if not content or all(t.pos_ == "PRON" and t.is_alpha for t in content):
            return
        if not atype.typed and len(span.ents) == 1 and len(span.ents[0]) >= len(span) - 1 \
                and span.ents[0].label_ in ("DATE", "TIME", "CARDINAL", "ORDINAL", "PERCENT", "MONEY", "QUANTITY"):
            base -= 0.2  # "what"/"how" asks for a thing or a way; a date or a figure has its own question
        if atype.kind in ("number", "money", "quantity") and atype.focus and not counts(span, atype.focus, same, atype.constraints):
            return  # "33 Turkish soldiers" does not answer "how many civilians"
        if atype.kind == "manner" and span.ents and all(e.label_ in ("GPE", "LOC", "DATE", "TIME", "NORP")
                                                       for e in span.ents) and len(span.ents[0]) == len(span):
            return  # "in Idlib" says where, not how
        if label in ("PERSON", "GPE") and any(t.pos_ == "PROPN" and t.lemma_.lower() != atype.focus
                                             and in_question(t, words) for t in span):
            return  # a person or place the question names is not its answer
        # The focus noun is the category asked for ("which *sea*"), not a repeat of the question.
        describes = [t.lemma_.lower() in describing or t.lower_ in describing for t in content]
        overlap = sum(in_question(t, words) and not d for t, d in zip(content, describes)) / len(content)
        if overlap == 1.0:
            return
        inside = set(range(span.start, span.end))
        dist = min((abs(a - i) for a in anchors if a not in inside for i in (span.start, span.end - 1)), default=99)
        # A reported statement is about the question's topic: sharing its words is expected there.
        penalty = 0.3 * overlap + 0.03 * max(0, len(span) - 6) if label != "SAID" else 0.0
        bonus = base - penalty + 0.15 * max(0.0, 1 - dist / 12)
        # The wh-phrase describes the answer: "German Chancellor *Angela Merkel*", "its air *defences*".
        attach = max(focus_bonus(span, describing), 0.25 if any(describes) and overlap < 1 else 0.0)
        bonus += attach + (governor_bonus(span, related) if not attach else 0.0)  # one attachment, counted once
        if is_speaker(span) or is_addressee(span):
            # Who speaks answers "who said"; "what did X say" wants the statement, and "according
            # to X" or "told reporters" is attribution, not content, for any other question.
            if speech and atype.typed and is_speaker(span):
                bonus += 0.3
            elif not atype.typed or is_addressee(span) or span.root.dep_ == "pobj":
                bonus, label = bonus - 0.3, "SOURCE"
        key = (span.start_char, span.end_char)
        if key not in found or found[key].bonus < bonus:
            value = " and ".join(parts) if parts else None
            found[key] = Candidate(span.text, span.start_char, span.end_char, label, round(bonus, 4), value, parts)

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
                    add(doc[ent.start: other.end], "PAIR", 0.6 - 0.08 * rank, parts=(ent.text, other.text))
            if ent.label_ == label:
                # "the day before yesterday" is a date, not a duration: a duration counts units.
                if atype.kind == "duration" and not PATTERNS["duration"].search(ent.text):
                    continue
                single = 0.15 if atype.plural and atype.kind in ("person", "org", "place", "name") else 0.0
                add(ent, label, 0.3 - 0.08 * rank - single)
    if atype.kind == "org" and atype.focus in MEDIA_NOUNS:
        for m in _CREDIT.finditer(doc.text):
            add((m.start(1), m.end(1)), "CREDIT", 0.5)
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
            if in_question(tok, words) and tok.pos_ == "VERB":
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
        _focus_candidates(doc, atype, words, add)
    if not atype.typed or (not found and atype.kind in ("person", "org", "name")):
        for chunk in doc.noun_chunks:  # of the wrong type when the question wanted a name
            add(with_of(doc, chunk), "NP", 0.0 if not atype.typed else -0.2)
    if speech and atype.kind == "thing":  # "what did X say": what the speech verb reports
        for tok in doc:
            if stem(tok.lower_) in SPEECH and tok.pos_ == "VERB":
                for child in tok.children:
                    if child.dep_ == "ccomp":
                        words_ = [t for t in child.subtree if not (t.dep_ == "mark" and t.i == child.left_edge.i)]
                        add(doc[words_[0].i: words_[-1].i + 1], "SAID", 0.45, longest=45)
    if not atype.typed:
        for m in _QUOTE.finditer(doc.text):  # words the source chose: what a "say"/"how" question wants
            add((m.start(1), m.end(1)), "QUOTE", 0.3 if speech else 0.2)
    return sorted(found.values(), key=lambda c: -c.bonus)


def _focus_candidates(doc, atype: AnswerType, words: set[str], add) -> None:
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
            start, end = min(t.left_edge.i for t in mods), tok.i + (0 if atype.modifier else 1)
            if atype.modifier:  # not the modifiers the question has: "urgent humanitarian" -> "urgent"
                run = []
                for t in doc[start:end]:
                    if in_question(t, words):
                        if run:
                            break
                    else:
                        run.append(t)
                if not run:
                    continue
                start, end = run[0].i, run[-1].i + 1
            add(doc[start:end], "MODIFIER", 0.45)
