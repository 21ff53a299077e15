"""rag.answer.terms: weighted question words, names, the main verb, and how a sentence word matches one."""
import math

import numpy as np
import pytest

from rag.answer.terms import HAVE, QuestionTerms, Vocabulary, WordSimilarity, best_match, name_match, question_terms

SENTENCES = ["Turkish troops were killed in Idlib.", "Russia said the talks failed.", "Troops moved to Idlib."]


@pytest.fixture(scope="module")
def vocab():
    return Vocabulary(SENTENCES)


def test_idf_is_rarity_over_the_indexed_sentences(vocab):
    assert vocab.n == 3
    assert vocab.df["troop"] == 2 and vocab.df["kill"] == 1  # counted once per sentence
    assert vocab.idf("troop") == pytest.approx(math.log(4 / 2.5))
    # A word the articles never use weighs most: that is what makes an off-topic question look unanswered.
    assert vocab.idf("canada") == pytest.approx(math.log(4 / 0.5))
    assert vocab.idf("canada") > vocab.idf("kill") > vocab.idf("troop")


def test_question_terms_worked_example(vocab):
    q = question_terms("How many Turkish soldiers were killed in Idlib?", vocab)
    assert q == QuestionTerms(
        terms=(("many", "mani", 2.0794), ("turkish", "turkish", 0.9808), ("soldiers", "soldier", 2.0794),
               ("killed", "kill", 0.9808), ("idlib", "idlib", 0.47)),
        entities=((("idlib", "idlib"),),), predicate=("killed", "kill"), speaker=())


def test_what_someone_said_gives_the_reported_verb_and_the_speaker(vocab):
    q = question_terms("What did Vladimir Putin say Turkey was preparing?", vocab)
    assert q.predicate == ("preparing", "prepar")
    assert q.speaker == (("vladimir", "vladimir"), ("putin", "putin"))
    assert (("turkey", "turkey"),) in q.entities


def test_possession_is_the_predicate_of_a_have_question(vocab):
    assert question_terms("How many soldiers does the army have?", vocab).predicate == HAVE
    assert question_terms("Does Russia have consulates in Turkey?", vocab).predicate == HAVE


def test_a_question_with_only_a_copula_has_no_predicate(vocab):
    q = question_terms("What is the capital of Canada?", vocab)
    assert q.predicate is None and q.entities == ((("canada", "canada"),),)
    assert dict((w, wt) for w, _, wt in q.terms) == {"capital": 2.0794, "canada": 2.0794}


def test_a_noun_the_tagger_mistakes_after_did_is_the_verb(vocab):
    assert question_terms("Where did Lavrov visit after Ankara?", vocab).predicate == ("visit", "visit")


@pytest.mark.parametrize("a, b", [("turkey", "turkish"), ("syria", "syrian"), ("iran", "iranian"),
                                  ("china", "chinese"), ("usa", "usa")])
def test_name_match(a, b):
    assert name_match(a, b) and name_match(b, a)


@pytest.mark.parametrize("a, b", [("states", "statements"), ("austria", "australia"), ("iran", "iraq"),
                                  ("kill", "killed"), ("usa", "usb")])
def test_name_mismatch(a, b):
    assert not name_match(a, b)


def no_similarity(a, b):
    return 0.0


def test_best_match_exact_name_speech_and_possession():
    assert best_match(("died", "die"), [("killed", "kill")], lambda a, b: 0.79, soft_min=0.55) == 0.79
    assert best_match(("kills", "kill"), [("killed", "kill")], no_similarity, soft_min=0.55) == 1.0
    assert best_match(("turkey", "turkey"), [("turkish", "turkish")], no_similarity, soft_min=0.55) == 0.0
    assert best_match(("turkey", "turkey"), [("turkish", "turkish")], no_similarity, soft_min=0.55, name=True) == 1.0
    assert best_match(("said", "said"), [("told", "told")], no_similarity, soft_min=0.55) == 1.0
    assert best_match(HAVE, [("owns", "own")], no_similarity, soft_min=0.55) == 1.0
    assert best_match(HAVE, [("wants", "want")], lambda a, b: 0.9, soft_min=0.55) == 0.0  # never a soft match


def test_a_soft_match_needs_the_threshold_and_a_free_word():
    sentence = [("troops", "troop")]
    assert best_match(("deployed", "deploy"), sentence, lambda a, b: 0.57, soft_min=0.55) == 0.57
    assert best_match(("deployed", "deploy"), sentence, lambda a, b: 0.54, soft_min=0.55) == 0.0
    # "troops" already answers the question's "troops": it is not reused for "deployed".
    assert best_match(("deployed", "deploy"), sentence, lambda a, b: 0.57, soft_min=0.55,
                      taken=frozenset({"troop"})) == 0.0
    assert best_match(("deployed", "deploy"), [], lambda a, b: 0.99, soft_min=0.55) == 0.0


class CountingEmbed:
    """Unit vectors of one-hot letters, counting how many words it was asked for."""

    def __init__(self):
        self.words = []

    def __call__(self, words):
        self.words += list(words)
        out = np.zeros((len(words), 26), np.float32)
        for i, w in enumerate(words):
            out[i, ord(w[0]) - ord("a")] = 1.0
        return out


def test_word_similarity_caches_prepared_words():
    embed = CountingEmbed()
    sim = WordSimilarity(embed)
    sim.prepare(["killed", "died", "killed"])
    assert sorted(embed.words) == ["died", "killed"]
    assert sim("killed", "kept") == 1.0 and sim("killed", "died") == 0.0
    assert embed.words[2:] == ["kept"]  # only the unprepared word was embedded
    sim.prepare(["killed", "kept"])
    assert len(embed.words) == 3  # nothing new to embed
    assert sim("same", "same") == 1.0 and "same" not in embed.words  # identical words need no vectors


def test_word_similarity_is_bounded():
    embed = CountingEmbed()
    sim = WordSimilarity(embed, size=2)
    sim.prepare(["apple", "banana", "cherry"])
    assert embed.words == ["apple", "banana", "cherry"]
    sim("apple", "banana")  # "apple" was pushed out by "cherry"; fetching it again pushes out "banana"
    assert embed.words == ["apple", "banana", "cherry", "apple", "banana"]
