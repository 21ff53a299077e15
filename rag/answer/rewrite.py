"""Follow-up rewriting by the language model, as an alternative to the rules of
:mod:`rag.answer.followup` (``Assistant(rewrite="llm")``).

The model sees the last turns and the new question and replies with one
standalone question. Its reply is used only if it looks like a question
about the same thing: one line, not much longer than the question plus the
names of the last turn, and keeping the question's content words; otherwise
the rules' rewrite stands.

Example:
    >>> keeps_words("What did he say about Turkey?", "What did Dmitry Peskov say about Turkey?")
    True
    >>> keeps_words("What did he say about Turkey?", "Who is Peskov?")
    False
"""
from __future__ import annotations

from rag.text.language import terms
from rag.answer.draft import ChatModel
from rag.answer.followup import resolve, turns

SYSTEM = ("Rewrite the user's last question so that it can be understood without the conversation: replace "
          "pronouns and vague references with what they refer to. Keep everything else. Reply with the rewritten "
          "question only. If it is already standalone, repeat it unchanged.")


def keeps_words(question: str, rewritten: str) -> bool:
    """Every content word of ``question`` other than pronouns survives in ``rewritten`` (by stem)."""
    kept = {st for _, st in terms(rewritten)}
    return all(st in kept for _, st in terms(question))


class LLMRewriter:
    """Settings here (the chat transport, turns shown, timeout); the question goes to :meth:`rewrite`."""

    def __init__(self, chat: ChatModel, *, last_turns: int = 2, timeout: float = 20.0):
        self.chat, self.last_turns, self.timeout = chat, last_turns, timeout

    def rewrite(self, question: str, history) -> str:
        past = turns(history)
        fallback = resolve(question, past)
        if not past:
            return question
        lines = [f"User: {q}\nAssistant: {a}" for q, a in past[-self.last_turns:]]
        messages = [{"role": "system", "content": SYSTEM},
                    {"role": "user", "content": "\n".join(lines) + f"\nUser (last question): {question}"}]
        reply = self.chat.complete(messages, max_tokens=48, timeout=self.timeout).strip()
        # The first line, then its quotes: a quoted line followed by a remark keeps no stray quote.
        reply = reply.splitlines()[0].strip().strip('"“”').strip() if reply else ""
        limit = len(question) + len(past[-1][0]) + len(past[-1][1]) + 20
        if not reply or len(reply) > limit or not keeps_words(question, reply):
            return fallback
        return reply
