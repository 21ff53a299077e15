"""rag.answer.rules: the rule reader as an answerer proposes the best value with its support, or abstains."""
import pytest
from conftest import make_evidence

from rag.answer.draft import Question
from rag.answer.qtype import detect
from rag.answer.rules import RuleAnswerer
from rag.answer.terms import Vocabulary, question_terms

KILLED = "33 Turkish soldiers were killed in Idlib on Thursday."
TALKS = "Talks in Moscow ended without a deal."
TROOPS = "Turkey has troops in Idlib."
VOCAB = Vocabulary([KILLED, TALKS, TROOPS])


def question(text: str) -> Question:
    terms = question_terms(text, VOCAB)
    return Question(text, detect(text), terms, frozenset({w for w, _, _ in terms.terms} | {s for _, s, _ in terms.terms}))


def test_the_best_value_with_its_sentence_and_support():
    killed, talks = make_evidence("a", 0, KILLED, score=0.8), make_evidence("b", 0, TALKS, coverage=0.2, score=0.3)
    draft = RuleAnswerer().answer(question("How many Turkish soldiers were killed in Idlib?"), [killed, talks])
    assert (draft.answer, draft.rests_on, draft.backend, draft.support) == ("33", (killed,), "rules", 0.8)
    assert [p.value for p in draft.picks] == ["33"] and not draft.abstained


def test_a_place_question_reads_the_place():
    draft = RuleAnswerer().answer(question("Where were 33 Turkish soldiers killed?"), [make_evidence("a", 0, KILLED)])
    assert draft.answer == "Idlib"


def test_no_value_of_the_expected_kind_is_an_abstention_with_a_note():
    draft = RuleAnswerer().answer(question("How many Turkish soldiers were killed in Idlib?"),
                                  [make_evidence("b", 0, TALKS, coverage=0.2)])
    assert draft.abstained and draft.rests_on == () and draft.picks == ()
    assert draft.note == "no sentence states an answer of the expected kind"


def test_a_sentence_missing_the_question_names_is_not_read():
    draft = RuleAnswerer().answer(question("How many Turkish soldiers were killed in Idlib?"),
                                  [make_evidence("a", 0, KILLED, names_ok=False)])
    assert draft.abstained


def test_yes_no_questions_go_to_the_yes_no_reader():
    rules = RuleAnswerer()
    assert rules.answer(question("Does Turkey have troops in Idlib?"), [make_evidence("a", 0, TROOPS, coverage=1.0)]
                        ).answer == "Yes"
    # A sentence stating only part of the question is no yes.
    assert rules.answer(question("Does Turkey have tanks in Idlib?"), [make_evidence("a", 0, TROOPS, coverage=0.5)]
                        ).abstained


def test_top_must_be_positive():
    with pytest.raises(ValueError, match="top is how many evidence sentences the reader reads and must be at least 1; "
                                         "got 0"):
        RuleAnswerer(top=0)
