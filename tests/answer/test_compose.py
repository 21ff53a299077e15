"""rag.answer.compose: the clause a claim quotes, numbered citations, the refusal text."""
import pytest
from conftest import make_evidence as evidence

from rag.answer.compose import Claim, clause, compose, refusal, source_name
from rag.records import Citation
from rag.text.language import parse


def clause_of(sentence: str, answer: str) -> str:
    i = sentence.index(answer)
    return clause(parse(sentence), i, i + len(answer))


def test_the_clause_with_its_own_subject_is_quoted():
    s = "The leaders held talks after 33 Turkish soldiers were killed in Syria."
    assert clause_of(s, "33") == "33 Turkish soldiers were killed in Syria"
    # The answer in the main clause: the whole sentence, without its full stop.
    assert clause_of(s, "talks") == "The leaders held talks after 33 Turkish soldiers were killed in Syria"


def test_the_clause_stops_before_a_conjoined_statement():
    s = "Turkey retaliated after Russian jets killed 33 soldiers and wounded 12 others near Saraqib."
    assert clause_of(s, "33") == "Russian jets killed 33 soldiers"
    # The answer in the conjoined verb, which has no subject of its own: the whole sentence.
    assert clause_of(s, "Saraqib") == s[:-1]


def test_reported_speech_keeps_the_attribution():
    assert clause_of("Erdogan said that 33 Turkish soldiers were killed in Syria.", "33") == \
        "Erdogan said that 33 Turkish soldiers were killed in Syria"
    assert clause_of("The army said 33 soldiers died.", "33") == "The army said 33 soldiers died"


def test_a_relative_clause_is_no_statement():
    s = "The minister, who arrived in Moscow on Thursday, held talks with Lavrov."
    assert clause_of(s, "Moscow") == "The minister, who arrived in Moscow on Thursday, held talks with Lavrov"


def test_a_short_sentence_is_quoted_whole():
    assert clause_of("Hi.", "Hi") == "Hi"


def test_a_span_off_the_tokens_quotes_the_whole_sentence():
    doc = parse("Talks ended.")
    assert clause(doc, 100, 120) == "Talks ended"


def test_the_clause_always_holds_the_answer():
    s = "Turkey retaliated after Russian jets killed 33 soldiers and wounded 12 others near Saraqib."
    answer = "33 soldiers and wounded 12"  # runs past the clause that holds its first word
    assert answer in clause_of(s, answer)


def test_citations_are_numbered_in_order_of_first_use_one_per_sentence():
    a = evidence("a", 10, "33 soldiers were killed.")
    b = evidence("b", 0, "The toll rose to 36.")
    a_again = evidence("a", 10, "33 soldiers were killed.")
    text, citations = compose([
        Claim("33 soldiers were killed", (a,)),
        Claim("sources differ: 33 or 36", (b, a_again, b), quote=False),
    ])
    assert text == "33 soldiers were killed [1]. Sources differ: 33 or 36 [2][1]."
    assert citations == (
        Citation(n=1, doc_id="a", title="Talks in Ankara", source="Daily Sabah", date="2020-02-28",
                 source_path="a.txt", text="33 soldiers were killed.", start=10, end=34),
        Citation(n=2, doc_id="b", title="Talks in Ankara", source="Daily Sabah", date="2020-02-28",
                 source_path="b.txt", text="The toll rose to 36.", start=0, end=20),
    )


def test_a_claim_drops_reference_markers_extra_spaces_and_its_full_stop():
    ev = evidence("a", 0, "x")
    text, _ = compose([Claim("the toll rose to 33.[5][6]  in   Idlib.", (ev,))])
    assert text == "The toll rose to 33. in Idlib [1]."


def test_the_same_sentence_in_two_documents_is_two_citations():
    same = (evidence("a", 0, "Talks ended."), evidence("b", 0, "Talks ended."))
    text, citations = compose([Claim("talks ended", same)])
    assert text == "Talks ended [1][2]."
    assert [c.doc_id for c in citations] == ["a", "b"]


def test_no_claims_no_text():
    assert compose([]) == ("", ())


def test_a_source_is_named_by_its_outlet_else_by_its_quoted_title():
    assert source_name(evidence("a", 0, "x")) == "Daily Sabah"
    assert source_name(evidence("a", 0, "x", source=None, title="Talks in Ankara")) == "“Talks in Ankara”"


@pytest.mark.parametrize("foreign, related, expected", [
    (False, False, "The articles don't say."),
    (True, False, "The articles don't say. The articles are in English; ask the question in English."),
    (False, True, "The articles don't say. The closest passages are listed as related."),
    (True, True, "The articles don't say. The articles are in English; ask the question in English. "
                 "The closest passages are listed as related."),
])
def test_refusal(foreign, related, expected):
    assert refusal(foreign=foreign, related=related) == expected

