"""Grounding: find a proposed answer verbatim in an evidence sentence.

A proposal counts only if it occurs in a retrieved sentence after
normalising case, whitespace and quote marks (and, failing that, without a
leading article: "the Kremlin" for "Kremlin"). Small models drop quote
marks ('entrenched provisions' for '"entrenched" provisions') and write
numbers as digits ("9" for "nine"), so looser readings follow, each
applied to both texts alike: without quote marks, then with every number
as its value, then words only (punctuation, "and", accents and plural
endings dropped: a list "A, B, C" for "A, B and C", "Erdogan" for
"Erdoğan", "24 years" for "24-year"). The match gives exact character
offsets into the sentence, and so into the source file; what is shown is the sentence's own text
there, and the sentence becomes the citation. Nothing is ever paraphrased
or repaired.

Example:
    >>> locate("33 turkish  soldiers", "At least 33 Turkish soldiers were killed.")
    (9, 28)
    >>> locate("“Idlib”", 'fighting in "Idlib" province')
    (12, 19)
    >>> locate("34 soldiers", "33 soldiers died") is None
    True
    >>> s = 'nine nations share "entrenched" provisions'
    >>> [s[slice(*locate(p, s))] for p in ("9 nations", "entrenched provisions")]
    ['nine nations', '"entrenched" provisions']
    >>> s = "Talks ran at the level of presidents, ministries and experts, Erdoğan said."
    >>> [s[slice(*locate(p, s))] for p in ("presidents, ministries, experts", "Erdogan")]
    ['presidents, ministries and experts', 'Erdoğan']
"""
from __future__ import annotations

import re
import unicodedata
from typing import Sequence

from rag.text.values import numbers
from rag.answer.evidence import Evidence

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'",
                         "`": "'", "´": "'"})
_ARTICLE = re.compile(r"^(the|a|an)\s+", re.I)


def normalise(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Lower-cased text with one space per whitespace run and straight quotes,
    and for each of its characters the ``(start, end)`` of the original text it stands for
    (one character here; a whole number word once a reading writes "nine" as "9").

    >>> normalise("A  “B”")
    ('a "b"', [(0, 1), (1, 2), (3, 4), (4, 5), (5, 6)])
    """
    out, where, space = [], [], False
    for i, ch in enumerate(text):
        if ch.isspace():
            if not space and out:
                out.append(" ")
                where.append((i, i + 1))
            space = True
            continue
        space = False
        out.append(ch.translate(_QUOTES).lower())
        where.append((i, i + 1))
    while out and out[-1] == " ":
        out.pop()
        where.pop()
    return "".join(out), where


def _replace(norm: str, where: list[tuple[int, int]], edits) -> tuple[str, list[tuple[int, int]]]:
    """``norm`` with each ``(start, end, text)`` edit applied (sorted, disjoint); each character of
    an edit's text stands for the whole original it replaced, so spans map back exactly (a
    one-character "9" for "nine" ends where "nine" ends, not after its "n")."""
    out, new_where, last = [], [], 0
    for start, end, text in edits:
        out.append(norm[last:start])
        new_where += where[last:start]
        out.append(text)
        new_where += [(where[start][0], where[end - 1][1])] * len(text)
        last = end
    out.append(norm[last:])
    new_where += where[last:]
    return "".join(out), new_where


def _unquoted(norm: str, where: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    return _replace(norm, where, [(i, i + 1, "") for i, ch in enumerate(norm) if ch in "\"'"])


def _valued(norm: str, where: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    return _replace(norm, where, numbers(norm))


_WORD = re.compile(r"\w+")
_JOINERS = frozenset({"and", "&"})  # "A, B and C" written "A, B, C": the list is the same


def _fold(ch: str) -> str:
    """One character without its accent ("ğ" -> "g"), so the text keeps its length."""
    return next((c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)), ch)


def _worded(norm: str, where: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """Only the words, accents folded, one space between them and no "and": the last reading,
    for a model that rewrote a list's commas and conjunctions or dropped a hyphen or an accent
    ("presidents, ministries, experts" for "presidents, ministries and experts")."""
    out, new_where = [], []
    for m in _WORD.finditer(norm):
        if m.group().lower() in _JOINERS:
            continue
        if out:
            out.append(" ")
            new_where.append(new_where[-1])
        word, at = "".join(_fold(c) for c in m.group()), where[m.start():m.end()]
        cut = _plural(word)
        out.append(word[:len(word) - cut])
        new_where += at[:len(at) - cut - 1] + [(at[len(at) - cut - 1][0], at[-1][1])]  # the stem's last letter: to the word's end
    return "".join(out), new_where


def _plural(word: str) -> int:
    """Letters of a plural ending to drop ("years" -> "year", "congresses" -> "congress"), so
    "24 years" is found as "24-year"; never in a figure or a short word.

    >>> [_plural(w) for w in ("years", "congresses", "boxes", "congress", "bus", "2000s")]
    [1, 2, 2, 0, 0, 0]
    """
    if len(word) < 4 or not word.isalpha():
        return 0
    if word.endswith(("sses", "ches", "shes", "xes")):
        return 2
    return 1 if word.endswith("s") and not word.endswith(("ss", "us", "is")) else 0


_READINGS = (lambda n, w: (n, w), _unquoted, lambda n, w: _valued(*_unquoted(n, w)),
             lambda n, w: _worded(*_valued(*_unquoted(n, w))))


def _balanced(sentence: str, start: int, end: int) -> tuple[int, int]:
    """The span widened by one quote mark when it holds an unpaired one (a proposal
    read without its quote marks): '"entrenched" provisions', not 'entrenched" provisions'."""
    inside = sentence[start:end].translate(_QUOTES).count('"')
    if inside % 2:
        if start > 0 and sentence[start - 1].translate(_QUOTES) == '"':
            return start - 1, end
        if end < len(sentence) and sentence[end].translate(_QUOTES) == '"':
            return start, end + 1
    return start, end


def _boundary(norm: str, i: int, j: int) -> bool:
    """The match starts and ends at word edges: "33" is not found inside "133"."""
    before = norm[i - 1] if i > 0 else " "
    after = norm[j] if j < len(norm) else " "
    return not (before.isalnum() and norm[i].isalnum()) and not (after.isalnum() and norm[j - 1].isalnum())


def locate(answer: str, sentence: str) -> tuple[int, int] | None:
    """``(start, end)`` of ``answer`` in ``sentence`` as normalised above, or None."""
    for reading in _READINGS:
        hay, where = reading(*normalise(sentence))
        for variant in dict.fromkeys((answer, _ARTICLE.sub("", answer.strip()))):
            needle, _ = reading(*normalise(variant))
            if not needle:
                continue
            i = hay.find(needle)
            while i >= 0:
                j = i + len(needle)
                if _boundary(hay, i, j):
                    return _balanced(sentence, where[i][0], where[j - 1][1])
                i = hay.find(needle, i + 1)
    return None


def ground(answer: str, evidence: Sequence[Evidence]) -> list[tuple[Evidence, int, int]]:
    """Every evidence sentence that holds ``answer``, best-scoring first, with
    the answer's offsets in it (one per distinct sentence)."""
    found, seen = [], set()
    for ev in sorted(evidence, key=lambda e: -e.score):
        key = (ev.doc_id, ev.start)
        if key in seen:
            continue
        seen.add(key)
        span = locate(answer, ev.text)
        if span is not None:
            found.append((ev, *span))
    return found
