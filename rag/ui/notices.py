"""Messages for the page: errors shown inline, in words a user can act on.

Example:
    >>> inline_error("the question is empty; type a question.")
    '<div class="inline-error" role="alert">The question is empty; type a question.</div>'
"""
from __future__ import annotations

import logging

from rag.errors import RagError
from rag.ui.render import esc

log = logging.getLogger("rag.ui")


def inline_error(message: str) -> str:
    """An error line for the page; the first letter capitalised (library messages start lowercase)."""
    return f'<div class="inline-error" role="alert">{esc(message[:1].upper() + message[1:])}</div>'


def explain(exc: Exception) -> str:
    """Domain errors say what to do; anything else is logged, never shown as a traceback."""
    if isinstance(exc, (RagError, ValueError)):
        return str(exc)
    log.exception("unexpected error in the chat")
    return "Something went wrong on the server; the details are in its log. Try again."
