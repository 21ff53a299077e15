"""Citation verification on hand-made claims and sentences."""
from rag.answer.verify import bad_markers, claim_markers, facts, unsupported

CITED = ["Ankara blamed the death of at least 33 Turkish soldiers on Thursday on an air strike.",
         "It brought the total number of Turkish troops killed in Idlib this month to 53."]


def test_facts_are_numbers_dates_and_names():
    f = facts("33 soldiers died on February 28th in Idlib, two more on Friday [2].")
    assert {"#33", "#2", "@02-28", "@friday", "idlib", "friday", "february"} <= f
    assert "#2" in f and "soldiers" not in f  # lower-case words are not checked by default
    assert "#28" in f or "@02-28" in f


def test_a_claim_whose_facts_are_cited_passes():
    assert unsupported("33 Turkish soldiers were killed", CITED) == []
    assert unsupported("The total was 53 in Idlib", CITED) == []


def test_a_wrong_number_or_date_or_name_fails():
    assert unsupported("53 Turkish soldiers died on Thursday", CITED[:1]) == ["53"]
    assert unsupported("33 soldiers died on Friday", CITED) == ["friday"]
    assert unsupported("33 soldiers died in Aleppo", CITED) == ["aleppo"]
    assert unsupported("thirty-three soldiers", CITED) == []  # 33 in words is 33


def test_numbers_must_be_in_the_sentence_not_the_metadata():
    assert unsupported("Sputnik News gives 63", CITED, metadata=["Sputnik News"], allowed=frozenset({"gives"})) \
        == ["63"]
    assert unsupported("Sputnik News gives 53", CITED, metadata=["Sputnik News"]) == []


def test_quoted_claims_are_checked_word_for_word():
    assert unsupported("Turkish soldiers were killed", CITED, strict_words=True) == []
    assert unsupported("Turkish soldiers were poisoned", CITED, strict_words=True) == ["poisoned"]
    assert unsupported("Turkish soldiers were poisoned", CITED) == []  # not quoted: only facts are checked


def test_markers_must_point_into_the_list():
    assert bad_markers("33 [1][2]. More [3].", 3) == []
    assert bad_markers("33 [1][4]. More [0].", 3) == [0, 4]


def test_claims_split_at_marker_runs():
    assert claim_markers("33 died [1][2]. It was 53 [1].") == [("33 died", [1, 2]), ("It was 53", [1])]
    assert claim_markers("no markers here") == []
