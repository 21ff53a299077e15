"""What a question asks about, as weighted words, and how well a sentence states it.

A question's content words are weighted by rarity (IDF over the indexed
sentences; a word the articles never use weighs most, which is what makes
"What is the capital of Canada?" look unanswered). A sentence matches a
word by stem ("killed" ~ "kill"), by name prefix ("Turkish" ~ "Turkey"), by
speech verb ("said" ~ "told"), or softly by word-embedding cosine
("died" ~ "killed" 0.79) with the same model that embeds sentences.

Example:
    >>> best_match(("died", "die"), [("killed", "kill")], lambda a, b: 0.79, soft_min=0.55)
    0.79
    >>> best_match(("turkey", "turkey"), [("turkish", "turkish")], lambda a, b: 0.0, soft_min=0.55, name=True)
    1.0
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from rag.lru import LRU
from rag.text.language import FUNCTION_WORDS, parse, stem, terms

SPEECH = frozenset(stem(w) for w in """say said tell told state add announce claim note comment describe report cite
    quote stress warn explain inform underline point declare insist ask reply respond write wrote written argue
    suggest characterise characterize call express emphasise emphasize confirm deny accuse blame urge speak spoke
    spoken talk accord""".split())
HAVE = ("have", "have")
POSSESS = frozenset("have has had having owns owned possess possesses possessed".split())
# Verbs that carry tense or modality but not the fact asked about.
LIGHT_VERBS = frozenset("be have do get seem suppose use go let happen appear become accord".split())
_NAME_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"}


@dataclass(frozen=True)
class QuestionTerms:
    """``terms``: (word, stem, weight) of every content word; ``entities``:
    names the evidence must mention (any word of a group will do);
    ``predicate``: the main verb, whose meaning the evidence must carry;
    ``speaker``: for a question about what someone said, who."""

    terms: tuple[tuple[str, str, float], ...]
    entities: tuple[tuple[tuple[str, str], ...], ...]
    predicate: tuple[str, str] | None
    speaker: tuple[tuple[str, str], ...] = ()  # "what did X say": X must be the one speaking


class Vocabulary:
    """Stems of every indexed sentence and their document frequencies."""

    def __init__(self, sentence_texts: list[str]):
        self.sentence_terms = [terms(t) for t in sentence_texts]
        self.df = Counter(s for ts in self.sentence_terms for s in {st for _, st in ts})
        self.n = len(sentence_texts)

    def idf(self, stem_: str) -> float:
        return math.log((self.n + 1) / (self.df.get(stem_, 0) + 0.5))


def question_terms(question: str, vocab: Vocabulary) -> QuestionTerms:
    """Weighted content words, required names and main verb of ``question``."""
    doc = parse(question)
    words = [(w, s, round(vocab.idf(s), 4)) for w, s in terms(question)]
    # Names: NER entities plus runs of proper nouns the NER missed ("Nato", "Hayat Tahrir al-Sham").
    spans = [(e.start, e.end) for e in doc.ents if e.label_ in _NAME_LABELS]
    i = 1  # a capitalised first word is no evidence of a name
    while i < len(doc):
        if doc[i].pos_ == "PROPN" and not any(a <= i < b for a, b in spans):
            j = i
            while j < len(doc) and (doc[j].pos_ == "PROPN" or doc[j].text == "-"):
                j += 1
            spans.append((i, j))
            i = j
        else:
            i += 1
    entities = []
    for a, b in sorted(spans):
        group = tuple((w, s) for w, s in terms(doc[a:b].text) if len(w) >= 3)
        if group:
            entities.append(group)
    predicate, speaker = _predicate(doc)
    return QuestionTerms(tuple(words), tuple(entities), predicate, speaker)


def _predicate(doc) -> tuple[tuple[str, str] | None, tuple[tuple[str, str], ...]]:
    """``(main verb, speaker words)``. The main verb is the root, or the nearest
    content verb below a light root ("have *deployed*"); for "what did X say Y
    was *preparing*" it is the reported verb, and X is the speaker. With only a
    light verb, its object noun carries the meaning ("does Russia have *consulates*")."""
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    verb = _content_verb(root) or _mistagged_verb(doc)
    speaker: tuple = ()
    if verb is not None and stem(verb.lower_) in SPEECH:
        subj = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if subj is not None:
            a, b = subj.left_edge.i, subj.right_edge.i + 1
            for ent in doc.ents:  # "Bashar al-Assad" whole, even if the parse split it
                if ent.start < b and ent.end > a:
                    a, b = min(a, ent.start), max(b, ent.end)
            phrase = doc[a:b]
            # Only a named speaker is checked: a parse may make "his remarks" the subject.
            if any(t.pos_ == "PROPN" for t in phrase) and not any(t.tag_ in ("WP", "WDT", "WP$") for t in phrase):
                speaker = tuple((w, s) for w, s in terms(phrase.text) if len(w) >= 3)
        inner = next((_content_verb(c) for c in verb.children if c.dep_ in ("ccomp", "xcomp")), None)
        verb = inner or verb
    if verb is not None:
        return (verb.lower_, stem(verb.lower_)), speaker
    if root is not None and root.lemma_ == "have" and root.pos_ == "VERB":
        return HAVE, speaker  # "how many soldiers does the army have": possession is the fact asked
    obj = next((c for c in (root.children if root is not None else ()) if c.dep_ in ("dobj", "attr")
                and c.pos_ == "NOUN" and not any(t.tag_ in ("WDT", "WP") or t.lower_ in ("many", "much")
                                                  for t in c.children)), None)
    return ((obj.lower_, stem(obj.lower_)) if obj is not None else None), speaker


def _mistagged_verb(doc):
    """The small tagger reads "did Lavrov *visit* after" and "did Sedat Önal *study*?"
    as nouns: after "did" and the subject, a noun that ends the clause is the verb."""
    for i, tok in enumerate(doc):
        if tok.lemma_ not in ("do", "will", "can", "could", "would", "should", "may", "might") or tok.pos_ == "NOUN":
            continue
        j = i + 1
        while j < len(doc) and doc[j].pos_ in ("PROPN", "DET", "ADJ", "NUM", "NOUN"):
            if doc[j].pos_ == "NOUN" and j > i + 1 and (j + 1 == len(doc) or doc[j + 1].pos_ in ("ADP", "PUNCT", "DET")):
                return doc[j]
            j += 1
    return None


def _content_verb(top):
    """Breadth-first from ``top``: the first verb that is neither light nor closed-class."""
    queue = [top] if top is not None else []
    while queue:
        tok = queue.pop(0)
        if tok.pos_ == "VERB" and tok.lemma_.lower() not in LIGHT_VERBS and tok.lower_ not in FUNCTION_WORDS:
            return tok
        queue += [c for c in tok.children if c.pos_ in ("VERB", "AUX", "ADJ") or c.dep_ in ("xcomp", "ccomp", "conj")]
    return None


# Endings that turn a place name into its adjective or people: Syria/Syrian, Turkey/Turkish, Iran/Iranian.
_NAME_ENDINGS = frozenset(["", "s", "n", "an", "ian", "ish", "ey", "y", "i", "ese", "a", "ia", "ic", "ans", "ians"])


def name_match(a: str, b: str) -> bool:
    """Turkey ~ Turkish, Syria ~ Syrian: a shared stem of 4+ letters and only a
    name ending after it (so "states" is not "statements", nor Austria Australia)."""
    if a == b:
        return True
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n >= 4 and a[n:] in _NAME_ENDINGS and b[n:] in _NAME_ENDINGS


def best_match(word: tuple[str, str], sentence: list[tuple[str, str]], similarity, *, soft_min: float,
               name: bool = False, taken: frozenset = frozenset()) -> float:
    """1.0 for a stem (or name) match, the cosine for a soft match >= ``soft_min``, else 0.

    Sentence words whose stems are in ``taken`` (they already match another
    question word) are not reused for a soft match: "troops" answers "troops",
    not also "deployed" (cosine 0.57)."""
    w, s = word
    if any(s == st for _, st in sentence):
        return 1.0
    if word == HAVE:  # "has" is a closed-class word, so sentences keep it only as raw text
        return 1.0 if any(x in POSSESS for x, _ in sentence) else 0.0
    if name and any(name_match(w, x) for x, _ in sentence):
        return 1.0
    if s in SPEECH and any(st in SPEECH for _, st in sentence):
        return 1.0
    best = max((similarity(w, x) for x, st in sentence if st not in taken), default=0.0)
    return best if best >= soft_min else 0.0


class WordSimilarity:
    """Cosine between single words, from the sentence embedder, cached per word.

    The corpus vocabulary is small and repeats across questions, so after a
    few questions nearly every lookup is a cache hit. The cache is bounded
    (``size`` words of ~1.6 KB each: 13 MB at the default): new questions bring
    new words for as long as a server runs."""

    def __init__(self, embed, size: int = 8192):
        self._embed = embed  # callable: list[str] -> (n, dim) unit vectors
        self._vectors = LRU(size)

    def prepare(self, words) -> None:
        missing = sorted(self._vectors.missing(words))
        if missing:
            self._vectors.put_many(zip(missing, self._embed(missing)))

    def _vector(self, word: str) -> np.ndarray:
        vector = self._vectors.get(word)
        if vector is None:  # not prepared, or pushed out since by other questions
            vector = self._embed([word])[0]
            self._vectors.put(word, vector)
        return vector

    def __call__(self, a: str, b: str) -> float:
        if a == b:
            return 1.0
        return float(self._vector(a) @ self._vector(b))
