"""rag.answer.rewrite: the model's standalone question is used only when it keeps the question's words."""
from conftest import ScriptedChat

from rag.answer.followup import resolve
from rag.answer.rewrite import SYSTEM, LLMRewriter, keeps_words

HISTORY = [("What did Dmitry Peskov say about the talks?", "Dmitry Peskov said the talks were useful [1].")]
QUESTION = "What did he say about Turkey?"
MODEL_REWRITE = "What did Kremlin spokesman Dmitry Peskov say about Turkey?"


def test_keeps_words_by_stem_ignoring_function_words():
    assert keeps_words(QUESTION, MODEL_REWRITE)
    assert keeps_words("How many troops died?", "How many Turkish troops have died in Idlib?")
    assert not keeps_words(QUESTION, "Who is Peskov?")
    assert not keeps_words("How many troops died?", "How many soldiers died?")  # a synonym is another word


def test_a_good_model_rewrite_is_used_and_the_prompt_shows_the_last_turns():
    chat = ScriptedChat(MODEL_REWRITE)
    assert LLMRewriter(chat, last_turns=1).rewrite(QUESTION, HISTORY * 3) == MODEL_REWRITE
    (messages,) = chat.calls
    assert messages == [{"role": "system", "content": SYSTEM},
                        {"role": "user", "content": f"User: {HISTORY[0][0]}\nAssistant: {HISTORY[0][1]}\n"
                                                    f"User (last question): {QUESTION}"}]


def test_only_the_first_line_of_the_reply_counts_without_its_quotes():
    chat = ScriptedChat(f"“{MODEL_REWRITE}”\nI replaced the pronoun.")
    assert LLMRewriter(chat).rewrite(QUESTION, HISTORY) == MODEL_REWRITE


def test_a_bad_reply_falls_back_to_the_rules():
    rules = resolve(QUESTION, HISTORY)
    assert rules == "What did Dmitry Peskov say about Turkey?"
    for reply in ["Who is Peskov?", "", "   ", "What did Peskov say about Turkey? " * 20]:
        assert LLMRewriter(ScriptedChat(reply)).rewrite(QUESTION, HISTORY) == rules, reply


def test_no_history_no_model_call():
    chat = ScriptedChat(MODEL_REWRITE)
    assert LLMRewriter(chat).rewrite(QUESTION, []) == QUESTION
    assert chat.calls == []
