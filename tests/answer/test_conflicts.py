"""Conflict detection on small hand-made passages."""
from types import SimpleNamespace as NS

from rag.answer.conflicts import alternatives, comparable, relation
from rag.answer.qtype import detect


def no_similarity(a, b):
    return 0.0


def span(text, value):
    i = text.index(value)
    return i, i + len(value)


A = "A delegation led by the deputy minister came to Ankara on February 25 for talks."
B = "Currently talks are taking place, as on February 26th a delegation was to arrive in Ankara."


def test_same_fact_different_dates_from_two_articles_is_a_conflict():
    sim = lambda a, b: 0.6 if {a, b} == {"came", "arrive"} else 0.0
    assert relation(A, span(A, "February 25"), B, span(B, "February 26th"), same_doc=False, similarity=sim) \
        == "conflict"


def test_the_same_article_stating_two_values_is_not_a_conflict():
    assert relation(A, span(A, "February 25"), B, span(B, "February 26th"), same_doc=True,
                    similarity=no_similarity) == "different"


def test_numbers_that_count_different_things_are_not_a_conflict():
    a = "Tensions rose after 33 Turkish soldiers were killed in an air strike in Syria."
    b = "It brought the total number of Turkish soldiers killed in Idlib this month to 53."
    assert relation(a, span(a, "33"), b, span(b, "53"), same_doc=False, similarity=no_similarity) == "different"


def test_different_days_are_different_events():
    a = "On Monday, an attack by Syrian forces killed five Turkish troops near the post."
    b = "On 3 February, seven Turkish troops were killed by Syrian forces near the post."
    assert relation(a, span(a, "five"), b, span(b, "seven"), same_doc=False, similarity=no_similarity) \
        == "different"


def test_unrelated_values():
    a = "The bridge opened in 2016."
    b = "Prices rose 12 percent."
    assert relation(a, span(a, "2016"), b, span(b, "12"), same_doc=False, similarity=no_similarity) == "unrelated"


def test_comparable_values():
    assert comparable("02-25", "02-26")
    assert not comparable("02-28", "friday")  # a weekday and a calendar day may be the same day
    assert not comparable("stoltenberg", "jens stoltenberg")
    assert not comparable("33", "33")
    assert not comparable("yesterday", "friday")  # a relative day may be any weekday
    assert not comparable("02-27", "the day before yesterday")


def _pick(value, key, text, doc_id, score, label="DATE"):
    ev = NS(text=text, doc_id=doc_id, score=score)
    start, end = span(text, value)
    return NS(value=value, key=key, evidence=ev, candidate=NS(start=start, end=end, label=label), score=score,
              support=score, sources=(ev,))


def test_alternatives_splits_disputes_from_other_counts():
    sim = lambda a, b: 0.6 if {a, b} == {"came", "arrive"} else 0.0
    best = _pick("February 26th", "02-26", B, "b", 1.0)
    other = _pick("February 25", "02-25", A, "a", 0.8)
    disputed, different = alternatives(best, [best, other], detect("When did the delegation arrive in Ankara?"),
                                       threshold=0.4, margin=0.08, similarity=sim, soft_min=0.55)
    assert disputed == [other] and different == []
    # below the refusal threshold a version is not evidence enough to dispute anything
    weak = _pick("February 25", "02-25", A, "a", 0.3)
    assert alternatives(best, [best, weak], detect("When did the delegation arrive in Ankara?"), threshold=0.4,
                        margin=0.08, similarity=sim, soft_min=0.55) == ([], [])


def test_free_text_answers_are_not_disputed():
    best = _pick("air strike", "air strike", "They were killed in an air strike.", "a", 1.0, label="NP")
    other = _pick("artillery fire", "artillery fire", "They were hit by artillery fire.", "b", 1.0, label="NP")
    assert alternatives(best, [best, other], detect("What hit them?"), threshold=0.4, margin=0.08,
                        similarity=no_similarity, soft_min=0.55) == ([], [])
