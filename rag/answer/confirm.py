"""The model checks its own answer before it is shown: asked whether the
cited sentences state the proposed answer to this question, its share of
"yes" against "no" on the first reply token must reach a calibrated level.

Why: a small model answers questions the articles do not answer with a
plausible phrase from a related sentence (SQuAD v2's unanswerable questions),
and neither grounding nor the support score can tell, because the phrase is
copied exactly from a sentence about the same subject. Asked the narrower
question afterwards, the model is less sure of those answers: on 100 SQuAD v2
questions (never used for tuning), at the level chosen on eval/dev.jsonl, the
unanswerable ones refused went from 20 to 28 of 50, the answerable ones
answered correctly from 27 to 26 of 50 (29 since the check is asked over the
answer's own prompt, :mod:`rag.answer.prompt`).

A right answer also needs the model to say, asked plainly, that the context
answers the question at all (``ANSWERS``, asked next over the same prompt), and
the product of the two shares must reach its own level: the second question
does not mention the answer, so it hears a changed detail of the question that
the first, focused on the answer, lets pass (SQuAD v2 dev, 500 questions never
used for tuning: right answers 150 -> 148 of 250, unanswerable refused 146 -> 155,
F1 0.615 -> 0.629, refusal F1 0.643 -> 0.665; see rag.answer.llm.JOINT_MIN).

A transport that exposes first-token probabilities (llama.cpp in process:
``first_token_odds``) gives the share; any other reads the reply's first
word (yes: 1.0, no: 0.0).

Example:
    >>> messages("Who won?", "Smith", ["Smith won the vote."])[1]["content"].splitlines()[-1]
    'Does the context state that the proposed answer answers exactly this question? Reply yes or no.'
    >>> class Replies:
    ...     def complete(self, messages, *, max_tokens, timeout): return "No."
    >>> yes_share(Replies(), messages("Who won?", "Jones", ["Smith won the vote."]), timeout=5)
    0.0
"""
from __future__ import annotations

from typing import Sequence

from rag.answer import prompt

SYSTEM = ("You check answers to questions about news. Given the context, a question and a proposed answer, reply yes "
          "if the context states that the proposed answer answers exactly this question, otherwise reply no.")
# The task after the context and question (rag.answer.prompt): asked right after the answer, with its system
# line and context, only these words are new to the model.
CHECK = ("Proposed answer: {}\n\nDoes the context state that the proposed answer answers exactly this question? "
         "Reply yes or no.")
# Asked after CHECK, over the same prompt: whether the context answers the question, the answer unmentioned.
ANSWERS = "Does the context answer this question? Reply yes or no."
YES, NO = ("yes", "Yes"), ("no", "No")


def messages(question: str, answer: str, sentences: Sequence[str], *, system: str = SYSTEM) -> list[dict]:
    return prompt.build(system, question, sentences, CHECK.format(answer))


def answers_messages(question: str, sentences: Sequence[str], *, system: str = SYSTEM) -> list[dict]:
    return prompt.build(system, question, sentences, ANSWERS)


def is_check(messages: list[dict]) -> bool:
    """Whether ``messages`` is a confirmation prompt made by :func:`messages` or :func:`answers_messages`."""
    return messages[-1]["content"].endswith((CHECK.split("{}")[1], ANSWERS))


def yes_share(chat, check: list[dict], *, timeout: float) -> float | None:
    """P(yes) / (P(yes) + P(no)) for the reply's first token, or from its first word;
    None when the reply is neither."""
    odds = getattr(chat, "first_token_odds", None)
    if odds is not None:
        yes, no = odds(check, YES, NO, timeout=timeout)
        return yes / (yes + no) if yes + no > 0 else None
    reply = (chat.complete(check, max_tokens=2, timeout=timeout) or "").strip().lower()
    return 1.0 if reply.startswith("yes") else 0.0 if reply.startswith("no") else None
