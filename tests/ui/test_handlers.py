"""The chat's event handlers without a browser: inline errors, filters, start-up labels
(the index is real, built with the fake embedder; the browser tests drive the same code)."""
from __future__ import annotations

import pytest

from rag.answer.assistant import Assistant
from rag.index.chunk_index import Step
from rag.retrieval.retriever import Retriever
from rag.ui.chat import ChatTab, check_date
from rag.ui.documents import progress_text
from rag.ui.notices import inline_error
from rag.ui.ready import answerer_label, ready_html


@pytest.fixture
def tab(seeds_index):
    index, embedder = seeds_index
    return ChatTab(Assistant(Retriever(index, embedder)), stream_delay=0.0)


def run(tab, message, date_from="", date_to="", doc_ids=None):
    return list(tab.respond(message, [], [], 5, doc_ids or [], date_from, date_to))


def test_a_bad_question_is_an_inline_error_and_the_text_stays(tab):
    [(chat, box, turns, _, error, _, _)] = run(tab, "   ")
    assert chat == [] and turns == [] and box == {"__type__": "update"}  # the box is left as typed
    assert error == inline_error("the question is empty; type a question, e.g. 'How many Turkish soldiers died?'.")
    assert ">The question is empty" in error  # capitalised at the edge


def test_a_bad_date_is_said_next_to_the_dates_and_opens_settings(tab):
    [(_, _, _, _, question_error, date_error, settings)] = run(tab, "How many died?", date_from="next week")
    assert "Check the dates" in question_error and "From date &#x27;next week&#x27; is not a date" in date_error
    assert settings == {"__type__": "update", "open": True}


def test_an_answer_clears_the_errors_and_names_the_filters(tab):
    steps = run(tab, "How many Turkish soldiers died?", date_from="2020-02-01")
    chat, box, turns, _, question_error, date_error, _ = steps[-1]
    assert question_error == date_error == "" and box == "" and len(turns) == 1
    assert "Searched 1 of 5 articles: dated 2020-02-01 or later (4 undated articles left out)." in chat[-1]["content"]


def test_a_question_pasted_as_html_is_read_as_its_text(tab):
    chat = run(tab, "<p><b>How many Turkish soldiers died?</b></p>")[-1][0]
    assert chat[0]["content"] == "How many Turkish soldiers died?"


def test_the_filter_bar_and_the_offer_to_clear_them(tab):
    bar, clear = tab.filters(["russia-turkey-crisis-talks"], "", "")
    assert "Searched 1 of 5 articles: only the 1 chosen article." in bar and clear["visible"] is True
    assert tab.filters([], "", "")[0] == "" and tab.filters([], "2020-02", "")[0] == ""  # a date being typed
    *_, offer_row, offer = tab.new_conversation([], "2020-02-01", "")
    assert offer_row["visible"] is True and "The filters are still on" in offer
    assert tab.new_conversation([], "", "")[-2]["visible"] is False


def test_dates_are_checked_with_the_fix_in_the_message():
    assert check_date(" 2020-02-28 ", "From date") == ("2020-02-28", None)
    assert check_date("28/02/2020", "To date")[1] == "To date '28/02/2020' is not a date; use YYYY-MM-DD, e.g. 2020-02-28."


def test_progress_and_ready_lines_say_what_happens_and_who_answers(tab):
    assert progress_text(Step("checking", 1, 3, "b.txt")) == "Checking b.txt (2/3)"
    assert progress_text(Step("embedding", 64, 128)) == "Embedding passages 64/128"
    assert answerer_label("rules") == "the rule reader"
    assert answerer_label("llm:endpoint:qwen2.5") == "the model qwen2.5 (OpenAI-compatible server)"
    assert "Ready · 5 articles · answers by the rule reader" in ready_html(tab.assistant)
