"""The reader: choose the short answer from ranked evidence sentences.

Each of the best usable sentences (it names the question's names; for "what
did X say", X is the one speaking) is parsed (cached) and offers candidate
spans (:mod:`rag.answer.spans`). A candidate's ``support`` is its sentence's
evidence score, less ``predicate_penalty`` when the candidate does not hang
from the question's verb in the parse ("Thursday" dates the saying, not the
appointing) -- a penalty that shrinks to nothing as the sentence's dense
cosine rises from 0.6 to 0.8, since a paraphrase changes the verb but not
the meaning; that is what the refusal threshold is compared with. Its
ranking ``score`` adds the span bonus and, for names and figures, a bonus
per other article stating the same value. Values are compared in
canonical form, so "February 28" and "28 February" are one value.

Example:
    >>> picks = read(evidence, detect("How many Turkish soldiers died?"), q, words)   # doctest: +SKIP
    >>> picks[0].value, [e.doc_id for e in picks[0].sources]                        # doctest: +SKIP
    ('33', ['turkey-threatens-decisive-action-idlib', 'russia-turkey-crisis-talks'])
"""
from __future__ import annotations

from dataclasses import dataclass

from rag.answer.evidence import Evidence
from rag.text.language import parse_many, stem, terms
from rag.answer.qtype import AnswerType
from rag.answer.spans import Candidate, candidates
from rag.answer.terms import HAVE, SPEECH, QuestionTerms, name_match, best_match
from rag.text.values import canonical, dates, fold, numbers, pair_key, squad_normalize


@dataclass(frozen=True)
class Pick:
    """One distinct answer value, from its best sentence; ``sources`` is the
    best sentence of every document that states the same value, best first."""

    value: str
    key: str
    evidence: Evidence
    candidate: Candidate
    score: float                   # for ranking values: support + span bonus + corroboration
    support: float                 # for the refusal threshold: how well the sentence states the question
    sources: tuple[Evidence, ...]


_NEGATIONS = frozenset({"not", "n't", "no", "never", "neither", "nor"})


def read_yes_no(evidence: list[Evidence], question: str, predicate_penalty: float) -> list[Pick]:
    """Yes when the best usable sentence states the whole question, no when it
    states it with the opposite polarity; nothing (a refusal) otherwise."""
    ev = next((e for e in evidence if usable(e)), None)
    if ev is None or ev.coverage < 0.75:
        return []
    negated = lambda text: sum(t.lower_ in _NEGATIONS for t in parse_many([text])[0]) % 2
    value = "Yes" if negated(question) == negated(ev.text) else "No"
    return [Pick(value, value.lower(), ev, Candidate(value, 0, len(ev.text), "YESNO", 0.0), ev.score,
                 support(ev, predicate_penalty), (ev,))]


def usable(ev: Evidence) -> bool:
    """The sentence mentions the question's names and, for "the X of Y", X."""
    return ev.names_ok and ev.attribute_ok is not False


def support(ev: Evidence, predicate_penalty: float) -> float:
    """How well the sentence states the question: its score, less a penalty when
    it does not carry the question's main verb (a paraphrase may still)."""
    return ev.score - (penalty(ev, predicate_penalty) if ev.predicate_ok is False else 0.0)


def penalty(ev: Evidence, predicate_penalty: float, low: float = 0.6, high: float = 0.8) -> float:
    """The missing-verb penalty, shrinking as the sentence's dense cosine rises:
    a paraphrase ("bolstering" for "augmenting") shows in the cosine, not the words.

    >>> class E: dense = 0.7
    >>> round(penalty(E(), 0.25), 3)
    0.125
    """
    return predicate_penalty * min(1.0, max(0.0, (high - ev.dense) / (high - low)))


def states(text: str, key: str, atype: AnswerType) -> bool:
    """Whether ``text`` states the value whose canonical form is ``key``."""
    if any(v == key for _, _, v in numbers(text) + dates(text)):
        return True
    norm = f" {fold(squad_normalize(text))} "
    if key.startswith("pair:"):  # "Putin and Erdogan": both named, in any order or phrasing
        return all(f" {part} " in norm for part in key[5:].split("|"))
    return f" {key} " in norm


def speaker_ok(doc, speaker) -> bool:
    """For "what did X say": X (or a pronoun standing for X) is the subject of a
    speech verb in the sentence, or the sentence is "according to X"."""
    if not speaker:
        return True
    for tok in doc:
        if stem(tok.lower_) not in SPEECH:
            continue
        if tok.lower_ == "according":
            subjects = [g for c in tok.children if c.dep_ == "prep" for g in c.children if g.dep_ == "pobj"]
        else:
            subjects = [c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")]
            subjects += [g for c in tok.children if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"]
        for subj in subjects:
            if subj.pos_ == "PRON":
                return True  # "he added": the names check already found X just before
            words = {w for w, _ in terms(doc[subj.left_edge.i: subj.right_edge.i + 1].text)}
            if any(name_match(speaker[-1][0], w) for w in words):  # the name's last word, as written
                return True
    return False


def _near(text: str, targets, words: set[str], similarity, soft_min: float) -> frozenset:
    """Words of ``text`` that mean what one of ``targets`` means (cached word vectors)."""
    if similarity is None or not targets:
        return frozenset()
    return frozenset(x for x, st in terms(text) if st not in words
                     and any(similarity(x, w) >= soft_min for w in targets))


def _predicate_tokens(doc, q: QuestionTerms, similarity, soft_min: float) -> set[int] | None:
    """Tokens of ``doc`` that carry the question's main verb (None: the question has none)."""
    if q.predicate is None:
        return None
    sim = similarity or (lambda a, b: 0.0)
    taken = frozenset(st for _, st, _ in q.terms) - {q.predicate[1]}  # "troops" is not "deployed"
    out = set()
    for t in doc:
        words = terms(t.text)
        if q.predicate == HAVE and t.pos_ != "VERB":
            continue  # auxiliary "had been killed" is no possession
        if words and words[0][1] not in taken and best_match(q.predicate, words, sim, soft_min=soft_min) > 0:
            out.add(t.i)
    return out


def _attached(doc, cand: Candidate, verbs: set[int] | None) -> bool:
    """The candidate hangs (within a few steps up the parse) from the question's
    verb: "February 28" answers "when did they *meet*" only if it dates the meeting."""
    if verbs is None or cand.label in ("CREDIT", "MODIFIER"):
        # A credit has no verb: "(Reuters)" is who supplied, reported or published it. A modifier of the
        # wh-phrase's own noun, which the sentence repeats ("*urgent* humanitarian access"), fills the
        # question's slot whatever verb governs it.
        return True
    span = doc.char_span(cand.start, cand.end, alignment_mode="expand")
    if span is None:
        return False
    if any(i in verbs for i in range(span.start, span.end)):
        return True
    tok, first_verb = span.root, True
    for _ in range(6):
        if tok.i in verbs:
            return True
        if first_verb and tok.pos_ in ("VERB", "AUX") and tok.dep_ != "aux":
            first_verb = False  # "the fleet was cited ... saying it was sending": its verb reports the asked one
            if any(t.i in verbs and t.pos_ in ("VERB", "AUX") for t in tok.subtree):
                return True
        if tok.head.i == tok.i:
            return False
        tok = tok.head
    return False


def read(evidence: list[Evidence], atype: AnswerType, q: QuestionTerms, words: set[str], *, top: int = 6,
         bonus_weight: float = 0.5, corroboration: float = 0.1, predicate_penalty: float = 0.25,
         similarity=None, soft_min: float = 0.55, min_coverage: float = 0.4, same_min: float = 0.8) -> list[Pick]:
    """Distinct answer values found in the ``top`` usable sentences, best first."""
    pool = [e for e in evidence if usable(e)][:top]
    docs = parse_many([e.text for e in pool])
    speech = q.predicate is not None and q.predicate[1] in SPEECH
    # The wh-phrase's words as the question spells them ("troops", not the lemma "troop").
    describing = list(atype.describes) + [w for w, st, _ in q.terms if atype.focus and st == stem(atype.focus)]
    found: dict[str, list[tuple[float, Evidence, Candidate]]] = {}
    for ev, doc in zip(pool, docs):
        if not speaker_ok(doc, q.speaker):
            continue
        near = _near(ev.text, [w for w, _, _ in q.terms], words, similarity, soft_min)
        # A category noun is no synonym of a name ("city" ~ "Moscow" 0.6): soft only for counted things.
        near_type = _near(ev.text, describing, words, similarity, soft_min) if atype.kind not in (
            "person", "org", "place", "name", "nationality") else frozenset()
        same = _near(ev.text, describing, words, similarity, same_min) if atype.focus else frozenset()
        verbs = _predicate_tokens(doc, q, similarity, soft_min)
        for cand in candidates(doc, atype, words, near=near, near_type=near_type, same=same, speech=speech):
            key = pair_key(cand.parts) if cand.parts else canonical(cand.text, atype.kind)
            sup = ev.score - (0.0 if _attached(doc, cand, verbs) else penalty(ev, predicate_penalty))
            found.setdefault(key, []).append((sup + bonus_weight * cand.bonus, ev, cand, sup))
    usable_all = [e for e in evidence if usable(e)]
    picks = []
    for key, hits in found.items():
        hits.sort(key=lambda h: -h[0])
        score, ev, cand, sup = hits[0]
        sources, seen_docs = [], set()
        # Read sentences first, then any that states the value; a common noun phrase ("terrorists") in
        # another sentence is no confirmation, so free-text values keep the sentences they were read from.
        for e in [h[1] for h in hits] + (usable_all if atype.typed else []):
            if e.doc_id not in seen_docs and (e is ev or e.coverage >= min_coverage) and states(e.text, key, atype):
                seen_docs.add(e.doc_id)
                sources.append(e)
        if atype.typed:  # a name or figure repeated by other articles is confirmed; a common noun phrase is not
            score += corroboration * min(len(sources) - 1, 3)
        value = min((h[2].value or h[2].text for h in hits), key=len)  # "33" rather than "at least 33"
        picks.append(Pick(value, key, ev, cand, round(score, 4), round(sup, 4), tuple(sources)))
    return sorted(picks, key=lambda p: -p.score)
