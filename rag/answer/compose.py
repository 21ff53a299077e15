"""Answer text: claims that quote their evidence, numbered citations.

A claim is either a verbatim stretch of one evidence sentence (the clause
that holds the answer: "33 Turkish soldiers were killed in a regime air
strike in Syria") or a short template sentence whose facts all come from the
sentences it cites ("Sources differ: ..."). Citations are numbered in order
of first use, one per distinct sentence.

Example:
    >>> clause(parse("The leaders held talks after 33 Turkish soldiers were killed in Syria."), 29, 31)  # doctest: +SKIP
    '33 Turkish soldiers were killed in Syria'
"""
from __future__ import annotations

from dataclasses import dataclass

from rag.answer.evidence import Evidence
from rag.answer.terms import SPEECH
from rag.ingest.furniture import blank_references
from rag.text.language import stem
from rag.records import Citation

# Words of the answer templates, so the verifier does not ask the articles for them.
TEMPLATE_WORDS = frozenset("sources differ according articles don't say closest passages related english "
                           "questions ask yes no".split())
_SUBJECTS = ("nsubj", "nsubjpass", "expl", "csubj")


@dataclass(frozen=True)
class Claim:
    """``text`` without markers; ``cites`` the sentences it rests on; ``quote``
    when ``text`` is copied from the first cited sentence."""

    text: str
    cites: tuple[Evidence, ...]
    quote: bool = True


def clause(doc, start: int, end: int) -> str:
    """The smallest clause with its own subject that contains characters
    ``start:end`` of the parsed sentence ``doc``; the whole sentence when that
    clause is reported speech (the attribution matters) or too short."""
    span = doc.char_span(start, end, alignment_mode="expand")
    whole = doc.text.strip().rstrip(".")
    if span is None:
        return whole
    tok = span.root
    while not (tok.pos_ in ("VERB", "AUX") and any(c.dep_ in _SUBJECTS for c in tok.children)) \
            or tok.dep_ in ("relcl", "acl"):  # "who worked in Ankara yesterday" is no statement
        if tok.head.i == tok.i or tok.dep_ == "conj" and tok.pos_ in ("VERB", "AUX"):
            return whole  # at the top, or in a conjoined verb that shares a subject: quote it all
        tok = tok.head
    if tok.dep_ == "ROOT" or (tok.dep_ in ("ccomp", "conj") and stem(tok.head.lower_) in SPEECH):
        return whole
    # A verb's conjoined clauses ("..., and brought the total to 53") are other statements; the parser
    # may even hang them on the wrong verb, so the clause stops before them.
    cut = min((c.left_edge.i for c in tok.children if c.dep_ == "conj" and c.i > tok.i), default=None)
    tokens = [t for t in tok.subtree if cut is None or t.i < cut]
    while tokens and (tokens[-1].dep_ == "cc" or tokens[-1].is_punct):
        tokens = tokens[:-1]
    while tokens and (tokens[0].dep_ in ("mark", "cc", "punct", "prep") or tokens[0].is_punct):
        tokens = tokens[1:]
    while tokens and tokens[-1].is_punct:
        tokens = tokens[:-1]
    if len(tokens) < 5 or not any(t.dep_ in _SUBJECTS for t in tokens):
        return whole
    text = doc.text[tokens[0].idx: tokens[-1].idx + len(tokens[-1])]
    if not (tokens[0].idx <= start and end <= tokens[-1].idx + len(tokens[-1])):  # the answer must be in it
        return whole
    return whole if text.count('"') % 2 or text.count("“") != text.count("”") else text


def _sentence(text: str) -> str:
    text = " ".join(blank_references(text).split()).rstrip(".").strip()  # an article's "[1]" is no citation
    return text[:1].upper() + text[1:] if text else text


def compose(claims: list[Claim]) -> tuple[str, tuple[Citation, ...]]:
    """Answer text with [n] markers, and the numbered citations they point to."""
    numbers: dict[tuple[str, int], int] = {}
    citations: list[Citation] = []
    parts = []
    for claim in claims:
        marks = []
        for ev in claim.cites:
            key = (ev.doc_id, ev.start)
            if key not in numbers:
                numbers[key] = len(citations) + 1
                p = ev.passage
                citations.append(Citation(n=numbers[key], doc_id=ev.doc_id, title=p.title, source=p.source,
                                          date=p.date, source_path=p.source_path, text=ev.text, start=ev.start,
                                          end=ev.end))
            if numbers[key] not in marks:
                marks.append(numbers[key])
        parts.append(f"{_sentence(claim.text)} {''.join(f'[{n}]' for n in marks)}.")
    return " ".join(parts), tuple(citations)


def source_name(ev: Evidence) -> str:
    return ev.passage.source or f"“{ev.passage.title}”"


def refusal(*, foreign: bool = False, related: bool = False) -> str:
    text = "The articles don't say."
    if foreign:
        text += " The articles are in English; ask the question in English."
    if related:
        text += " The closest passages are listed as related."
    return text
