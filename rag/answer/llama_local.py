"""A GGUF model run in process by llama-cpp-python, as a :class:`~rag.answer.draft.ChatModel`.

The model loads once, on the first call (or :meth:`LlamaCppChat.warm_up`);
one generation runs at a time (a llama.cpp context is not thread-safe), and
each call has a deadline: generation stops at the first token after it and
the call fails with a one-line :class:`~rag.errors.AnswererError`.

The weights are used as the file stores them (``repack=False``), not copied
into llama.cpp's repacked CPU layouts: on this project's 2-core AVX-512
machine the 1.5b model then read a 263-token prompt in 2.35 s instead of
3.12 s, with a peak RSS of 1,321 MiB instead of 1,917 (the repack keeps the
file's pages and a rearranged copy); the 0.5b was the same speed (1.45 s
against 1.49 s). ``repack=True`` is llama.cpp's own default, made for
AVX2-only CPUs: measure both on yours (``benchmarks/bench_ask.py``).

Example:
    >>> chat = LlamaCppChat(resolve_model("0.5b"))                      # doctest: +SKIP
    >>> chat.complete([{"role": "user", "content": "Say yes."}], max_tokens=3)  # doctest: +SKIP
    'Yes'
"""
from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from rag.errors import AnswererError
from rag.answer.draft import OnToken
from rag.answer.system_state import SystemState


_FIELDS_LOCK = threading.Lock()


@contextmanager
def _model_fields(**fields):
    """Model parameters that ``Llama()`` takes no argument for (``use_extra_bufts``: the repacked
    weight layouts), set on the defaults it starts from while it loads; a field this
    llama-cpp-python does not have is left as it is."""
    import llama_cpp.llama_cpp as capi

    known = {name for name, _ in capi.llama_model_params._fields_}
    fields = {k: v for k, v in fields.items() if k in known}
    original = capi.llama_model_default_params

    def defaults():
        params = original()
        for key, value in fields.items():
            setattr(params, key, value)
        return params

    with _FIELDS_LOCK:
        capi.llama_model_default_params = defaults
        try:
            yield
        finally:
            capi.llama_model_default_params = original


class LlamaCppChat:
    """Settings here (model file, window, threads); messages go to :meth:`complete`."""

    def __init__(self, model_path: str | Path, *, n_ctx: int = 4096, n_threads: int | None = None,
                 name: str | None = None, repack: bool = False):
        if n_ctx < 512:
            raise ValueError(f"n_ctx is the model's window in tokens and must be at least 512; got {n_ctx}.")
        self.model_path = Path(model_path)
        self.n_ctx, self.n_threads, self.repack = n_ctx, n_threads, repack
        self.name = name or f"llama.cpp:{self.model_path.name}"
        self._llm, self._system = None, None
        self._lock = threading.Lock()

    def warm_up(self, prime: list[dict] | None = None) -> None:
        """Load the model now rather than on the first question; with ``prime`` (messages whose
        system line later prompts share), also evaluate and keep that system line's state, so the
        first question starts from it (:mod:`rag.answer.system_state`)."""
        with self._lock:
            llm = self._load()
            if prime:
                if self._system is None or self._system.llm is not llm:
                    self._system = SystemState(llm)
                self._system.start(prime)

    def _load(self):
        if self._llm is not None:
            return self._llm
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise AnswererError(
                f"llama-cpp-python is not installed or failed to build ({exc}); reinstall it with "
                "CMAKE_ARGS=-DLLAMA_CURL=OFF .venv/bin/pip install llama-cpp-python==0.3.36, "
                "or answer through a server with --llm-url.") from None
        if not self.model_path.is_file():
            raise AnswererError(f"model file {self.model_path} does not exist; pass --llm-model 0.5b, 1.5b "
                                "or the path of a GGUF file.")
        try:
            threads = self.n_threads or max(1, min(4, os.cpu_count() or 1))
            with _model_fields(use_extra_bufts=self.repack):
                self._llm = Llama(model_path=str(self.model_path), n_ctx=self.n_ctx, n_threads=threads,
                                  n_threads_batch=threads, verbose=False)
        except (ValueError, RuntimeError, OSError) as exc:
            raise AnswererError(f"llama.cpp cannot load {self.model_path} ({exc}); check that it is a GGUF "
                                "model file (re-assemble the bundled one by deleting it from the cache).") from None
        return self._llm

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return len(self._load().tokenize(text.encode("utf-8", "replace"), add_bos=False))

    def complete(self, messages: list[dict], *, max_tokens: int = 48, timeout: float = 30.0,
                 on_token: OnToken | None = None, reuse: bool = False) -> str:
        """The reply to ``messages`` (greedy decoding), streamed to ``on_token``.

        The prompt starts from its system line's saved state (:mod:`rag.answer.system_state`), so
        the reply depends on it alone, unless ``reuse``: then every token it shares with the
        previous prompt is kept, for a prompt that continues the previous one (the check after an
        answer, :mod:`rag.answer.prompt`)."""
        with self._lock:
            llm = self._load()
            if not reuse:
                if self._system is None or self._system.llm is not llm:
                    self._system = SystemState(llm)
                self._system.start(messages)
            deadline = time.monotonic() + timeout
            pieces: list[str] = []
            try:
                stream = llm.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=0.0,
                                                    top_k=1, stream=True)
                for part in stream:
                    if time.monotonic() > deadline:  # checked per token; the prompt's own pass is bounded by n_ctx
                        stream.close()
                        break
                    delta = part["choices"][0].get("delta", {}).get("content") or ""
                    if delta:
                        pieces.append(delta)
                        if on_token is not None:
                            on_token(delta)
            except ValueError as exc:
                if "context window" in str(exc) or "exceed" in str(exc):
                    raise AnswererError(f"the question and its evidence do not fit the model's window of "
                                        f"{self.n_ctx} tokens ({exc}); ask with fewer passages (-k).") from None
                raise AnswererError(f"llama.cpp failed to answer ({exc}).") from None
            if time.monotonic() > deadline:
                raise AnswererError(f"the model did not answer within {timeout:g} s; raise --llm-timeout "
                                    "or use a smaller model (--llm-model 0.5b).")
            return "".join(pieces)

    def first_token_odds(self, messages: list[dict], *groups: tuple[str, ...], timeout: float = 30.0,
                         reuse: bool = True) -> list[float]:
        """For each group of words, the probability that the reply's first token is the first
        token of one of them (summed over the group), read from the logits of that one step.
        ``reuse`` (the default: a check continues the answer's prompt) as in :meth:`complete`.

        >>> chat.first_token_odds(prompt, ("yes", "Yes"), ("no", "No"))       # doctest: +SKIP
        [0.91, 0.08]
        """
        import numpy as np

        odds: list[float] = []

        def tap(_piece: str) -> None:  # runs inside complete(), under its lock, before the token is evaluated
            if odds:
                return
            llm = self._llm
            logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).astype(np.float64)
            p = np.exp(logits - logits.max())
            p /= p.sum()
            for words in groups:
                ids = {llm.tokenize(w.encode("utf-8"), add_bos=False)[0] for w in words}
                odds.append(float(sum(p[i] for i in ids)))

        self.complete(messages, max_tokens=1, timeout=timeout, on_token=tap, reuse=reuse)
        return odds or [0.0] * len(groups)
