"""rag.answer.syntax: what a candidate's place in the parse says about it (a count, a speaker, an addressee)."""
from rag.answer.syntax import counts, focus_bonus, governor_bonus, in_question, is_addressee, is_speaker, with_of
from rag.text.language import parse


def span(sentence: str, text: str):
    doc = parse(sentence)
    i = sentence.index(text)
    return doc.char_span(i, i + len(text), alignment_mode="expand")


ATTACK = "On Monday an attack killed five Turkish troops."


def test_a_number_counts_the_noun_it_modifies():
    assert counts(span(ATTACK, "five"), "troop", frozenset())
    assert not counts(span(ATTACK, "five"), "tank", frozenset())


def test_a_strict_synonym_counts_as_the_focus():
    five = span("Rebels killed 20 troops.", "20")
    assert counts(five, "soldier", frozenset({"troops"}))
    assert not counts(five, "soldier", frozenset())


def test_a_contrary_proper_adjective_is_no_count_of_the_asked_nationality():
    syrian = span("Russian jets killed 16 Syrian soldiers.", "16")
    assert not counts(syrian, "soldier", frozenset(), ("turkish",))
    assert counts(syrian, "soldier", frozenset(), ("syria",))  # Syria ~ Syrian
    assert counts(span(ATTACK, "five"), "troop", frozenset(), ("turkey",))  # Turkey ~ Turkish


def test_an_of_phrase_names_what_is_counted():
    dozens = span("Dozens of Turkish soldiers were wounded.", "Dozens")
    assert counts(dozens, "soldier", frozenset())
    assert not counts(dozens, "tank", frozenset())


def test_a_bare_number_counts_what_its_sentence_talks_about():
    total = span("The strike brought the total to 53.", "53")
    assert counts(total, "strike", frozenset())
    assert not counts(total, "soldier", frozenset())


def test_speakers_and_addressees():
    assert is_speaker(span("Erdogan said the talks failed.", "Erdogan"))
    assert not is_speaker(span("Erdogan said the talks failed.", "talks"))
    assert is_speaker(span("According to Reuters, the talks failed.", "Reuters"))
    told = "Lavrov told reporters the talks failed."
    assert is_addressee(span(told, "reporters")) and not is_speaker(span(told, "reporters"))
    assert is_speaker(span(told, "Lavrov")) and not is_addressee(span(told, "Lavrov"))


def test_governor_bonus_for_the_object_of_a_question_word():
    s = "Russia should use its influence on Damascus."
    assert governor_bonus(span(s, "its influence"), {"use"}) == 0.2
    assert governor_bonus(span(s, "Damascus"), {"influence"}) == 0.2  # through the preposition "on"
    assert governor_bonus(span(s, "its influence"), {"stop"}) == 0.0


def test_focus_bonus_when_the_focus_noun_is_beside_the_candidate():
    s = "German Chancellor Angela Merkel spoke on Friday."
    assert focus_bonus(span(s, "Angela Merkel"), {"chancellor"}) == 0.25
    assert focus_bonus(span(s, "Friday"), {"chancellor"}) == 0.0


def test_with_of_extends_a_noun_chunk_to_its_counted_noun_only():
    doc = parse("They agreed another series of consultations that lasted days.")
    chunk = next(c for c in doc.noun_chunks if c.text == "another series")
    assert with_of(doc, chunk).text == "another series of consultations"
    they = next(c for c in doc.noun_chunks if c.text == "They")
    assert with_of(doc, they) is they


def test_in_question_by_word_stem_or_country_name():
    assert in_question(parse("killed")[0], {"kill"})
    assert in_question(parse("Russia's fleet")[0], {"russian"})
    assert not in_question(parse("Iran")[0], {"iraq"})
    assert not in_question(parse("tanks")[0], {"troop"})
