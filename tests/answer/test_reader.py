"""Unit tests of rag/reader.py's support score (no model: plain stand-ins for Evidence)."""
from types import SimpleNamespace

import pytest

from rag.answer.qtype import detect
from rag.answer.reader import penalty, states, support
from rag.text.values import canonical, pair_key


def ev(dense: float, score: float = 0.5, predicate_ok: bool | None = False):
    return SimpleNamespace(dense=dense, score=score, predicate_ok=predicate_ok)


@pytest.mark.parametrize("dense, expected", [(0.3, 0.25), (0.6, 0.25), (0.7, 0.125), (0.8, 0.0), (0.95, 0.0)])
def test_penalty_shrinks_as_the_cosine_rises(dense, expected):
    # A paraphrase ("bolstering" for "augmenting") misses the verb but shows in the cosine.
    assert penalty(ev(dense), 0.25) == pytest.approx(expected)


def test_support_is_penalised_only_when_the_verb_is_missing():
    assert support(ev(0.5, predicate_ok=False), 0.25) == pytest.approx(0.25)
    assert support(ev(0.5, predicate_ok=True), 0.25) == pytest.approx(0.5)
    assert support(ev(0.5, predicate_ok=None), 0.25) == pytest.approx(0.5)  # no content verb in the question


def test_a_close_paraphrase_keeps_its_full_score():
    assert support(ev(0.85, score=0.59, predicate_ok=False), 0.25) == pytest.approx(0.59)


def test_a_name_is_stated_whatever_its_diacritics():
    who = detect("Who called Putin?")
    assert states("President Erdoğan called Putin.", canonical("Erdogan", "person"), who)
    assert states("President Erdogan called Putin.", canonical("Erdoğan", "person"), who)


def test_a_pair_is_stated_when_both_are_named_in_any_order():
    key = pair_key(("Putin", "Erdogan"))
    both = detect("Which two presidents spoke?")
    assert states("Erdoğan told Putin that talks would go on.", key, both)
    assert not states("Putin spoke to reporters.", key, both)
