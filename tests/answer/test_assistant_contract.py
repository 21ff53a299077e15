"""What the assistant does with a model's proposal: ground it, check it, retry once, or refuse.

The model is scripted here (its replies are the test's input); the index, retrieval and every check
are real. The real model answers in tests/answer/test_llm_integration.py."""
import pytest

from rag.answer.assistant import Assistant
from rag.answer.llm import ECHO, EXPECTED, LLMAnswerer, STRICT
from rag.errors import AnswererError
from rag.retrieval.retriever import Retriever

from conftest import ROOT, ScriptedChat


def make(seeds_index, *replies, check="yes", answers=None, **settings):
    index, embedder = seeds_index
    chat = ScriptedChat(*replies, check=check, answers=answers)
    settings.setdefault("llm_threshold", 0.0)  # these tests are about grounding, not the calibrated threshold
    return Assistant(Retriever(index, embedder), answerer=LLMAnswerer(chat), **settings), chat


def test_a_verbatim_proposal_is_answered_with_exact_offsets(seeds_index):
    assistant, chat = make(seeds_index, "33 turkish soldiers")
    answer = assistant.ask("How many Turkish soldiers were killed in the air strike?")
    assert not answer.refused and answer.answered_by == "llm:scripted"
    assert answer.short_answer.lower() == "33 turkish soldiers" and answer.short_answer != "33 turkish soldiers"
    assert len(chat.calls) == 1
    for c in answer.citations:
        text = (ROOT / c.source_path).read_text(encoding="utf-8", errors="replace")
        assert text[c.start:c.end] == c.text
    assert "33 Turkish soldiers" in answer.citations[0].text


def test_an_invented_phrase_is_retried_strictly_then_refused(seeds_index):
    assistant, chat = make(seeds_index, "34 soldiers", "thirty-four troops")
    answer = assistant.ask("How many Turkish soldiers were killed in the air strike?")
    assert answer.refused and answer.short_answer is None and answer.citations == ()
    assert len(chat.calls) == 2 and STRICT in chat.calls[1][0]["content"]
    assert STRICT not in chat.calls[0][0]["content"]


def test_a_retry_that_copies_exactly_is_answered(seeds_index):
    assistant, chat = make(seeds_index, "thirty-three soldiers", "33")
    answer = assistant.ask("How many Turkish soldiers were killed in the air strike?")
    assert answer.short_answer == "33" and len(chat.calls) == 2


def test_abstention_is_a_refusal_without_retry(seeds_index):
    assistant, chat = make(seeds_index, "unanswerable")
    answer = assistant.ask("How many Turkish soldiers were killed in the air strike?")
    assert answer.refused and len(chat.calls) == 1


def test_an_answer_of_the_wrong_type_is_retried_naming_the_type_then_refused(seeds_index):
    assistant, chat = make(seeds_index, "Turkish", "Turkish")
    answer = assistant.ask("How many Turkish soldiers were killed in the air strike?")
    assert answer.refused and len(chat.calls) == 2
    retry = chat.calls[1][0]["content"]
    assert EXPECTED["number"] in retry and STRICT not in retry  # it was found; it was not a number
    assert EXPECTED["number"] not in chat.calls[0][0]["content"]


def test_an_echo_of_the_question_is_retried_saying_so(seeds_index):
    question = "Which news agency supplied the photo of the Admiral Makarov in the Bosphorus?"
    assistant, chat = make(seeds_index, "Admiral Makarov", "Reuters")
    answer = assistant.ask(question)
    assert not answer.refused and answer.short_answer == "Reuters" and len(chat.calls) == 2
    assert ECHO in chat.calls[1][0]["content"] and ECHO not in chat.calls[0][0]["content"]
    assistant, chat = make(seeds_index, "Admiral Makarov", "the Admiral Makarov")
    assert assistant.ask(question).refused and len(chat.calls) == 2  # an echo twice is no answer


def test_a_retry_of_the_right_type_is_answered(seeds_index):
    assistant, chat = make(seeds_index, "Turkish soldiers", "33")
    answer = assistant.ask("How many Turkish soldiers were killed in the air strike?")
    assert not answer.refused and answer.short_answer == "33" and len(chat.calls) == 2


def test_a_yes_about_a_figure_the_sentence_does_not_state_is_never_shown(seeds_index):
    assistant, _ = make(seeds_index, "yes")
    answer = assistant.ask("Were 34 Turkish soldiers killed?")
    assert answer.short_answer != "Yes"
    if not answer.refused:  # "No", citing the sentence that gives the real figure
        assert answer.short_answer == "No" and "33" in answer.citations[0].text


def test_rules_answer_yes_no_with_the_same_fact_check(seeds_index):
    index, embedder = seeds_index
    answer = Assistant(Retriever(index, embedder), threshold=0.0).ask("Were 34 Turkish soldiers killed?")
    assert answer.short_answer != "Yes"


def test_streaming_yields_text_then_the_verified_answer(seeds_index):
    assistant, _ = make(seeds_index, "33 Turkish soldiers")
    items = list(assistant.ask_stream("How many Turkish soldiers were killed in the air strike?"))
    assert all(isinstance(i, str) for i in items[:-1]) and len(items) >= 3
    assert "".join(items[:-1]).strip() == "33 Turkish soldiers"
    assert items[-1].short_answer == "33 Turkish soldiers"


class BrokenChat:
    name = "broken"

    def complete(self, messages, **kw):
        raise AnswererError("no answering server at http://127.0.0.1:9/v1; start one.")


def test_a_failing_model_falls_back_to_the_rules_and_says_so(seeds_index):
    index, embedder = seeds_index
    assistant = Assistant(Retriever(index, embedder), answerer=LLMAnswerer(BrokenChat()), threshold=0.0)
    answer = assistant.ask("How many Turkish soldiers were killed in the air strike?")
    assert answer.answered_by == "rules" and "no answering server" in answer.note
    assert "rule reader" in answer.note


def test_stream_errors_reach_the_caller(seeds_index):
    assistant, _ = make(seeds_index, "33")
    with pytest.raises(Exception, match="question"):
        list(assistant.ask_stream("   "))


def test_a_sentence_long_proposal_is_asked_again_shorter(seeds_index):
    sentence = "Ankara blamed the death of at least 33 Turkish soldiers on Thursday on an air strike"
    assistant, chat = make(seeds_index, sentence, "33 Turkish soldiers")
    answer = assistant.ask("How many Turkish soldiers did Ankara blame the air strike for?")
    assert answer.short_answer == "33 Turkish soldiers" and len(chat.calls) == 2
    assert "whole sentence" in chat.calls[1][0]["content"]


def test_a_shorter_reply_from_outside_the_first_span_is_ignored(seeds_index):
    sentence = "Ankara blamed the death of at least 33 Turkish soldiers on Thursday on an air strike"
    assistant, _ = make(seeds_index, sentence, "53")
    answer = assistant.ask("How many Turkish soldiers did Ankara blame the air strike for?")
    assert answer.short_answer == sentence


def test_an_answer_that_only_repeats_the_question_is_refused(seeds_index):
    assistant, _ = make(seeds_index, "Admiral Makarov")
    assert assistant.ask("Who commands the frigate Admiral Makarov?").refused


def test_an_answer_from_a_sentence_that_does_not_name_the_question_names_is_refused(seeds_index):
    # "Stoltenberg" is in the articles, but never in a sentence about Lagos
    assistant, _ = make(seeds_index, "Jens Stoltenberg")
    assert assistant.ask("Who chairs the Lagos port authority?").refused


def test_a_pronoun_with_no_one_to_refer_to_gets_a_question_back_not_a_guess(seeds_index):
    assistant, chat = make(seeds_index, "Dmitry Peskov")
    answer = assistant.ask("What did he say?")
    assert answer.clarify == "he" and answer.refused and answer.citations == () and chat.calls == []
    assert "Whom do you mean by “he”" in answer.text
    followed = assistant.ask("What did he say?", history=[("Who is the Kremlin spokesman?", "Dmitry Peskov")])
    assert followed.clarify is None and followed.query == "What did Dmitry Peskov say?"


def test_filters_are_named_in_the_answer_with_what_they_left(seeds_index):
    assistant, _ = make(seeds_index, "unanswerable", "unanswerable")
    assert assistant.ask("How many Turkish soldiers were killed?").scope is None
    dated = assistant.ask("How many Turkish soldiers were killed?", date_from="2020-02-01", date_to="2020-02-29")
    assert dated.scope == "Searched 1 of 5 articles: dates 2020-02-01 to 2020-02-29 (4 undated articles left out)."
    chosen = assistant.ask("How many Turkish soldiers were killed?",
                           doc_ids=["erdogan-putin-agree-to-meet", "russia-turkey-crisis-talks"])
    assert chosen.scope == "Searched 2 of 5 articles: only the 2 chosen articles."


def test_the_public_view_of_what_is_indexed(seeds_index):
    """documents(), document(id), warnings and scope(): what the UI and CLI read instead of the index."""
    index, _ = seeds_index
    assistant, _ = make(seeds_index, "unused")
    docs = assistant.documents()
    assert [d.id for d in docs] == [d.id for d in index.docs] and docs is not index.docs  # a copy to keep
    assert assistant.document(docs[0].id) == docs[0]
    assert assistant.document("no-such-article") is None and assistant.document(None) is None
    assert assistant.warnings == tuple(index.stats.warnings)
    assert assistant.scope() is None
    one = assistant.scope([docs[0].id, "removed-meanwhile"])
    assert one == f"Searched 1 of {len(docs)} articles: only the 1 chosen article."


def test_an_answer_the_model_does_not_confirm_is_refused(seeds_index):
    question = "How many Turkish soldiers were killed in the air strike?"
    assistant, chat = make(seeds_index, "33 turkish soldiers", check="no")
    answer, trace = assistant.ask_traced(question)
    assert answer.refused and answer.citations == () and "did not confirm" in trace["reason"]
    assert len(chat.checks) == 1 and "Proposed answer: 33 Turkish soldiers" in chat.checks[0][1]["content"]
    assert "33 Turkish soldiers" in chat.checks[0][1]["content"].split("Question:")[0]  # its own sentence is the context
    # asked over the answer's own prompt (system line, context, question) with the check last, so the model
    # evaluates only the check's words (rag.answer.prompt)
    assert chat.checks[0][0] == chat.calls[0][0] and chat.checks[0][1]["content"].startswith(chat.calls[0][1]["content"])
    assistant, chat = make(seeds_index, "33 turkish soldiers", check="Yes.")
    assert not assistant.ask(question).refused and len(chat.checks) == 2
    # the second check asks, over the same prompt, whether the context answers the question at all
    assert chat.checks[1][1]["content"].startswith(chat.calls[0][1]["content"])
    assert chat.checks[1][1]["content"].endswith("Does the context answer this question? Reply yes or no.")
    assert "33 Turkish soldiers" not in chat.checks[1][1]["content"].split("Question:")[1]


def test_an_answer_whose_context_the_model_says_does_not_answer_the_question_is_refused(seeds_index):
    question = "How many Turkish soldiers were killed in the air strike?"
    assistant, chat = make(seeds_index, "33 turkish soldiers", check="yes", answers="No.")
    answer, trace = assistant.ask_traced(question)
    assert answer.refused and answer.citations == ()
    assert (trace["confirm"], trace["answers"]) == (1.0, 0.0)
    assert trace["reason"] == "the model doubted the context answers the question (yes shares 1.00 x 0.00)"
    assistant, chat = make(seeds_index, "33 turkish soldiers", check="yes", answers="Yes")
    answer, trace = assistant.ask_traced(question)
    assert not answer.refused and (trace["confirm"], trace["answers"]) == (1.0, 1.0)
    index, embedder = seeds_index  # a level of 0 asks the second check and shows the answer whatever it says
    chat = ScriptedChat("33 turkish soldiers", check="yes", answers="No.")
    assistant = Assistant(Retriever(index, embedder), answerer=LLMAnswerer(chat, joint_min=0.0), llm_threshold=0.0)
    answer, trace = assistant.ask_traced(question)
    assert not answer.refused and trace["answers"] == 0.0 and len(chat.checks) == 2


def test_a_confirmation_reply_that_is_neither_yes_nor_no_lets_the_grounded_answer_stand(seeds_index):
    assistant, chat = make(seeds_index, "33 turkish soldiers", check="Perhaps")
    assert not assistant.ask("How many Turkish soldiers were killed in the air strike?").refused


def test_confirm_min_is_validated_and_none_turns_the_check_off(seeds_index):
    with pytest.raises(ValueError, match="confirm_min is a share between 0 and 1"):
        LLMAnswerer(ScriptedChat(), confirm_min=1.5)
    with pytest.raises(ValueError, match="joint_min is a share between 0 and 1"):
        LLMAnswerer(ScriptedChat(), joint_min=-0.1)
    index, embedder = seeds_index
    chat = ScriptedChat("33 turkish soldiers", check="no")
    assistant = Assistant(Retriever(index, embedder), answerer=LLMAnswerer(chat, confirm_min=None), llm_threshold=0.0)
    assert not assistant.ask("How many Turkish soldiers were killed in the air strike?").refused and chat.checks == []
