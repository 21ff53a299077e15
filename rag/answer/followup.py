"""Follow-up questions: rewrite "What did he say about Turkey?" into a
standalone retrieval query using the previous turns.

Pronouns are replaced by the most recent fitting antecedent: the previous
answer first (it is what the conversation is about), then the names and noun
phrases of the previous question. Fit is by category: he/she -> a person,
it -> a thing or place, they -> a plural, there -> a place. A short fragment
("And Greece?") is read against the previous question. A question with
nothing to resolve is returned unchanged. :func:`dangling` finds a person or
plural pronoun that nothing in the question (or before it) can refer to, so
the assistant asks whom the user means instead of guessing.

Example:
    >>> resolve("What did he say about Turkey?",
    ...         [{"question": "Who is Peskov?", "answer": "Kremlin spokesman"}])  # doctest: +SKIP
    'What did Dmitry Peskov say about Turkey?'
"""
from __future__ import annotations

import re

from rag.errors import QueryError
from rag.text.language import parse
from rag.answer.qtype import detect

# pronoun -> (category it refers to, grammatical form)
PRONOUNS = {"he": ("person", "plain"), "him": ("person", "plain"), "his": ("person", "poss"),
            "she": ("person", "plain"), "her": ("person", "plain"), "hers": ("person", "plain"),
            "it": ("thing", "plain"), "its": ("thing", "poss"), "they": ("plural", "plain"),
            "them": ("plural", "plain"), "their": ("plural", "poss"), "there": ("place", "there")}
_KIND_CATEGORY = {"person": "person", "place": "place", "org": "plural", "nationality": "plural"}
_ENT_CATEGORY = {"PERSON": "person", "GPE": "place", "LOC": "place", "FAC": "place", "ORG": "thing",
                 "NORP": "plural", "PRODUCT": "thing", "EVENT": "thing", "WORK_OF_ART": "thing", "LAW": "thing"}
FITS = {"person": ("person",), "thing": ("thing", "place"), "plural": ("plural", "thing"), "place": ("place",)}
_MARKERS = re.compile(r"\s*\[\d+\]")
# Entities that are never a "he" or "she" (the small model often tags a surname ORG, so ORG may be).
_NOT_PEOPLE = {"GPE", "LOC", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "DATE", "TIME", "MONEY", "QUANTITY",
               "PERCENT", "CARDINAL", "ORDINAL"}
# Common nouns that name people ("the spokesman said he..."); lenient on purpose: a wrong "fits"
# only means the question is searched as typed, as before.
_PERSON_NOUN = re.compile(r"(man|woman|person|people|ist|ian|or|er|ent|ant|ee|eur|chief|head|leader|official|"
                          r"secretary|general|king|queen|pope|envoy|premier|minister|president)$")
_COPULA = re.compile(r"^\s*(who|what)\s+(is|was|are|were)\s+\S", re.I)


def turns(history) -> list[tuple[str, str]]:
    """History as ``(question, answer)`` pairs, oldest first; accepts dicts or pairs."""
    out = []
    for i, turn in enumerate(history or []):
        if isinstance(turn, dict):
            q, a = turn.get("question"), turn.get("answer", "")
        elif isinstance(turn, (list, tuple)) and len(turn) == 2:
            q, a = turn
        else:
            raise QueryError(f"history turn {i} is {turn!r}; give {{'question': ..., 'answer': ...}} "
                             "or a (question, answer) pair.")
        if not isinstance(q, str) or not isinstance(a, (str, type(None))):
            raise QueryError(f"history turn {i} must hold text; got question={q!r}, answer={a!r}.")
        out.append((q, a or ""))
    return out


def _antecedents(question: str, answer: str) -> list[tuple[str, str]]:
    """``(text, category)`` for what a pronoun may point back to, most likely first."""
    out = []
    short = _MARKERS.sub("", answer).split(". ")[0].strip(" .")
    if short and "don't say" not in short and "do not say" not in short:
        kind = detect(question).kind
        if len(short.split()) <= 6:
            category = _KIND_CATEGORY.get(kind) or next(
                (_ENT_CATEGORY.get(e.label_) for e in parse(short).ents if len(e) == len(parse(short))), "thing")
            if " and " in short and category != "person":
                category = "plural"
            out.append((short, category))
        else:
            out += [(e.text, _ENT_CATEGORY[e.label_]) for e in parse(short).ents if e.label_ in _ENT_CATEGORY]
    doc = parse(question)
    names = [(e.text, _ENT_CATEGORY[e.label_]) for e in doc.ents if e.label_ in _ENT_CATEGORY
             and e.root.pos_ != "ADJ" and e.root.dep_ not in ("amod", "compound", "nmod", "conj")]  # "Russian" in "Russian negotiators" is no referent
    if _COPULA.match(question) and names:  # "Who is Peskov?": the topic is the name, not its definition
        out = names[:1] + out
    out += names
    for chunk in doc.noun_chunks:
        if chunk.root.pos_ in ("PRON",) or chunk[0].lower_ in ("which", "what", "whose"):
            continue
        plural = chunk.root.tag_ in ("NNS", "NNPS") or any(t.lower_ == "and" for t in chunk)
        out.append((chunk.text, "plural" if plural else "thing"))
    return out


def _fragment(doc) -> bool:
    """"And Greece?", "What about Iran?": no verb, a few words."""
    return len(doc) <= 6 and not any(t.pos_ in ("VERB", "AUX") for t in doc)


def _fill_fragment(fragment: str, prev_q: str) -> str:
    """"And Greece?" after "How many refugees reached Bulgaria?" -> "How many refugees reached Greece?"."""
    rest = re.sub(r"^(and|what about|how about|and what about)\s+", "", fragment.strip(" ?"), flags=re.I)
    if not rest:
        return fragment
    doc = parse(rest)
    whole = [e for e in doc.ents if e.text == doc.text.strip()]  # the fragment is one name
    category = _ENT_CATEGORY.get(whole[0].label_) if whole else None
    for ent in parse(prev_q).ents:
        if category and _ENT_CATEGORY.get(ent.label_) == category:
            return prev_q[:ent.start_char] + rest + prev_q[ent.end_char:]
    return f"{prev_q.rstrip(' ?')}: {rest}?"


def resolve(question: str, history=None) -> str:
    """The standalone form of ``question`` given earlier ``history`` turns."""
    past = turns(history)
    if not past:
        return question
    prev_q, prev_a = past[-1]
    doc = parse(question)
    if _fragment(doc):
        return _fill_fragment(question, prev_q)
    options = _antecedents(prev_q, prev_a)
    out, done = [], set()
    for tok in doc:
        entry = PRONOUNS.get(tok.lower_)
        if entry is None or tok.dep_ == "expl" or entry[0] in done:
            out.append(tok.text_with_ws)
            continue
        category, form = entry
        # Salience first (answer, then question), except that "they" wants a plural if there is one.
        passes = [FITS[category][:1], FITS[category]] if category == "plural" else [FITS[category]]
        match = next((text for fits in passes for text, c in options if c in fits), None)
        if match is None:
            out.append(tok.text_with_ws)
            continue
        done.add(category)  # later pronouns of the same kind stay: "did X say *he* had faced"
        if form == "poss" or (tok.lower_ == "her" and tok.dep_ == "poss"):
            match = f"{match}'s"
        elif form == "there" and not (tok.i and doc[tok.i - 1].pos_ == "ADP"):
            match = f"in {match}"
        out.append(match + tok.whitespace_)
    return "".join(out)


def _fits(tok, category: str) -> bool:
    """Could ``tok`` be what a pronoun of ``category`` ("person" or "plural") refers to?"""
    if tok.pos_ not in ("NOUN", "PROPN"):
        return False
    if category == "plural":  # "the delegations", "Russia and Turkey", "NATO" (an organisation speaks as "they")
        return (tok.tag_ in ("NNS", "NNPS") or tok.ent_type_ in ("ORG", "NORP", "GPE")
                or tok.dep_ == "conj" or any(c.dep_ == "conj" for c in tok.children))
    if tok.ent_type_ in _NOT_PEOPLE:
        return False
    return tok.pos_ == "PROPN" or bool(_PERSON_NOUN.search(tok.lemma_.lower()))


def dangling(question: str) -> str | None:
    """The first he/she/they-type pronoun of ``question`` with nothing in it to refer
    to, as written; None when every such pronoun has a possible antecedent.

    >>> dangling("What did he say?"), dangling("What did Peskov say he expected?")  # doctest: +SKIP
    ('he', None)
    """
    doc = parse(question)
    for tok in doc:
        category = PRONOUNS.get(tok.lower_, ("", ""))[0]
        if category not in ("person", "plural") or tok.tag_ not in ("PRP", "PRP$"):
            continue
        if not any(_fits(other, category) for other in doc if other.i != tok.i):
            return tok.text
    return None
