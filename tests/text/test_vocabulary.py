"""rag.text.vocabulary: the one list of number, month and weekday words every parser reads."""
import re

from rag.text.vocabulary import MONTH_PATTERN, MONTHS, REFERENCE, TENS, UNITS, WEEKDAY_PATTERN, WEEKDAYS


def test_number_words():
    assert (UNITS["zero"], UNITS["nineteen"], len(UNITS)) == (0, 19, 20)
    assert TENS == {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
                    "ninety": 90}


def test_months_with_the_abbreviations_news_writes():
    assert MONTHS["january"] == 1 and MONTHS["dec"] == 12 and MONTHS["sept"] == MONTHS["sep"] == 9
    assert len(MONTHS) == 12 + 11 + 1  # "may" is its own abbreviation


def test_patterns_match_whole_words_longest_first():
    month = re.compile(rf"\b{MONTH_PATTERN}", re.IGNORECASE)
    assert month.match("September 3").group() == "September"  # not "Sep"
    assert month.match("Sept. 3").group() == "Sept."
    assert re.fullmatch(WEEKDAY_PATTERN, "Thursday", re.IGNORECASE) and len(WEEKDAYS) == 7
    assert not re.fullmatch(MONTH_PATTERN, "Mayday", re.IGNORECASE)


def test_reference_marker():
    assert re.findall(REFERENCE, "metres[1] said.[12][345] [1234] [a]") == ["[1]", "[12]", "[345]"]
