"""Grounding: find a proposed answer verbatim in an evidence sentence.

A proposal counts only if it occurs in a retrieved sentence after
normalising case, whitespace and quote marks (and, failing that, without a
leading article: "the Kremlin" for "Kremlin"). The match gives exact
character offsets into the sentence, and so into the source file, and the
sentence becomes the citation. Nothing is ever paraphrased or repaired.

Example:
    >>> locate("33 turkish  soldiers", "At least 33 Turkish soldiers were killed.")
    (9, 28)
    >>> locate("“Idlib”", 'fighting in "Idlib" province')
    (12, 19)
    >>> locate("34 soldiers", "33 soldiers died") is None
    True
"""
from __future__ import annotations

import re
from typing import Sequence

from .evidence import Evidence

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'",
                         "`": "'", "´": "'"})
_ARTICLE = re.compile(r"^(the|a|an)\s+", re.I)


def normalise(text: str) -> tuple[str, list[int]]:
    """Lower-cased text with one space per whitespace run and straight quotes,
    and for each of its characters the index of the original character.

    >>> normalise("A  “B”")
    ('a "b"', [0, 1, 3, 4, 5])
    """
    out, where, space = [], [], False
    for i, ch in enumerate(text):
        if ch.isspace():
            if not space and out:
                out.append(" ")
                where.append(i)
            space = True
            continue
        space = False
        out.append(ch.translate(_QUOTES).lower())
        where.append(i)
    while out and out[-1] == " ":
        out.pop()
        where.pop()
    return "".join(out), where


def _boundary(norm: str, i: int, j: int) -> bool:
    """The match starts and ends at word edges: "33" is not found inside "133"."""
    before = norm[i - 1] if i > 0 else " "
    after = norm[j] if j < len(norm) else " "
    return not (before.isalnum() and norm[i].isalnum()) and not (after.isalnum() and norm[j - 1].isalnum())


def locate(answer: str, sentence: str) -> tuple[int, int] | None:
    """``(start, end)`` of ``answer`` in ``sentence`` as normalised above, or None."""
    for variant in dict.fromkeys((answer, _ARTICLE.sub("", answer.strip()))):
        needle, _ = normalise(variant)
        if not needle:
            continue
        hay, where = normalise(sentence)
        i = hay.find(needle)
        while i >= 0:
            j = i + len(needle)
            if _boundary(hay, i, j):
                return where[i], where[j - 1] + 1
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
