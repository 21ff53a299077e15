"""The answerer seam: what an answerer is given, what it proposes, and the two
one-method interfaces behind it.

An :class:`Answerer` reads ranked evidence sentences and proposes a short
answer (a :class:`Draft`); it never decides what is shown. The assistant
grounds the proposal in an exact sentence span, checks it, and refuses when
the checks fail. A :class:`ChatModel` is the transport a language-model
answerer talks to (llama.cpp in process, or an OpenAI-compatible endpoint).

Example:
    >>> d = Draft(answer="33", rests_on=(), backend="rules")
    >>> d.abstained
    False
    >>> Draft(answer=None, rests_on=(), backend="llm", note="the model said unanswerable").abstained
    True
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

from rag.answer.evidence import Evidence
from rag.answer.qtype import AnswerType
from rag.answer.terms import QuestionTerms

OnToken = Callable[[str], None]  # receives each piece of model text as it is generated


@dataclass(frozen=True)
class Question:
    """A standalone question (follow-ups already resolved) with its analysis."""

    text: str
    atype: AnswerType      # expected answer type ("number", "date", "person", "yesno", ...)
    terms: QuestionTerms   # weighted content words, names, main verb
    words: frozenset[str]  # surface forms and stems of the question's words
    asked: str = ""        # the question as typed, before follow-up resolution


@dataclass(frozen=True)
class Draft:
    """An answerer's proposal. ``answer`` is None when it abstains.

    ``rests_on`` names the sentences the answer is read from (best first; may
    be empty, then the assistant looks for it in every evidence sentence).
    ``support`` is the rule reader's own score; a model leaves it None.
    ``picks`` carries the rule reader's ranked values (used for corroboration
    and disagreement whatever the answerer); ``note`` says why a fallback or
    an abstention happened, for the user."""

    answer: str | None
    rests_on: tuple[Evidence, ...]
    backend: str
    note: str | None = None
    support: float | None = None
    picks: tuple = field(default=(), compare=False)
    raw: str | None = None  # the model's reply as generated, for traces

    @property
    def abstained(self) -> bool:
        return self.answer is None


class Answerer(Protocol):
    """Proposes a short answer from ranked evidence sentences.

    ``retry`` asks a second time and names what was wrong with the first
    proposal: "verbatim" (not found in the evidence), "echo" (it only repeated
    the question) or the answer kind the question asks for ("number", "date",
    ...: the proposal was of another type); ``shorter`` asks again after a
    sentence-long proposal;
    ``on_token`` receives generated text as it comes (streaming)."""

    name: str

    def answer(self, question: Question, evidence: Sequence[Evidence], history: Sequence[tuple[str, str]] = (), *,
               retry: str | None = None, shorter: bool = False, on_token: OnToken | None = None) -> Draft: ...


class ChatModel(Protocol):
    """A chat-completion transport: messages in, the reply text out.

    Raises :class:`~rag.errors.AnswererError` with a one-line message (what
    failed and how to fix it) on a timeout, an unreachable server, a context
    too long for the model, or a reply that is not text."""

    name: str

    def complete(self, messages: list[dict], *, max_tokens: int = 48, timeout: float = 30.0,
                 on_token: OnToken | None = None) -> str: ...
