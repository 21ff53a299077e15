"""A language model as answerer: it reads the best evidence sentences and
proposes the shortest phrase copied from them, or abstains.

The prompt is plain and the context short, because small models collapse
when asked to also number their sources (../shared/READER-PROBE.md): the
model only proposes a phrase; finding it in a sentence, and so its exact
offsets and citation, is the assistant's job (:mod:`rag.answer.ground`).

Context: the ``n_sentences`` best distinct sentences of the ``n_passages``
best passages, ranked by ``sentence score * (1 + passage score)``. Five,
not the probe's eight: the prompt's own pass is most of the reply time on a
CPU, and five scored as well (dev 25/35 against 23/35 answerable correct;
XQuAD, 60 questions: 30 against 30, F1 0.597 against 0.606) with a third
fewer prompt tokens (median 234 against 340).

Example:
    >>> parse_reply(' "33 Turkish soldiers." ')
    '33 Turkish soldiers'
    >>> parse_reply("Unanswerable.") is None
    True
"""
from __future__ import annotations

import re
from typing import Sequence

from rag.answer import confirm, prompt
from rag.answer.draft import ChatModel, Draft, OnToken, Question
from rag.answer.evidence import Evidence
from rag.answer.model_files import KNOWN

SYSTEM = ("You answer questions using only the given news context. Reply with the shortest exact phrase copied "
          "from the context (for a who-question, the person's name; for how many, the number). If the context "
          "does not contain the answer, reply exactly: unanswerable")
STRICT = (" Your previous reply was not found in the context. Copy the words exactly as they are written in the "
          "context, character for character: no rewording, no explanation.")
SHORTER = (" Your previous reply was a whole sentence. Reply with only the few words of the context that answer "
           "the question.")
# After a reply of the wrong type: what the question asks for, by answer kind (rag.answer.qtype).
EXPECTED = {**dict.fromkeys(("number", "money", "percent", "quantity", "age"), "a number"),
            **dict.fromkeys(("date", "duration", "frequency"), "a date, day or time"),
            "person": "a person's name", "org": "the name of an organisation", "place": "the name of a place",
            "nationality": "a nationality", "name": "a name"}
WRONG_TYPE = (" Your previous reply did not answer what the question asks. The answer must be {}, copied from the "
              "context.")
ECHO = (" Your previous reply only repeated words of the question. Reply with the answer itself, copied from the "
        "context.")
RETRIES = {"verbatim": STRICT, "echo": ECHO}  # retry reasons (rag.answer.draft.Answerer) -> the system's added rule
YES_NO = ("You answer yes/no questions using only the given news context. Reply with exactly one word: yes or no. "
          "If the context does not say, reply exactly: unanswerable")
ABSTAIN = re.compile(r"^(unanswerable|not (mentioned|stated|given|specified)|no (answer|information)|"
                     r"(the )?context does not|i (don't|do not|cannot) know|unknown|n/?a)\b", re.I)
# The model's "yes" share (rag.answer.confirm) an answer needs, chosen on eval/dev.jsonl with the default 1.5b
# model by one rule: halfway between the lowest share of a correct answer and the highest share of an
# unanswerable question below it. First (fp32 vectors): 0.52 and 0.59, so 0.55. Re-chosen when the default
# vectors changed (int8 graph, chunk means; `rag eval --gold eval/dev.jsonl --llm-confirm 0.6`, 2026-12-03):
# 0.575 and 0.623, so 0.60; dev is the same at both levels (27/35 right, 12/14 refused). On sets never tuned
# on, from the journals' logged shares (`python -m eval.levels`: a higher level refuses exactly the shown
# answers whose share is below it): SQuAD v2.0 dev, 2,000 questions: F1 0.556 -> 0.589, refusal F1 0.565 -> 0.620,
# answerable right 574 -> 566 of 1,000, unanswerable refused 490 -> 567; XQuAD (100): right 52 -> 52, F1
# 0.609 -> 0.602.
CONFIRM_MIN = 0.60
# The product of that share and the share of "yes" to whether the context answers the question at all
# (rag.answer.confirm.ANSWERS) an answer needs, chosen on eval/dev.jsonl by the same rule (2026-12-03, the
# default 1.5b model): the lowest product of a correct answer 0.377, the highest of an unanswerable question
# below it 0.246, so 0.31; dev is the same with and without it (27/35 right, 12/14 refused). Never tuned on:
# SQuAD v2.0 dev, 500 questions: right 150 -> 148 of 250, unanswerable refused 146 -> 155, F1 0.615 -> 0.629,
# refusal F1 0.643 -> 0.665, shown wrong 146 -> 136; a second 500 (--seed 7): right 142 -> 140, refused 139 -> 150,
# F1 0.577 -> 0.595, refusal F1 0.604 -> 0.632, shown wrong 148 -> 135; XQuAD (100, all answerable): right
# 52 -> 51, F1 0.602 -> 0.592.
JOINT_MIN = 0.31
# Models whose check does not separate on dev get none: the 0.5b's shares for correct and unanswerable answers
# overlap (0.30-0.53 over the answer's prompt; 0.49-0.74 asked alone), so at any level it refuses right answers.
NO_CHECK = {KNOWN["0.5b"].filename}


def confirm_level(setting: float | str | None, model_file: str | None = None) -> float | None:
    """The share an answer needs (None: no check) from a ``--llm-confirm`` setting: a level
    between 0 and 1, "off", or None for the model's own (``CONFIRM_MIN``; none for ``NO_CHECK``).

    >>> confirm_level(None, "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"), confirm_level("off"), confirm_level(0.7)
    (0.6, None, 0.7)
    """
    if setting is None:
        return None if model_file in NO_CHECK else CONFIRM_MIN
    if setting == "off":
        return None
    if isinstance(setting, str) or not 0.0 <= setting <= 1.0:
        raise ValueError(f"the confirmation level is a share between 0 and 1, or off; got {setting!r}.")
    return float(setting)


def parse_reply(text: str | None) -> str | None:
    """The proposed phrase from a raw reply, or None for an abstention or no text."""
    if not text:
        return None
    line = next((ln for ln in text.strip().splitlines() if ln.strip()), "")
    line = re.sub(r"^(answer|a)\s*:\s*", "", line.strip(), flags=re.I)
    line = line.strip().strip("\"'“”‘’`*").strip().rstrip(".,;:!").strip().strip("\"'“”‘’`*").strip()
    if not line or ABSTAIN.match(line):
        return None
    return line


def context(evidence: Sequence[Evidence], *, n_passages: int = 6, n_sentences: int = 5) -> list[Evidence]:
    """The sentences the model reads, best first (see the module docstring)."""
    top = []
    for ev in evidence:
        if ev.passage.chunk_id not in top:
            top.append(ev.passage.chunk_id)
    allowed = set(top[:n_passages])

    def rank(ev: Evidence) -> float:
        hit = next((h.score for h in ev.passage.sentences if h.start == ev.start), ev.dense)
        return hit * (1.0 + ev.passage.score)

    chosen, seen = [], set()
    for ev in sorted((e for e in evidence if e.passage.chunk_id in allowed), key=lambda e: -rank(e)):
        if ev.text not in seen:  # the same sentence in two overlapping chunks is read once
            seen.add(ev.text)
            chosen.append(ev)
    return chosen[:n_sentences]


def messages(question: str, sentences: Sequence[Evidence], *, yes_no: bool = False, retry: str | None = None,
             shorter: bool = False) -> list:
    system = YES_NO if yes_no else SYSTEM + (SHORTER if shorter else "")
    if retry is not None and not yes_no:
        system += RETRIES.get(retry) or (WRONG_TYPE.format(EXPECTED[retry]) if retry in EXPECTED else STRICT)
    return prompt.build(system, question, [e.text for e in sentences])


class LLMAnswerer:
    """Settings here (the chat transport, context size, token budget); the question goes to :meth:`answer`."""

    def __init__(self, chat: ChatModel, *, n_passages: int = 6, n_sentences: int = 5, max_tokens: int = 32,
                 timeout: float = 30.0, confirm_min: float | None = CONFIRM_MIN, joint_min: float = JOINT_MIN):
        if n_passages < 1 or n_sentences < 1 or max_tokens < 1:
            raise ValueError(f"n_passages, n_sentences and max_tokens must be at least 1; got {n_passages}, "
                             f"{n_sentences}, {max_tokens}.")
        if timeout <= 0:
            raise ValueError(f"timeout is in seconds and must be positive; got {timeout}.")
        self.chat, self.n_passages, self.n_sentences = chat, n_passages, n_sentences
        if confirm_min is not None and not 0.0 <= confirm_min <= 1.0:
            raise ValueError(f"confirm_min is a share between 0 and 1 (or None: no check); got {confirm_min}.")
        if not 0.0 <= joint_min <= 1.0:
            raise ValueError(f"joint_min is a share between 0 and 1 (0: no second check's level); got {joint_min}.")
        self.max_tokens, self.timeout, self.confirm_min, self.joint_min = max_tokens, timeout, confirm_min, joint_min
        self.name = f"llm:{chat.name}"

    def warm_up(self) -> None:
        """Load the model and, where the chat keeps system states (llama.cpp's ``warm_up(prime)``),
        evaluate the answer prompt's system line, the ~60 tokens every answer starts with (half a
        second on 2 cores). A chat without ``warm_up`` (a server) has nothing to load."""
        warm = getattr(self.chat, "warm_up", None)
        if warm is not None:
            warm(prime=prompt.build(SYSTEM, "", []))

    def answer(self, question: Question, evidence: Sequence[Evidence], history=(), *, retry: str | None = None,
               shorter: bool = False, on_token: OnToken | None = None) -> Draft:
        """Ask the model; raises AnswererError when the model cannot answer at all."""
        sentences = context(evidence, n_passages=self.n_passages, n_sentences=self.n_sentences)
        if not sentences:
            return Draft(None, (), self.name, note="nothing was retrieved")
        yes_no = question.atype.kind == "yesno"
        raw = self.chat.complete(messages(question.text, sentences, yes_no=yes_no, retry=retry, shorter=shorter),
                                 max_tokens=4 if yes_no else self.max_tokens, timeout=self.timeout,
                                 on_token=on_token)
        proposal = parse_reply(raw)
        if yes_no and proposal is not None:
            word = proposal.split()[0].lower().strip(".,!")
            proposal = {"yes": "Yes", "no": "No"}.get(word)
        note = None if proposal is not None else "the model found no answer in the evidence"
        return Draft(proposal, tuple(sentences), self.name, note=note, raw=raw)

    def confirms(self, question: Question, value: str, cited: Sequence[str], read: Sequence[Evidence] = ()
                 ) -> tuple[bool, float | None, float | None]:
        """``(shown, share, answers)``: whether the model, asked again, stands by ``value`` as the
        answer (:mod:`rag.answer.confirm`), with its share of "yes" to that check and, when that passes,
        to whether the context answers the question at all; ``shown`` needs the first share to reach
        ``confirm_min`` and their product ``joint_min``. A check that cannot run lets the answer stand.
        Asked over the answer's own prompt (system line, the sentences it ``read``: its Draft's
        rests_on, question), so only the checks' words are new to the model, unless the ``cited``
        sentences are not all among them: then they alone are the context."""
        if self.confirm_min is None:
            return True, None, None
        sentences = [e.text for e in read]
        context, system = (sentences, SYSTEM) if set(cited) <= set(sentences) else (list(cited), confirm.SYSTEM)
        share = confirm.yes_share(self.chat, confirm.messages(question.text, value, context, system=system),
                                  timeout=self.timeout)
        if share is None or share < self.confirm_min:
            return share is None, share, None
        answers = confirm.yes_share(self.chat, confirm.answers_messages(question.text, context, system=system),
                                    timeout=self.timeout)
        return answers is None or share * answers >= self.joint_min, share, answers
