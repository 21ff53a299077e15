"""Text made safe for one line of a terminal or log."""
from __future__ import annotations

import unicodedata

_UNPRINTABLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def printable(text: str) -> str:
    """``text`` safe for one line of a terminal: control characters (a newline in
    a file name), format characters and lone surrogates (file-name bytes that are
    not UTF-8) are written as backslash escapes; everything else is kept.

    >>> print(printable("a\\nb.txt"), printable("caf\\udce9.txt"))
    a\\nb.txt caf\\udce9.txt
    """
    if text.isprintable():
        return text
    return "".join(c.encode("unicode_escape").decode("ascii") if unicodedata.category(c) in _UNPRINTABLE else c
                   for c in text)
