"""Citation verification: every number, date and name a claim states must be
in the sentence(s) it cites, and every marker must point into the list.

Names may also come from the cited article's metadata, because an answer
attributes a version to its outlet ("according to Sputnik News [2]").

Example:
    >>> unsupported("33 Turkish soldiers were killed on Thursday", ["at least 33 Turkish soldiers on Thursday"])
    []
    >>> unsupported("33 Turkish soldiers were killed", ["at least 33 Turkish soldiers"], strict_words=True)
    ['killed']
    >>> unsupported("53 Turkish soldiers died", ["33 Turkish soldiers died"])
    ['53']
    >>> bad_markers("Yes [1][3].", 2)
    [3]
"""
from __future__ import annotations

import re

from rag.text.language import FUNCTION_WORDS, WORD_RE
from rag.text.values import dates, fold, numbers

MARKER = re.compile(r"\[(\d+)\]")
_CAPITAL = re.compile(r"^[A-Z]")


def facts(text: str) -> set[str]:
    """The checkable facts of ``text``: numbers, calendar days, capitalised words."""
    out = {f"#{v}" for _, _, v in numbers(text)} | {f"@{v}" for _, _, v in dates(text)}
    for m in WORD_RE.finditer(MARKER.sub(" ", text)):
        w = m.group()
        if _CAPITAL.match(w) and w.lower() not in FUNCTION_WORDS:
            out.add(fold(w.lower()).replace("’", "'").removesuffix("'s"))
    return out


def _words(text: str) -> set[str]:
    return {fold(m.group().lower()).replace("’", "'").removesuffix("'s") for m in WORD_RE.finditer(text)}


def unsupported(claim: str, cited: list[str], *, metadata: list[str] = (), allowed: frozenset = frozenset(),
                strict_words: bool = False) -> list[str]:
    """Facts of ``claim`` found in none of the ``cited`` sentences, sorted.

    Numbers and dates must be in the sentences themselves; a name may also be in
    ``metadata`` (source, title). ``allowed`` holds the answer template's own
    words. With ``strict_words`` every word, not only capitalised ones, must be
    cited (used for text quoted from the sentence)."""
    have = set().union(*(facts(c) for c in cited)) if cited else set()
    words = set().union(*(_words(c) for c in [*cited, *metadata])) if cited or metadata else set()
    missing = []
    for f in facts(claim):
        if f[0] in "#@":
            if f not in have:
                missing.append(f[1:])
        elif f not in words and f not in allowed:
            missing.append(f)
    if strict_words:
        missing += [w for w in _words(claim) - words - allowed - FUNCTION_WORDS if w not in missing]
    return sorted(set(missing))


def bad_markers(text: str, n_citations: int) -> list[int]:
    """Markers in ``text`` that do not name one of citations 1..``n_citations``."""
    return sorted({int(m) for m in MARKER.findall(text) if not 1 <= int(m) <= n_citations})


def claim_markers(text: str) -> list[tuple[str, list[int]]]:
    """Split answer text into ``(claim, [cited numbers])`` pieces at each marker run.

    >>> claim_markers("33 died [1][2]. It was 53 [1].")
    [('33 died', [1, 2]), ('It was 53', [1])]
    """
    out = []
    for m in re.finditer(r"(.*?)((?:\s*\[\d+\])+)\.?\s*", text, re.S):
        out.append((m.group(1).strip(" ."), [int(x) for x in MARKER.findall(m.group(2))]))
    return out
