"""rag.answer.system_state: every prompt starts from its system line evaluated alone (real 0.5b model)."""
import pytest

from rag.answer.system_state import SystemState, common_prefix

TIMEOUT = 600


def test_common_prefix_counts_the_shared_leading_tokens():
    assert common_prefix([5, 6, 7], [5, 6, 7, 8]) == 3 and common_prefix([], [1]) == 0 and common_prefix([1], [2]) == 0


@pytest.fixture(scope="module")
def chat():
    from rag.answer.llama_local import LlamaCppChat
    from rag.answer.model_files import resolve_model

    chat = LlamaCppChat(resolve_model("0.5b"))
    chat.warm_up()
    chat._system = SystemState(chat._llm)  # what its first prompt would make; kept while the model is the same
    return chat


def prompt(question, system="Answer from the context."):
    return [{"role": "system", "content": system},
            {"role": "user", "content": f"Context: 412 ships docked in Rotterdam in March.\n\nQuestion: {question}"}]


@pytest.mark.integration
@pytest.mark.slow
def test_the_system_segment_ends_where_the_user_turn_begins(chat):
    state = chat._system
    head = state.head(prompt("How many ships docked?"))
    text = chat._llm.detokenize(list(head), special=True).decode()
    assert text.endswith("Answer from the context.<|im_end|>\n<|im_start|>user\n")
    assert state.head(prompt("Who docked?")) == head  # the same system line, another question
    assert state.head(prompt("How many?", system="Check the answer.")) != head
    assert state.head([{"role": "user", "content": "Hello"}]) == ()  # no system line: an empty cache


@pytest.mark.integration
@pytest.mark.slow
def test_a_restored_system_state_gives_the_same_reply_as_evaluating_it(chat):
    from rag.answer.confirm import NO, YES

    chat._system.states = type(chat._system.states)(8)  # forget what earlier tests saved
    first = chat.first_token_odds(prompt("How many ships docked?"), YES, NO, timeout=TIMEOUT, reuse=False)
    assert len(chat._system.states) == 1  # evaluated alone, then saved
    chat.complete(prompt("Where did the ships dock?", system="Reply in one word."), max_tokens=2, timeout=TIMEOUT)
    again = chat.first_token_odds(prompt("How many ships docked?"), YES, NO, timeout=TIMEOUT, reuse=False)
    assert again == first and len(chat._system.states) == 2


def test_a_model_without_a_readable_template_starts_from_an_empty_cache():
    class Llm:  # what SystemState reads of a llama_cpp.Llama whose chat format is set by hand
        chat_handler, chat_format = None, "chatml"

        def __init__(self):
            self.resets = 0

        def reset(self):
            self.resets += 1

    llm = Llm()
    state = SystemState(llm)
    assert state.formatter is None and state.start(prompt("How many?")) == 0 and llm.resets == 1


@pytest.mark.integration
@pytest.mark.slow
def test_warm_up_with_a_prime_saves_the_answer_prompts_system_state(chat):
    """LLMAnswerer.warm_up primes the answer prompt's system line; the first question restores it
    and replies exactly as a model that evaluated the line on that question would."""
    from rag.answer import llm as answer_llm
    from rag.answer.confirm import NO, YES
    from rag.answer.llama_local import LlamaCppChat

    chat._system.states = type(chat._system.states)(8)
    answer_llm.LLMAnswerer(chat).warm_up()
    assert len(chat._system.states) == 1  # the system line evaluated alone, before any question
    asked = [{"role": "system", "content": answer_llm.SYSTEM},
             {"role": "user", "content": "Context: 412 ships docked in Rotterdam in March.\n\nQuestion: How many?"}]
    assert tuple(chat._system.states.keys())[0] == chat._system.head(asked)  # what a real question starts from
    primed = chat.first_token_odds(asked, YES, NO, timeout=TIMEOUT, reuse=False)
    assert len(chat._system.states) == 1  # restored, not evaluated again
    fresh = LlamaCppChat(chat.model_path)
    assert fresh.first_token_odds(asked, YES, NO, timeout=TIMEOUT, reuse=False) == primed
