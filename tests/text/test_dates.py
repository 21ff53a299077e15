"""rag.text.dates: a full date with a year, as ISO, never guessed."""
import pytest

from rag.text.dates import find_date, parse_date


@pytest.mark.parametrize("text, iso", [
    ("Sunday, April 5, 2020", "2020-04-05"),
    ("Thursday 27 February 2020", "2020-02-27"),
    ("3 February 2020", "2020-02-03"),
    ("March 12th, 2024", "2024-03-12"),
    ("Feb. 3, 2020", "2020-02-03"),
    ("MARCH 1 2020", "2020-03-01"),
    ("Sept. 3, 2020", "2020-09-03"),  # the abbreviation news writes, which strptime does not know
    ("3 Sept 2020", "2020-09-03"),
    ("September 3, 2020", "2020-09-03"),
    ("Posted 2020-02-28T10:00", "2020-02-28"),
])
def test_parse_date(text, iso):
    assert parse_date(text) == iso


@pytest.mark.parametrize("text", ["", None, "soon", "March 12", "12/03/2024", "April 31, 2020", "2020-02-30",
                                  "2021-02-29"])
def test_no_date_is_guessed(text):
    assert parse_date(text) is None


def test_find_date_takes_the_first_real_date_in_running_text():
    assert find_date("RIVERTON, 12 March 2024 - The council voted") == "2024-03-12"
    assert find_date("on March 12 (Reuters)") is None  # no year: no date
    assert find_date("April 31, 2020 then 1 May 2020") == "2020-05-01"  # the first is no calendar day
    assert find_date("in 2020-13-45 and 2020-01-02") == "2020-01-02"
    assert find_date("Updated Sept. 14, 2020, 10:02") == "2020-09-14"
    assert find_date("") is None and find_date(None) is None
