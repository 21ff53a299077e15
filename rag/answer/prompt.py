"""The reading model's prompts: a system line, then one user turn with the
context sentences, the question and, for a follow-up task, that task last.

Why the task goes last: llama.cpp keeps the tokens it evaluated for the
previous prompt and evaluates only what follows the longest shared prefix.
Evaluating the prompt is most of a reply's time on a CPU (the 1.5b model reads
~115 prompt tokens a second on 2 cores), so the confirmation asked right
after an answer, with the answer's own system line and context and its task
after the question, pays only for its own few words.

Example:
    >>> a = build("Answer briefly.", "Who won?", ["Smith won the vote."])
    >>> b = build("Answer briefly.", "Who won?", ["Smith won the vote."], "Proposed answer: Smith")
    >>> a[0] == b[0], b[1]["content"].startswith(a[1]["content"])
    (True, True)
    >>> b[1]["content"]
    'Context: Smith won the vote.\\n\\nQuestion: Who won?\\n\\nProposed answer: Smith'
"""
from __future__ import annotations

from typing import Sequence

MAX_SENTENCE_CHARS = 1200  # a sentence longer than this is cut in the prompt (never in what is cited)


def build(system: str, question: str, sentences: Sequence[str], task: str | None = None) -> list[dict]:
    """Chat messages: ``system``, then context, question and ``task`` (if any) in one user turn."""
    text = "\n".join(" ".join(s.split())[:MAX_SENTENCE_CHARS] for s in sentences)
    user = f"Context: {text}\n\nQuestion: {question}" + (f"\n\n{task}" if task else "")
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]
