"""Answer-type detection: general question forms, not the articles' questions."""
import pytest

from rag.answer.qtype import AnswerType, detect, looks_english


@pytest.mark.parametrize("question,kind", [
    ("How many people live in Lagos?", "number"),
    ("How much did the bridge cost?", "money"),
    ("How much rain fell?", "number"),
    ("When did the strike start?", "date"),
    ("What date was the treaty signed?", "date"),
    ("On what day of the week was the vote?", "date"),
    ("Which year did the war end?", "date"),
    ("Where was the summit held?", "place"),
    ("In which country is the company based?", "place"),
    ("Who wrote the report?", "person"),
    ("Whom did the minister meet?", "person"),
    ("Whose plan was adopted?", "person"),
    ("Which news agency broke the story?", "org"),
    ("Which German chancellor attended?", "person"),
    ("How long did the talks last?", "duration"),
    ("How often do the trains run?", "frequency"),
    ("How old is the president?", "age"),
    ("How far is the border?", "quantity"),
    ("Why did the talks fail?", "reason"),
    ("How did the army respond?", "manner"),
    ("Is the border open?", "yesno"),
    ("Did the ministers agree?", "yesno"),
    ("What did the minister say about the deal?", "thing"),
    ("What is his title?", "title"),
    ("What is the name of the ship?", "name"),
    ("What nationality is the captain?", "nationality"),
    ("Kalibr missiles", "thing"),
])
def test_kinds(question, kind):
    assert detect(question).kind == kind


def test_labels_follow_the_kind():
    assert detect("How many soldiers died?").labels[0] == "CARDINAL"
    assert detect("When did it happen?").labels == ("DATE", "TIME")
    assert "PERSON" in detect("Who won?").labels
    assert detect("What did she say?").labels == ()  # free text: noun phrases, not entities


def test_focus_and_counted_noun():
    assert detect("How many Turkish soldiers died?").focus == "soldier"
    assert detect("Which German chancellor was there?").focus == "chancellor"
    # "which X's Y" asks for X
    assert detect("Which ministry's spokesperson spoke?").focus == "ministry"


def test_attribute_of_a_relation_must_be_stated():
    t = detect("What is the capital of Canada?")
    assert (t.kind, t.attribute) == ("place", "capital")
    assert detect("Who is the captain of the ship?").attribute == "captain"
    assert detect("What is the population of Paris?").kind == "number"
    assert detect("What is the name of the ship?").attribute is None  # "name" is generic


def test_modifier_questions_want_the_modifier():
    t = detect("What kind of humanitarian access was sought?")
    assert t.modifier and t.focus == "access" and t.kind == "thing"
    assert detect("What type of missiles were fired?").focus == "missile"


def test_plural_and_describing_words():
    assert detect("Which two presidents spoke?").plural
    assert not detect("Which president spoke?").plural
    assert detect("What defensive capability was added?").describes == ("defensive",)
    assert detect("Which Russian fleet sailed?").describes == ()  # a proper adjective constrains, not describes


def test_answer_type_is_a_small_frozen_dataclass():
    t = detect("When?")
    assert isinstance(t, AnswerType) and t.typed
    with pytest.raises(AttributeError):
        t.kind = "x"


def test_language_check():
    known = {"turkish", "troop", "kalibr", "missil", "syria"}
    assert looks_english("How many Turkish soldiers died?", known)
    assert looks_english("Kalibr missiles Syria", known)
    assert not looks_english("¿Cuántos soldados turcos murieron?", known)
    assert not looks_english("Сколько турецких солдат погибло?", known)
