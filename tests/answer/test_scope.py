"""rag.answer.scope: a filtered search says how much of the corpus it searched."""
import json

import pytest

from conftest import FakeEmbedder

from rag.answer.scope import scope_note, scope_of
from rag.errors import QueryError
from rag.index.open_index import open_index
from rag.retrieval.retriever import Retriever


def test_scope_note_worked_examples():
    assert scope_note(in_scope=1, total=5, undated=3, date_from="2020-02-01", date_to="2020-02-29") == \
        "Searched 1 of 5 articles: dates 2020-02-01 to 2020-02-29 (3 undated articles left out)."
    assert scope_note(in_scope=2, total=5, doc_ids=["a", "b"], date_from="2020-02-01", undated=1) == \
        "Searched 2 of 5 articles: only the 2 chosen articles, dated 2020-02-01 or later (1 undated article left out)."
    assert scope_note(in_scope=1, total=1, doc_ids=["a"]) == "Searched 1 of 1 article: only the 1 chosen article."
    assert scope_note(in_scope=0, total=5, date_to="2019-12-31") == \
        "Searched 0 of 5 articles: dated 2019-12-31 or earlier."


def test_no_filter_no_note():
    assert scope_note(in_scope=5, total=5) is None
    assert scope_note(in_scope=5, total=5, undated=2, doc_ids=[]) is None
    # Undated articles only matter to a date filter.
    assert scope_note(in_scope=2, total=5, undated=2, doc_ids=["a", "b"]) == \
        "Searched 2 of 5 articles: only the 2 chosen articles."


@pytest.fixture(scope="module")
def retriever(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("corpus")
    for name, text in [("a", "Troops moved to Idlib."), ("b", "Talks began in Moscow."), ("c", "Nobody dated this.")]:
        (corpus / f"{name}.txt").write_text(text + "\n")
    (corpus / "metadata.json").write_text(json.dumps({"a.txt": {"date": "2020-02-01"}, "b.txt": {"date": "2020-03-01"}}))
    index, _ = open_index(corpus, embedder=FakeEmbedder(), index_dir=tmp_path_factory.mktemp("index"))
    return Retriever(index, FakeEmbedder())


def test_scope_of_counts_what_the_retriever_searches(retriever):
    assert scope_of(retriever, retriever.index.docs) is None
    assert scope_of(retriever, retriever.index.docs, date_from="2020-02-15") == \
        "Searched 1 of 3 articles: dated 2020-02-15 or later (1 undated article left out)."
    # Undated articles outside the chosen ones are not counted as left out by the date.
    assert scope_of(retriever, retriever.index.docs, doc_ids=["a", "b"], date_to="2020-02-15") == \
        "Searched 1 of 3 articles: only the 2 chosen articles, dated 2020-02-15 or earlier."
    assert scope_of(retriever, retriever.index.docs, doc_ids=["c"]) == "Searched 1 of 3 articles: only the 1 chosen article."


def test_scope_of_an_unknown_document_names_it(retriever):
    with pytest.raises(QueryError, match=r"unknown document id\(s\) \['nope'\]; `rag docs` lists the ids"):
        scope_of(retriever, retriever.index.docs, doc_ids=["nope"])
