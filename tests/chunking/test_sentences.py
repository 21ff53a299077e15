"""rag.chunking.sentences: sentence spans into the document text, never across a block or a line."""
import pytest

from rag.chunking import sentences
from rag.chunking.sentences import _merge_fragments, _pieces, split_sentences
from rag.records import Span


def split(text: str, blocks=None) -> list[list[tuple[int, int, str]]]:
    blocks = [Span(0, len(text))] if blocks is None else blocks
    return [[(s.start, s.end, text[s.start:s.end]) for s in block] for block in split_sentences(text, blocks)]


def test_abbreviations_do_not_end_a_sentence():
    assert split("He left on Feb. 24. Talks resumed.") == [[(0, 19, "He left on Feb. 24."), (20, 34, "Talks resumed.")]]
    assert split("The U.S. envoy arrived. Then he left.") == [[(0, 23, "The U.S. envoy arrived."),
                                                           (24, 37, "Then he left.")]]


def test_whitespace_around_a_sentence_is_not_in_its_span():
    assert split("  First one.   Second one.  ") == [[(2, 12, "First one."), (15, 26, "Second one.")]]


def test_a_newline_ends_a_sentence_even_without_a_full_stop():
    assert split("Headline without a stop\nThe body starts here.") == [
        [(0, 23, "Headline without a stop"), (24, 45, "The body starts here.")]]


def test_blocks_are_split_separately_and_offsets_point_into_the_whole_text():
    text = "Intro line. Still intro.\n\nSecond block."
    assert split(text, [Span(0, 24), Span(26, len(text))]) == [
        [(0, 11, "Intro line."), (12, 24, "Still intro.")], [(26, 39, "Second block.")]]
    # A block in the middle of a line: offsets are still document offsets.
    assert split("xxxx One. Two. yyyy", [Span(5, 14)]) == [[(5, 9, "One."), (10, 14, "Two.")]]


def test_empty_and_blank_blocks():
    assert split_sentences("abc", []) == []
    assert split("", [Span(0, 0)]) == [[]]
    assert split("   \n  \n", [Span(0, 7)]) == [[]]


def test_reference_markers_stay_with_the_sentence_they_end():
    assert split("The toll rose to 33.[5][6] Officials met later.") == [
        [(0, 26, "The toll rose to 33.[5][6]"), (27, 47, "Officials met later.")]]
    assert split("Troops died.[1] [2]") == [[(0, 19, "Troops died.[1] [2]")]]


def test_non_ascii_text_keeps_character_offsets():
    text = "Ça va? Très bien, merci."
    assert split(text) == [[(0, 6, "Ça va?"), (7, 24, "Très bien, merci.")]]


def test_a_fragment_without_letters_joins_the_sentence_before():
    text = 'He said "we will win." ” Then he left.'
    spans = [Span(0, 22), Span(23, 24), Span(25, 38)]
    assert _merge_fragments(text, spans) == [Span(0, 24), Span(25, 38)]
    assert _merge_fragments("...", [Span(0, 3)]) == [Span(0, 3)]  # nothing before it: kept as is


def test_leading_markers_move_back_to_the_sentence_they_end():
    text = "It died. [5][6] Next one."
    assert _merge_fragments(text, [Span(0, 8), Span(9, 25)]) == [Span(0, 15), Span(16, 25)]
    assert _merge_fragments(text, [Span(0, 8), Span(9, 15)]) == [Span(0, 15)]  # markers only


def test_a_long_line_is_cut_at_a_sentence_end_then_a_space_then_hard():
    text = "Aaaa bbbb. Cccc dddd eeee. Ffff"
    assert _pieces(text, Span(0, len(text)), limit=18) == [Span(0, 11), Span(11, 27), Span(27, 31)]
    early = "Ab. cccc dddd eeee"  # the only sentence end is in the first half of the window: cut at a space
    assert _pieces(early, Span(0, len(early)), limit=12) == [Span(0, 9), Span(9, 18)]
    words = "aaaa bbbb cccc dddd"
    assert _pieces(words, Span(0, len(words)), limit=12) == [Span(0, 10), Span(10, 19)]
    solid = "x" * 25
    assert _pieces(solid, Span(0, 25), limit=10) == [Span(0, 10), Span(10, 20), Span(20, 25)]
    assert _pieces(text, Span(0, len(text)), limit=100) == [Span(0, len(text))]


def test_a_line_longer_than_a_piece_is_split_without_losing_text(monkeypatch):
    monkeypatch.setattr(sentences, "MAX_PIECE", 60)
    text = " ".join(f"Sentence number {i} is here." for i in range(12))  # 335 characters, no newline
    spans = split_sentences(text, [Span(0, len(text))])[0]
    assert [text[s.start:s.end] for s in spans] == [f"Sentence number {i} is here." for i in range(12)]


@pytest.mark.parametrize("text", ["One. Two.", "No stop at all", "Ends with a quote.”"])
def test_spans_are_ordered_inside_their_block_and_trimmed(text):
    spans = split_sentences(text, [Span(0, len(text))])[0]
    assert spans and spans[0].start >= 0 and spans[-1].end <= len(text)
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))
    assert all(text[s.start:s.end] == text[s.start:s.end].strip() for s in spans)


def test_the_trimmed_vocabulary_gives_the_sentences_of_the_full_one():
    """The splitter computes only the lexeme attributes senter reads (a speed lever); a pipeline
    that computes them all must find exactly the same sentences on the bundled articles."""
    from pathlib import Path

    from rag.text.language import load_spacy, references_as_punctuation

    full = load_spacy(exclude=["parser", "ner", "lemmatizer", "attribute_ruler", "tagger", "tok2vec"])
    full.enable_pipe("senter")
    full = references_as_punctuation(full)
    trimmed = sentences._nlp()
    assert full.vocab is not trimmed.vocab
    assert len(trimmed.vocab.lex_attr_getters) < len(full.vocab.lex_attr_getters)
    seeds = Path(__file__).resolve().parents[2] / "seeds"
    lines = [line for path in sorted(seeds.glob("*.txt")) for line in
             path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) > 100

    def bounds(nlp):
        return [[(s.start_char, s.end_char) for s in doc.sents] for doc in nlp.pipe(lines)]

    assert bounds(trimmed) == bounds(full)
