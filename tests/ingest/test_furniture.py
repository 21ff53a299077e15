from pathlib import Path

import pytest

from rag.ingest.furniture import article_lines, is_furniture, sections
from rag.ingest.corpus import read_folder

from conftest import SEEDS

FURNITURE = ["0 $", "2,500 $", "Click to see full-size image", "Previous Article Nigeria braces as coronavirus hits",
             "Next Article Coronavirus: Risk of spread upgraded", "1227 Rate this article:", "Skip to main content",
             "Do you like this content? Consider helping us!", "Sunday, April 5, 2020", "Home | World | Sport | Video",
             "By in", "Latest News"]
ARTICLE = ["ANKARA", "There is yet no news on any progress in negotiations.", "Delegations met in Ankara",
           "To respect international law.", "AFP and Reuters contributed to this report.",
           "The Russian Navy's frigate Admiral Makarov sail through the Bosphorus, on its way to the Mediterranean "
           "Sea, in Istanbul, Turkey on 28 February (Reuters)", "By Friday the talks had ended."]


@pytest.mark.parametrize("line", FURNITURE)
def test_furniture_is_dropped(line):
    assert is_furniture(line)


@pytest.mark.parametrize("line", ARTICLE)
def test_article_text_is_kept(line):
    assert not is_furniture(line)


def test_repeated_headline_is_dropped_even_with_other_quotes():
    text = "Talks Won’t Stop\n\nTalks Won't Stop\nBody text here."
    assert [text[s.start:s.end] for s in article_lines(text)] == ["Talks Won’t Stop", "Body text here."]


def test_sections_break_where_furniture_was_dropped():
    text = "Title\nClick to see full-size image\nPara one.\n\nPara two."
    kept = article_lines(text)
    assert sections(text, kept) == [(0, 1), (1, 3)]


def test_every_sentence_of_the_articles_survives():
    """Each sentence-length line of every bundled article is kept verbatim unless it
    is furniture, and the only such lines are the known furniture above."""
    dropped = set()
    corpus = read_folder(SEEDS)
    for doc in corpus.documents:
        norm = lambda t: t.replace("\u2019", "'")  # a repeated headline differs only in its apostrophe
        kept = {norm(doc.text[b.start:b.end]) for b in doc.blocks}
        for line in Path(SEEDS / Path(doc.path).name).read_text().split("\n"):
            line = line.strip()
            if len(line.split()) >= 8 and not is_furniture(line):
                assert norm(line) in kept, (doc.id, line)
            elif len(line.split()) >= 8:
                dropped.add(line)
    assert dropped == {"Do you like this content? Consider helping us!",
                       "Previous Article Nigeria braces as coronavirus hits megacity Lagos",
                       "Next Article Coronavirus: Risk of spread upgraded to highest level"}
