"""An article's own reference markers ("metres[1]") never look like our citations."""
from __future__ import annotations

import re

import pytest

from rag.ingest.furniture import blank_references
from rag.text.language import parse
from rag.chunking.sentences import split_sentences
from rag.records import Span

GLACIER = ("Glacier survey finds record length\n\n"
           "The Zorblax Glacier in Norlandia measured 4,321 metres[1] in the spring survey, the survey office "
           "said.[2][3] Scientists said meltwater had slowed because of a cold winter.[4]\n")
OUR_MARKERS = re.compile(r"\[(\d+)\]")


def test_blanking_keeps_every_offset():
    text = "measured 4,321 metres[1] in May.[2][3] Also [12, 13] and [a]"
    blank = blank_references(text)
    assert len(blank) == len(text) and "[" not in blank.replace("[a]", "")
    assert blank.index("in May") == text.index("in May")


def test_markers_are_punctuation_tokens_and_never_entities():
    doc = parse("The Zorblax Glacier measured 4,321 metres[1] in the spring survey.[2]")
    assert doc.text.endswith("survey.[2]")  # the parse is of the article's own text
    tokens = {t.text: t for t in doc}
    assert tokens["[1]"].is_punct and tokens["[2]"].is_punct and "metres" in tokens
    assert ("4,321 metres", "QUANTITY") in [(e.text, e.label_) for e in doc.ents]
    assert not [e for e in doc.ents if "[" in e.text]


def test_markers_stay_with_the_sentence_they_end():
    text = "Talks ended.[5][6] Next came the vote [7] on Friday."
    spans = split_sentences(text, [Span(0, len(text))])[0]
    assert [text[s.start:s.end] for s in spans] == ["Talks ended.[5][6]", "Next came the vote [7] on Friday."]


@pytest.mark.integration
@pytest.mark.parametrize("question, short", [
    ("How many metres did the Zorblax Glacier measure?", "4,321"),
    ("Did the Zorblax Glacier measure 4,321 metres?", "Yes"),
    ("What slowed the meltwater?", "a cold winter"),
])
def test_answers_from_an_article_with_markers_carry_only_our_own(tmp_path, real_embedder, question, short):
    from rag.answer.assistant import Assistant

    (tmp_path / "glacier.txt").write_text(GLACIER)
    (tmp_path / "other.txt").write_text("Bridge opens\n\nThe mayor of Ostrava opened a new bridge on Monday.\n")
    assistant = Assistant.open(tmp_path, embedder=real_embedder, answerer="rules", index_dir=tmp_path / ".idx")
    answer = assistant.ask(question)
    assert not answer.refused and answer.short_answer == short
    numbers = {int(n) for n in OUR_MARKERS.findall(answer.text)}
    assert numbers == {c.n for c in answer.citations} == {1}  # no [2], [3], [4] from the article
    text = (tmp_path / "glacier.txt").read_text()
    for c in answer.citations:
        assert text[c.start:c.end] == c.text  # the citation itself stays the article's exact text
