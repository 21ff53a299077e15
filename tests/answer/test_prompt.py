"""rag.answer.prompt: the model's prompts share their system line, context and question; the task comes last."""
from conftest import make_evidence

from rag.answer import confirm, llm
from rag.answer.prompt import MAX_SENTENCE_CHARS, build


def test_context_lines_are_one_per_sentence_with_whitespace_collapsed_and_long_ones_cut():
    messages = build("Answer.", "Who won?", ["Smith  won\nthe vote.", "x" * (MAX_SENTENCE_CHARS + 50)])
    assert messages[0] == {"role": "system", "content": "Answer."}
    context, question = messages[1]["content"].split("\n\n")
    assert context.splitlines() == ["Context: Smith won the vote.", "x" * MAX_SENTENCE_CHARS]
    assert question == "Question: Who won?"


def test_the_confirmation_continues_the_answer_prompt_word_for_word():
    evidence = [make_evidence("d1", 0, "33 Turkish soldiers were killed in the air strike."),
                make_evidence("d1", 60, "Ankara blamed Damascus for the attack.")]
    answer_prompt = llm.messages("How many soldiers were killed?", evidence)
    check = confirm.messages("How many soldiers were killed?", "33", [e.text for e in evidence], system=llm.SYSTEM)
    assert check[0] == answer_prompt[0] and check[1]["content"].startswith(answer_prompt[1]["content"] + "\n\n")
    assert check[1]["content"].endswith("Proposed answer: 33\n\nDoes the context state that the proposed answer "
                                        "answers exactly this question? Reply yes or no.")
    assert confirm.is_check(check) and not confirm.is_check(answer_prompt)


def test_a_retry_changes_only_the_system_line():
    evidence = [make_evidence("d1", 0, "33 Turkish soldiers were killed in the air strike.")]
    first = llm.messages("How many soldiers were killed?", evidence)
    retry = llm.messages("How many soldiers were killed?", evidence, retry="verbatim")
    assert retry[1] == first[1] and retry[0]["content"] == llm.SYSTEM + llm.STRICT
