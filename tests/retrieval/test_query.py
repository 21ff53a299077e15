"""rag.retrieval.query: the question and the search filters are checked before any model sees them."""
import numpy as np
import pytest

from rag.errors import QueryError
from rag.retrieval.query import MAX_K, MAX_QUERY_CHARS, Filters, check_filters, clean_query, iso_date


def test_control_characters_and_runs_of_whitespace_become_one_space():
    assert clean_query("  how many\x00 troops\n\t died? ") == "how many troops died?"
    # zero-width space (Cf), line separator (Zl) and a byte-order mark (Cf) are spaces too...
    assert clean_query("talks\u200bin\u2028Ankara\ufeffended") == "talks in Ankara ended"
    # ...but the zero-width joiner is kept: it is part of emoji and some scripts.
    assert clean_query("a\u200db") == "a\u200db"


def test_the_cleaned_text_is_what_the_limit_counts():
    padded = "x" * MAX_QUERY_CHARS + " \n " * 10
    assert clean_query(padded) == "x" * MAX_QUERY_CHARS
    with pytest.raises(QueryError, match=r"2,001 characters long; the limit is 2,000\. Ask a shorter question"):
        clean_query("x" * (MAX_QUERY_CHARS + 1))


def test_a_huge_paste_is_refused_before_cleaning():
    with pytest.raises(QueryError, match=r"100,000 characters long; the limit is 50"):
        clean_query(" " * 100_000, max_chars=50)  # all whitespace, yet refused on size, not as empty


@pytest.mark.parametrize("empty", ["", "   ", "\x00\x01\n\t", "\u200b\u2029", "\u200d", " \u200d \u200d "])
def test_an_empty_question_says_what_to_type(empty):
    with pytest.raises(QueryError, match=r"the question is empty; type a question, e\.g\. "):
        clean_query(empty)


@pytest.mark.parametrize("value, kind", [(b"how many", "bytes"), (None, "NoneType"), (42, "int")])
def test_a_question_that_is_not_text_names_its_type(value, kind):
    with pytest.raises(QueryError, match=rf"must be text; got {kind}\."):
        clean_query(value)


def test_a_lone_surrogate_is_refused_with_its_position():
    # What Python makes of bytes that were not UTF-8 (surrogateescape).
    with pytest.raises(QueryError, match=r"not valid text at position 4 .*UTF-8 terminal"):
        clean_query("why \udcff?")


def test_query_error_is_also_a_value_error():
    # Callers that only know the standard library can still catch it.
    with pytest.raises(ValueError):
        clean_query("")


def test_filters_are_normalised():
    f = check_filters(np.int64(5), ["b", "a"], " 2020-02-01 ", "")
    assert f == Filters(k=5, doc_ids=("b", "a"), date_from="2020-02-01", date_to=None)
    assert type(f.k) is int
    assert check_filters(1, (d for d in ["x"])).doc_ids == ("x",)  # any iterable, read once
    assert check_filters(MAX_K).k == MAX_K
    one_day = check_filters(3, None, "2020-02-28", "2020-02-28")
    assert (one_day.date_from, one_day.date_to) == ("2020-02-28", "2020-02-28")


@pytest.mark.parametrize("k, message", [
    (True, "a whole number from 1 to 1,000; got True"),
    (2.0, "a whole number from 1 to 1,000; got 2.0"),
    ("5", "a whole number from 1 to 1,000; got '5'"),
    (0, "from 1 to 1,000; got 0"),
    (-3, "from 1 to 1,000; got -3"),
    (MAX_K + 1, "from 1 to 1,000; got 1,001"),
])
def test_a_bad_k_is_named(k, message):
    with pytest.raises(QueryError, match="k is the number of passages, " + message.replace(".", r"\.")):
        check_filters(k)


def test_a_single_doc_id_string_is_refused_with_the_fix():
    with pytest.raises(QueryError, match=r"got the single string 'putin'\. Pass \['putin'\]\."):
        check_filters(5, "putin")
    with pytest.raises(QueryError, match="single string b'putin'"):
        check_filters(5, b"putin")


def test_an_empty_doc_id_list_would_match_nothing_so_it_is_refused():
    for empty in ([], (), iter([])):
        with pytest.raises(QueryError, match=r"doc_ids is an empty list, so nothing can match; leave it out \(None\)"):
            check_filters(5, empty)


def test_doc_ids_that_are_not_ids():
    with pytest.raises(QueryError, match="doc_ids is a list of document ids; got int"):
        check_filters(5, 7)
    with pytest.raises(QueryError, match=r"doc_ids holds 3, which is not a document id; `rag docs` lists the ids"):
        check_filters(5, ["a", 3])


def test_reversed_dates_match_nothing_so_they_are_refused():
    with pytest.raises(QueryError, match="date_from 2020-03-01 is after date_to 2020-02-01, so nothing can match; swap"):
        check_filters(5, None, "2020-03-01", "2020-02-01")


@pytest.mark.parametrize("value, message", [
    ("28/02/2020", "date_to '28/02/2020' is not a date; use YYYY-MM-DD, e.g. 2020-02-28"),
    ("2020-2-28", "date_to '2020-2-28' is not a date"),
    (20200228, "date_to 20200228 is not a date"),
    ("2020-02-30", "date_to '2020-02-30' is not a calendar day; write a real date as YYYY-MM-DD"),
    ("2021-02-29", "not a calendar day"),
])
def test_a_bad_date_names_the_field_and_the_format(value, message):
    with pytest.raises(QueryError) as err:
        iso_date(value, "date_to")
    assert message in str(err.value)


def test_iso_date_accepts_a_leap_day_and_treats_empty_as_no_filter():
    assert iso_date("2020-02-29", "date_from") == "2020-02-29"
    assert iso_date(None, "x") is None and iso_date("", "x") is None


def test_a_long_bad_date_is_cut_in_the_message():
    with pytest.raises(QueryError) as err:
        iso_date("y" * 500, "date_from")
    assert len(str(err.value)) < 120
