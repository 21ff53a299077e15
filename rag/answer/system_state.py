"""llama.cpp's state after a prompt's system line alone, kept and restored, so
every prompt starts from the same evaluated system tokens.

Why: the system line is the same for every question (~60 tokens, about half
a second of the 1.5b model's time on 2 cores), so it is worth evaluating
once. But llama.cpp's own prefix cache keeps whatever the previous prompt
left, and a token's cached values differ in their last bits with the batch
they were computed in (measured: first-token logits up to 0.39 apart for the
same prompt), so an answer would depend on the question asked before it.
Restoring the state saved right after the system segment, evaluated alone,
makes each reply a function of its own prompt, and keeps the saving.

The system segment is found by formatting the messages with the model's own
chat template (as llama-cpp-python does) and comparing with the same system
line before an empty user turn. A model whose template this cannot read, or
messages without a system line, start from an empty cache instead.

Example:
    >>> common_prefix([1, 2, 3, 4], [1, 2, 9])
    2
"""
from __future__ import annotations

import ctypes
from typing import Sequence

from rag.lru import LRU


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


class SystemState:
    """Settings here (the loaded ``llama_cpp.Llama``, how many system lines to keep);
    :meth:`start` sets the model's cache for a prompt."""

    def __init__(self, llm, *, keep: int = 8):
        self.llm = llm
        self.states = LRU(keep)  # system-segment tokens -> saved state bytes (~2.5 MB each for the 1.5b)
        self.formatter = _template_formatter(llm)

    def start(self, messages: list[dict]) -> int:
        """Set the cache to the evaluated system segment of ``messages`` (restored, or evaluated
        and saved the first time); returns its length in tokens (0: an empty cache)."""
        llm = self.llm
        head = self.head(messages)
        data = self.states.get(head) if head else None
        if data is not None and self._restore(head, data):
            return len(head)
        llm.reset()
        if not head:
            return 0
        llm.eval(list(head))
        self.states.put(head, self._save())
        return len(head)

    def head(self, messages: list[dict]) -> tuple[int, ...]:
        """The tokens of the prompt's system segment (through the next turn's header)."""
        if self.formatter is None or not messages or messages[0].get("role") != "system":
            return ()
        full = self._tokens(messages)
        k = common_prefix(full, self._tokens([messages[0], {"role": "user", "content": ""}]))
        return tuple(full[:k]) if 0 < k < len(full) else ()

    def _tokens(self, messages: list[dict]) -> list[int]:
        r = self.formatter(messages=messages)
        return self.llm.tokenize(r.prompt.encode("utf-8"), add_bos=not r.added_special, special=True)

    def _save(self) -> bytes:
        import llama_cpp

        ctx = self.llm._ctx.ctx
        size = llama_cpp.llama_state_get_size(ctx)
        buf = (ctypes.c_uint8 * size)()
        n = llama_cpp.llama_state_get_data(ctx, buf, size)
        return ctypes.string_at(buf, n)

    def _restore(self, head: tuple[int, ...], data: bytes) -> bool:
        import llama_cpp

        llm = self.llm
        buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        if llama_cpp.llama_state_set_data(llm._ctx.ctx, buf, len(data)) != len(data):
            return False
        llm.input_ids[:len(head)] = head
        llm.n_tokens = len(head)
        llm._requires_eval = True  # the next prompt token must be evaluated before sampling
        return True


def _template_formatter(llm):
    """The chat template formatter llama-cpp-python itself uses for this model, or None."""
    try:
        from llama_cpp import llama_chat_format

        if llm.chat_handler is not None or llm.chat_format != "chat_template.default":
            return None
        eos, bos = llm.token_eos(), llm.token_bos()
        text = llm._model.token_get_text
        return llama_chat_format.Jinja2ChatFormatter(
            template=llm.metadata["tokenizer.chat_template"], eos_token=text(eos) if eos != -1 else "",
            bos_token=text(bos) if bos != -1 else "", stop_token_ids=[eos])
    except (ImportError, AttributeError, KeyError):  # another llama-cpp-python: start from an empty cache
        return None
