from rag.answer.ground import locate, normalise


def test_locate_ignores_case_whitespace_and_quote_style_and_gives_exact_offsets():
    sentence = "Ankara blamed the death of at least 33  Turkish soldiers on “the regime”."
    start, end = locate("33 turkish soldiers", sentence)
    assert sentence[start:end] == "33  Turkish soldiers"
    start, end = locate('"the regime"', sentence)
    assert sentence[start:end] == "“the regime”"


def test_locate_refuses_partial_words_and_different_figures():
    assert locate("33", "A total of 133 people") is None
    assert locate("34 soldiers", "33 soldiers died") is None
    assert locate("oldiers", "33 soldiers died") is None and locate("soldiers died a", "33 soldiers died") is None
    sentence = "33 soldiers died"  # a singular is found as the sentence's whole plural word, never a part of it
    assert sentence[slice(*locate("soldier", sentence))] == "soldiers"


def test_locate_drops_a_leading_article_only_when_needed():
    sentence = "A spokesman for the Kremlin said"
    assert sentence.__getitem__(slice(*locate("the Kremlin", sentence))) == "the Kremlin"
    assert sentence.__getitem__(slice(*locate("The spokesman", sentence))) == "spokesman"


def test_normalise_maps_every_character_back():
    text = "  A\t“B”  c "
    norm, where = normalise(text)
    assert norm == 'a "b" c'
    assert [text[i:j].lower() for i, j in where if not text[i:j].isspace()] == ["a", "“", "b", "”", "c"]


def test_a_figure_written_as_a_word_is_found_whole():
    # "9" reads "nine" as its value: the span is the whole word, not its first letter
    sentence = "The basin spans nine nations and twenty-one provinces."
    assert sentence[slice(*locate("9", sentence))] == "nine"
    assert sentence[slice(*locate("21", sentence))] == "twenty-one"
    assert sentence[slice(*locate("9 nations", sentence))] == "nine nations"


def test_empty_and_unicode_inputs():
    assert locate("", "anything") is None
    assert locate("Erdoğan", "President Recep Tayyip Erdoğan said") is not None
    assert locate("x", "") is None


def test_locate_reads_a_proposal_without_its_quote_marks_and_numbers_by_value():
    sentence = 'The council of eleven members keeps "entrenched" provisions, 2,500 pages long.'
    for proposal, shown in [("entrenched provisions", '"entrenched" provisions'), ("11 members", "eleven members"),
                            ("2500 pages", "2,500 pages"), ("Eleven", "eleven")]:
        start, end = locate(proposal, sentence)
        assert sentence[start:end] == shown  # the sentence's own words are what is shown and cited


def test_the_looser_readings_never_change_a_figure():
    assert locate("12 members", "The council of eleven members") is None
    assert locate("1", "A total of 133 people") is None
    assert locate("25", "at least 2,500 pages") is None


def test_the_words_reading_finds_a_rewritten_list_a_dropped_hyphen_or_accent():
    sentence = "Contacts run at the level of presidents, defence ministries and experts, said Erdoğan's aide."
    for proposal, shown in [("presidents, defence ministries, experts", "presidents, defence ministries and experts"),
                            ("Erdogan's aide", "Erdoğan's aide"), ("defence-ministries", "defence ministries")]:
        start, end = locate(proposal, sentence)
        assert sentence[start:end] == shown
    sentence = "He ended a 24-year tenure."
    assert sentence[slice(*locate("24 years", sentence))] == "24-year"


def test_the_words_reading_keeps_word_order_and_word_edges():
    sentence = "Moscow and Ankara kept talking; the minister said 133 times."
    assert locate("Ankara, Moscow", sentence) is None  # another order is another claim
    assert locate("33 times", sentence) is None
    assert locate("kept, talking", sentence) == (18, 30)
