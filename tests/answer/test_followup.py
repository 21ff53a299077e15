"""Follow-up questions become standalone retrieval queries."""
import pytest

from rag.errors import QueryError
from rag.answer.followup import dangling, resolve, turns


def test_standalone_questions_are_left_alone():
    q = "How many Turkish soldiers died?"
    assert resolve(q, None) == q
    assert resolve(q, [{"question": "Who is Dmitry Peskov, the Kremlin voice?", "answer": "Kremlin spokesman"}]) == q


def test_he_is_the_person_the_last_turn_was_about():
    history = [{"question": "Who is Dmitry Peskov, the Kremlin voice?", "answer": "Kremlin spokesman"}]
    assert resolve("What did he say about Turkey?", history) == "What did Dmitry Peskov say about Turkey?"


def test_he_is_the_answer_to_a_who_question():
    history = [("Who is Moscow's ambassador in Turkey?", "Alexei Yerkhov")]
    # only the first "he" is replaced: the second refers to the same person
    assert resolve("What did he say he had faced?", history) == "What did Alexei Yerkhov say he had faced?"


def test_possessives_and_it():
    assert resolve("What is his title?", [("Which European figure did AFP quote?", "Josep Borrell")]) \
        == "What is Josep Borrell's title?"
    assert resolve("Toward which sea was it heading?", [("Which warship is in the photo?", "Admiral Makarov")]) \
        == "Toward which sea was Admiral Makarov heading?"


def test_they_and_there():
    history = [("Where did Lavrov say the Russian and Turkish negotiators had been working?", "Ankara")]
    assert resolve("On which days had they worked there?", history) == \
        "On which days had the Russian and Turkish negotiators worked in Ankara?"


def test_answers_with_markers_and_long_answers():
    history = [{"question": "Who is NATO's secretary-general?",
                "answer": "Jens Stoltenberg [1]. Nato Secretary-General Jens Stoltenberg on Friday called on "
                          "Russia and Syria to halt their offensive [1]."}]
    assert resolve("What did he call for?", history) == "What did Jens Stoltenberg call for?"


def test_a_fragment_is_read_against_the_previous_question():
    assert resolve("And Greece?", [("How many refugees crossed into Bulgaria?", "")]) == \
        "How many refugees crossed into Greece?"
    assert resolve("What about China?", [("What did Russia say about the attack?", "")]) == \
        "What did China say about the attack?"


def test_a_refusal_is_no_antecedent():
    history = [("Who painted the Mona Lisa?", "The articles don't say.")]
    assert resolve("Where was he born?", history) == "Where was he born?"


def test_history_shapes_are_checked():
    assert turns([("q", "a"), {"question": "q2", "answer": None}]) == [("q", "a"), ("q2", "")]
    with pytest.raises(QueryError, match="history turn 0"):
        turns(["just a string"])
    with pytest.raises(QueryError, match="must hold text"):
        turns([{"question": 3, "answer": "x"}])


@pytest.mark.parametrize("question, pronoun", [
    ("What did he say?", "he"), ("What did she tell the council about Turkey?", "she"),
    ("When did they meet?", "they"), ("What did his office announce?", "his"),
    ("What did the harbour master say he expected?", None),  # "master": a person noun
    ("Did the envoy say she felt safe?", None), ("When did the two delegations end their talks?", None),
    ("When did Merkel and Macron hold their meeting?", None), ("Is it true that 33 soldiers died?", None),
    ("What did he say about Greece?", "he"),  # a place is no "he"
])
def test_a_pronoun_with_nothing_to_refer_to_is_found(question, pronoun):
    assert dangling(question) == pronoun


def test_a_follow_up_resolved_from_history_is_not_dangling():
    history = [("Who is Moscow's ambassador in Turkey?", "Alexei Yerkhov")]
    assert dangling(resolve("What did he say?", history)) is None
    assert dangling(resolve("What did he say?", [("How many soldiers died?", "33")])) == "he"  # no person to be "he"
