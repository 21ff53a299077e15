"""Span extraction on small hand-made sentences (spaCy parses, no embeddings)."""
import pytest

from rag.text.language import parse, terms
from rag.answer.qtype import detect
from rag.answer.spans import candidates


def words_of(question: str) -> set[str]:
    ts = terms(question)
    return {w for w, _ in ts} | {s for _, s in ts}


def best(sentence: str, question: str, **kw) -> str | None:
    found = candidates(parse(sentence), detect(question), words_of(question), **kw)
    return found[0].text if found else None


def test_person_next_to_the_asked_role():
    assert best("The alliance's Secretary-General Anna Berg spoke to reporters in Oslo on Friday.",
                "Who is the alliance's Secretary-General?") == "Anna Berg"


def test_a_name_in_the_question_is_never_the_answer():
    found = candidates(parse("Prime Minister Anna Berg met President Tom Ruiz in Lima."),
                       detect("Whom did Anna Berg meet?"), words_of("Whom did Anna Berg meet?"))
    assert "Anna Berg" not in [c.text for c in found] and found[0].text == "Tom Ruiz"


def test_number_counted_by_the_focus_noun():
    sentence = "Floods killed 12 farmers and destroyed 300 houses in the valley."
    assert best(sentence, "How many farmers died?", same=frozenset()) == "12"
    assert best(sentence, "How many houses were destroyed?") == "300"
    # nothing here counts teachers: no candidate at all, so the question is refused
    assert best(sentence, "How many teachers died?") is None


def test_date_and_duration_and_frequency_patterns():
    assert best("The ferry left on March 3 after a two-week delay.", "When did the ferry leave?") == "March 3"
    assert best("The ferry left on March 3 after a two-week delay.", "How long was the delay?") == "two-week"
    # "yesterday" is a date, not a duration
    assert best("The talks ended yesterday.", "How long did the talks last?") is None


def test_place_question_takes_places():
    assert best("The summit was held in Geneva on Tuesday.", "Where was the summit held?") == "Geneva"


def test_kind_of_question_takes_the_modifier():
    assert best("The agency asked for urgent humanitarian access to the camps.",
                "What kind of humanitarian access did the agency ask for?") == "urgent"


def test_which_x_takes_the_named_x():
    assert "Baltic fleet" in best("Separately, the Baltic fleet said it was sending two ships.",
                                  "Which fleet sent two ships?")


def test_object_of_a_question_verb():
    assert best("The union has long urged the company to use its influence on suppliers.",
                "What has the union urged the company to use on suppliers?") == "its influence"


def test_what_did_x_say_prefers_the_report_not_the_speaker():
    sentence = "The mayor said the bridge would reopen in May, adding that repairs were on schedule."
    found = candidates(parse(sentence), detect("What did the mayor say about the bridge?"),
                       words_of("What did the mayor say about the bridge?"), speech=True)
    assert found[0].label == "SAID" and "reopen in May" in found[0].text
    assert all(c.text != "The mayor" for c in found[:1])


def test_who_said_prefers_the_speaker():
    assert best('"We will rebuild," said Mayor Ana Costa on Monday.', "Who said they will rebuild?",
                speech=True) == "Ana Costa"


def test_plural_question_takes_a_coordinated_answer():
    assert best("Presidents Putin and Erdogan spoke by phone.", "Which two presidents spoke?") == "Putin and Erdogan"


def test_offsets_point_into_the_sentence():
    sentence = "Floods killed 12 farmers in the valley."
    for c in candidates(parse(sentence), detect("How many farmers died?"), words_of("How many farmers died?")):
        assert sentence[c.start:c.end] == c.text


@pytest.mark.parametrize("question", ["Is the bridge open?", "Did the mayor resign?"])
def test_yes_no_has_no_span(question):
    assert candidates(parse("The bridge is open."), detect(question), words_of(question)) == []


def test_outlet_question_takes_the_credit_in_brackets():
    for sentence in ("LIMA (Andes Wire) - The mayor said the bridge would reopen.",
                     "Boats cross the harbour in Lima on 3 May (Andes Wire)."):
        found = candidates(parse(sentence), detect("Which news agency took the photo?"),
                           words_of("Which news agency took the photo?"))
        assert found[0].text == "Andes Wire" and found[0].label == "CREDIT"


def test_credits_only_answer_outlet_questions():
    found = candidates(parse("Boats cross the harbour in Lima on 3 May (Andes Wire)."),
                       detect("Which city do boats cross?"), words_of("Which city do boats cross?"))
    assert all(c.label != "CREDIT" for c in found)
