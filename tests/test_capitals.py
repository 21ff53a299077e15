"""News metonymy: a capital stands for its country in the names check."""
from rag.answer.capitals import metonyms
from rag.answer.evidence import _name_in
from rag.nlp import terms


def test_capital_and_country_map_both_ways():
    assert metonyms("Moscow") == {"russia"} and metonyms("damascus") == {"syria"}
    assert "ankara" in metonyms("turkey")
    assert metonyms("Idlib") == frozenset()


def test_a_capital_in_the_question_is_found_as_its_country():
    sentence = terms("We call on Syria and Russia to stop the attacks.")
    assert _name_in((("Moscow", "moscow"),), sentence)
    assert _name_in((("Damascus", "damascus"),), sentence)
    assert not _name_in((("Ankara", "ankara"),), sentence)


def test_the_adjective_of_the_country_counts_too():
    assert _name_in((("Moscow", "moscow"),), terms("Russian warships crossed the strait."))
