"""Expected answer type of a question: what kind of span can answer it.

Rules over the wh-phrase, with the head noun of "which/what X" found by the
spaCy parse ("Which German chancellor ..." -> X = chancellor -> a person).
The noun lists are ordinary English category words, not words of the corpus.

Example:
    >>> detect("How many Turkish soldiers died?").kind                  # doctest: +SKIP
    'number'
    >>> t = detect("What is the capital of Canada?")               # doctest: +SKIP
    >>> t.kind, t.labels, t.attribute                                 # doctest: +SKIP
    ('place', ('GPE', 'LOC', 'FAC'), 'capital')
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text.language import FUNCTION_WORDS, WORD_RE, parse, stem

LABELS = {
    "number": ("CARDINAL", "QUANTITY", "PERCENT", "MONEY"), "money": ("MONEY", "CARDINAL"),
    "percent": ("PERCENT", "CARDINAL"), "quantity": ("QUANTITY", "CARDINAL"),
    "date": ("DATE", "TIME"), "duration": ("TIME", "DATE"), "frequency": ("DATE", "TIME", "CARDINAL"),
    "age": ("DATE", "CARDINAL"),
    # "who" is usually a person, but governments, agencies and countries act in the news too.
    "person": ("PERSON", "ORG", "GPE"), "org": ("ORG", "NORP", "GPE", "PERSON"),
    "place": ("GPE", "LOC", "FAC"), "nationality": ("NORP",),
    "name": ("PERSON", "ORG", "GPE", "LOC", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "NORP"),
}
TYPED = frozenset(LABELS)  # kinds answered by a named entity or a value

_words = lambda s: frozenset(s.split())
PERSON_NOUNS = _words("""person people man men woman women official officials leader leaders president presidents
    minister ministers chancellor spokesman spokeswoman spokesperson ambassador secretary secretary-general general
    commander captain diplomat envoy politician premier king queen prince chief director author reporter journalist
    figure representative deputy negotiator counterpart mayor governor senator lawmaker judge founder chairman
    head member victim soldier citizen player winner owner ceo expert analyst activist""")
ORG_NOUNS = _words("""agency agencies ministry ministries organisation organization company outlet newspaper paper
    network broadcaster group alliance party fleet army force government body institution council committee
    department bank firm union channel service website publication media station court parliament team
    university""")
# Organisations that publish: they answer "which outlet reported ..." by a credit, "(Reuters)".
MEDIA_NOUNS = _words("""agency agencies outlet outlets newspaper newspapers paper broadcaster network channel
    publication media website station wire""")
PLACE_NOUNS = _words("""country countries city cities town village province region state capital place area part
    sea ocean river border coast island continent nation district territory location port base strait zone
    neighbourhood neighborhood street airport county site destination""")
DATE_NOUNS = _words("day date year month time week weekday night morning evening hour season decade century")
NUMBER_NOUNS = _words("""number amount total count population toll percentage share rate range distance length
    height size weight score""")
MONEY_NOUNS = _words("cost price budget fee salary worth")
TITLE_NOUNS = _words("title position job role post rank office")
# Category words that the evidence rarely repeats: "What *kind* of ...", "what *effect* ...".
GENERIC_NOUNS = _words("""thing things kind type sort name names way effect capability measure measures action
    step steps reason purpose word words message statement""")
AUX = _words("is are was were am be do does did has have had can could will would shall should may might must")
_MONEY_VERBS = re.compile(r"\b(cost|costs|spen[dt]|spending|pay|paid|worth|price|money|budget|fund|funds|"
                          r"dollars?|euros?|pounds?|invest(ed)?)\b")
_HOW = {"long": "duration", "often": "frequency", "old": "age", "far": "quantity", "big": "quantity",
        "large": "quantity", "high": "quantity", "tall": "quantity", "deep": "quantity", "heavy": "quantity",
        "wide": "quantity", "fast": "quantity"}
_ATTRIBUTE = re.compile(r"\b(?:what|who|which|where|when|how \w+)\s+(?:is|was|are|were)\s+(?:the\s+|an?\s+)?([\w-]+)\s+of\b")
_POSSESSIVE = re.compile(r"\b(?:what|who|which)\s+(?:is|was|are|were)\s+[\w\s-]+?['’]s\s+([\w-]+)")


@dataclass(frozen=True)
class AnswerType:
    """``kind`` names the category; ``labels`` are spaCy entity labels that can
    answer, best first (empty for free-text kinds: thing, manner, reason,
    title, yesno). ``attribute`` is X in "what is the X of Y": the evidence
    must state X, or it answers a neighbouring question."""

    kind: str
    labels: tuple[str, ...] = ()
    focus: str | None = None      # head noun of the wh-phrase, lemma
    attribute: str | None = None  # relational noun the evidence must mention
    modifier: bool = False        # "what kind/type of X": the answer modifies X
    wh: str | None = None
    plural: bool = False          # "which two presidents": a list may answer
    describes: tuple[str, ...] = ()  # words of the wh-phrase that describe the answer: "defensive" capability
    constraints: tuple[str, ...] = ()  # "how many *Syrian* soldiers": proper words the counted noun must keep

    @property
    def typed(self) -> bool:
        return self.kind in TYPED


def _kind_of_noun(lemma: str) -> str | None:
    for kind, nouns in (("person", PERSON_NOUNS), ("org", ORG_NOUNS), ("place", PLACE_NOUNS),
                        ("date", DATE_NOUNS), ("number", NUMBER_NOUNS), ("money", MONEY_NOUNS),
                        ("title", TITLE_NOUNS)):
        if lemma in nouns:
            return kind
    return "nationality" if lemma == "nationality" else None


def _focus(doc, wh_index: int) -> str | None:
    """Head noun of the wh-phrase: the token "which/what/how many" modifies.

    "Which ministry's spokesperson" asks for the ministry; "what is the X ..."
    asks for X (the subject of a copular question)."""
    wh = doc[wh_index]
    if wh_index + 1 < len(doc) and doc[wh_index + 1].lemma_ == "be":
        noun = next((t for t in doc[wh_index + 2:] if t.pos_ in ("NOUN", "VERB", "AUX", "ADP")
                     and t.tag_ != "POS"), None)
        if noun is not None and noun.pos_ == "NOUN":
            return noun.lemma_.lower()
    for tok in doc[wh_index + 1: wh_index + 5]:
        if tok.tag_ == "POS" and doc[tok.i - 1].pos_ in ("NOUN", "PROPN"):
            return doc[tok.i - 1].lemma_.lower()
        if tok.pos_ in ("VERB", "AUX"):
            break
    head = wh.head if wh.dep_ in ("det", "amod", "advmod", "attr") else None
    if wh.lower_ == "how" and wh_index + 1 < len(doc):  # how many X: "many" -> X
        head = doc[wh_index + 1].head
    if head is not None and head.pos_ in ("NOUN", "PROPN") and head.i > wh_index:
        return head.lemma_.lower()
    for tok in doc[wh_index + 1: wh_index + 5]:  # parser missed it: first noun before a verb
        if tok.pos_ in ("VERB", "AUX"):
            break
        if tok.pos_ == "NOUN" and (tok.i + 1 >= len(doc) or doc[tok.i + 1].pos_ != "NOUN"):
            return tok.lemma_.lower()
    return None


def _attribute(low: str) -> str | None:
    m = _ATTRIBUTE.search(low) or _POSSESSIVE.search(low)
    if not m:
        return None
    noun = m.group(1).lower()
    return None if noun in GENERIC_NOUNS or noun in TITLE_NOUNS or noun in DATE_NOUNS else noun


def detect(question: str) -> AnswerType:
    """The expected answer type of ``question`` (see the module docstring)."""
    low = re.sub(r"\s+", " ", question.lower()).strip()
    doc = parse(question)
    words = [t.lower_ for t in doc]
    attribute = _attribute(low)
    wh_i = next((i for i, w in enumerate(words) if w in ("who", "whom", "whose", "what", "which", "when",
                                                          "where", "why", "how")), None)

    def typed(kind, focus=None, **kw):
        heads = [t for t in doc[wh_i + 1: wh_i + 5] if t.lemma_.lower() == focus] if wh_i is not None else []
        plural = any(t.tag_ in ("NNS", "NNPS") for t in heads)
        describes = tuple(c.lower_ for t in heads[:1] for c in t.lefts
                          if c.dep_ in ("amod", "compound") and c.i > wh_i and not c.like_num
                          and c.text.islower() and c.lower_ not in ("many", "much", "few"))
        # ("Russian" fleet constrains the answer; "defensive" capability describes it)
        constraints = tuple(c.lower_ for t in heads[:1] for c in t.lefts
                            if c.dep_ in ("amod", "compound") and c.i > wh_i and c.text[:1].isupper())
        return AnswerType(kind, LABELS.get(kind, ()), focus, attribute, wh=words[wh_i] if wh_i is not None else None,
                          plural=plural, describes=() if kw.get("modifier") else describes,
                          constraints=constraints, **kw)

    if wh_i is None:
        if words and words[0] in AUX:
            return AnswerType("yesno")
        if words and words[0] in ("name", "list", "identify"):
            focus = next((t.lemma_.lower() for t in doc[1:] if t.pos_ == "NOUN"), None)
            return typed(_kind_of_noun(focus or "") or "name", focus)
        return AnswerType("thing")
    wh, nxt = words[wh_i], words[wh_i + 1] if wh_i + 1 < len(words) else ""
    if wh == "how":
        if nxt in ("many", "much"):
            money = nxt == "much" and _MONEY_VERBS.search(low)
            return typed("money" if money else "number", _focus(doc, wh_i))
        if nxt in _HOW:
            return typed(_HOW[nxt])
        return typed("manner")
    if wh in ("who", "whom"):
        kind = _kind_of_noun(attribute or "") if attribute else None
        return typed(kind if kind in ("person", "org") else "person", attribute)
    if wh == "whose":
        return typed("person", _focus(doc, wh_i))
    if wh == "when":
        return typed("date")
    if wh == "where":
        return typed("place")
    if wh == "why":
        return typed("reason")
    focus = _focus(doc, wh_i)  # what / which
    if focus in ("kind", "type", "sort", "form", "brand", "model"):  # "what kind of X": X, via "of"
        inner = next((g.lemma_.lower() for t in doc if t.lemma_.lower() == focus for c in t.children
                      if c.dep_ == "prep" and c.lower_ == "of" for g in c.children if g.dep_ == "pobj"), None)
        return typed("thing", inner, modifier=True)
    if focus == "name" or re.search(r"\b(called|named)\b", low):
        return typed("name", focus)
    kind = _kind_of_noun(focus or "") or (_kind_of_noun(attribute) if attribute else None)
    return typed(kind or "thing", focus)


def looks_english(question: str, known_stems) -> bool:
    """False for a question mostly in another script, or of 3+ words with no
    English function word and few words the articles use ("¿Cuántos soldados
    turcos murieron?"); a bare keyword query ("Kalibr missiles Syria") passes."""
    letters = [c for c in question if c.isalpha()]
    if letters and sum(not c.isascii() for c in letters) > 0.3 * len(letters):
        return False
    words = [m.group().lower() for m in WORD_RE.finditer(question)]
    if len(words) < 3 or any(w in FUNCTION_WORDS for w in words):
        return True
    return sum(stem(w) in known_stems for w in words) >= len(words) / 2
