"""Hypothesis fuzzing of everything a user types or drops in the folder: questions,
filters, file names, file bytes and metadata, through the public API and the CLI.
The only acceptable outcomes are a result or a typed domain error; never a traceback."""
from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FakeEmbedder, SEEDS
from rag.answer.assistant import Assistant
from rag.cli import main
from rag.index.open_index import open_index
from rag.errors import QueryError
from rag.ingest.corpus import read_folder
from rag.retrieval.retriever import Retriever

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])
questions = st.one_of(st.text(max_size=300), st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
                      st.sampled_from(["", " ", "\x00", "\udcff", "caf\udce9?", "[1] [2]", "x" * 9000,
                                       "How many Turkish soldiers died?\n\n\t"]))
ks = st.one_of(st.integers(-5, 2000), st.none(), st.booleans(), st.floats(allow_nan=True), st.text(max_size=4))
dates = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["2020-02-30", "yesterday", "2020-02-28",
                                                                     "20200228", "2020-W09", " 2020-03-01 "]))
doc_ids = st.one_of(st.none(), st.text(max_size=20), st.lists(st.text(max_size=12), max_size=3),
                    st.just(["erdogan-putin-agree-to-meet"]), st.integers())


@pytest.fixture(scope="module")
def assistant(seeds_index):
    index, embedder = seeds_index
    return Assistant(Retriever(index, embedder))


def answer_or_query_error(*calls) -> None:
    """Run each call; a QueryError (one line, saying what to fix) is the only error allowed."""
    for call in calls:
        try:
            call()
        except QueryError as exc:
            assert str(exc).strip() and "\n" not in str(exc)


@FUZZ
@given(q=questions)
def test_any_question_is_answered_or_refused_with_a_query_error(assistant, q):
    answer_or_query_error(lambda: assistant.retriever.search(q, k=5), lambda: assistant.ask(q))


@FUZZ
@given(k=ks, ids=doc_ids, date_from=dates, date_to=dates)
def test_any_filters_are_used_or_refused_with_a_query_error(assistant, k, ids, date_from, date_to):
    q = "How many Turkish soldiers died?"
    answer_or_query_error(lambda: assistant.retriever.search(q, k=k, doc_ids=ids, date_from=date_from, date_to=date_to),
                          lambda: assistant.ask(q, k=k, doc_ids=ids, date_from=date_from, date_to=date_to))


@pytest.mark.parametrize("filters, message", [
    ({"k": 0}, "from 1 to 1,000; got 0"), ({"k": 10**9}, "got 1,000,000,000"), ({"k": 2.5}, "got 2.5"),
    ({"k": True}, "got True"), ({"doc_ids": "abc"}, "single string 'abc'. Pass \\['abc'\\]"),
    ({"doc_ids": ["nope"]}, "unknown document id"), ({"date_from": "yesterday"}, "'yesterday' is not a date"),
    ({"date_to": "2020-02-30"}, "'2020-02-30' is not a calendar day"),
    ({"date_from": "2020-03-01", "date_to": "2020-02-01"}, "is after date_to"),
])
def test_bad_filters_are_named(assistant, filters, message):
    with pytest.raises(QueryError, match=message):
        assistant.retriever.search("Turkish soldiers", **{"k": 5, **filters})
    if filters.get("k", 1):  # ask reads k=0 as "the assistant's default"
        with pytest.raises(QueryError, match=message):
            assistant.ask("Turkish soldiers", **filters)


def test_good_filters_still_work(assistant):
    hits = assistant.retriever.search("Turkish soldiers", k=3, doc_ids=("erdogan-putin-agree-to-meet",),
                                      date_from=None, date_to="")
    assert hits and {p.doc_id for p in hits} == {"erdogan-putin-agree-to-meet"}
    dated = assistant.retriever.search("Turkish soldiers", k=3, date_from=" 2020-02-01 ", date_to="2020-02-29")
    assert dated and all("2020-02-01" <= p.date <= "2020-02-29" for p in dated)


@FUZZ
@given(q=questions, k=st.one_of(st.integers(-3, 3000).map(str), st.text(max_size=3)), date=dates.map(str))
def test_cli_exits_0_or_2_with_one_line(tmp_path_factory, monkeypatch, capsys, cli_index, q, k, date):
    import rag.embedding.sentence_embedder

    monkeypatch.setattr(rag.embedding.sentence_embedder, "SentenceTransformerEmbedder", lambda model=None, **settings: FakeEmbedder())
    corpus, index_dir = cli_index
    code = run_cli("search", "-k", k, "--date-from", date, "--corpus", str(corpus), "--index-dir", str(index_dir),
                   "--", q)
    out, err = capsys.readouterr()
    assert code in (0, 2)
    if code == 2:
        assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err


def run_cli(*argv: str) -> int:
    try:
        return main(list(argv))
    except SystemExit as stop:  # argparse's usage errors (our parser prints them on one line)
        return stop.code


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-fuzz")
    open_index(SEEDS, embedder=FakeEmbedder(), index_dir=folder / "idx")
    return SEEDS, folder / "idx"


def test_cli_main_turns_argparse_errors_into_one_line(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["search", "x", "-k", "many"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid int value: 'many'" in err


names = st.text(alphabet=st.characters(blacklist_characters="/\x00", codec="utf-8"), min_size=1, max_size=40)
metadata_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
                               lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                               max_leaves=8)
ARTICLE = b"Harbour reopens\nThe harbour of Velmora reopened on Tuesday after a storm.\n"


@FUZZ
@given(files=st.lists(st.tuples(names, st.sampled_from([".txt", ".md", ".html", ".htm"]),
                                st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode),
                                          st.sampled_from([b"\xff\xfe" + "Headline\nText here.".encode("utf-16-le"),
                                                           b"\xef\xbb\xbf" + ARTICLE, b"<p>" * 500]))),
                      max_size=5),
       metadata=st.one_of(st.none(), st.binary(max_size=60), metadata_values.map(lambda v: json.dumps(v).encode()),
                          st.dictionaries(st.sampled_from(["a.txt", "good.txt", "x"]),
                                          st.dictionaries(st.sampled_from(["title", "source", "date", "x"]),
                                                          metadata_values, max_size=4),
                                          max_size=3).map(lambda v: json.dumps(v).encode())))
def test_any_folder_indexes_what_it_can_and_names_the_rest(tmp_path_factory, monkeypatch, capsys, files, metadata):
    import rag.embedding.sentence_embedder

    monkeypatch.setattr(rag.embedding.sentence_embedder, "SentenceTransformerEmbedder", lambda model=None, **settings: FakeEmbedder())
    folder = tmp_path_factory.mktemp("fuzz") / uuid.uuid4().hex
    folder.mkdir()
    for stem, suffix, data in files:
        try:
            (folder / (stem[:60] + suffix)).write_bytes(data)
        except OSError:  # a name the file system refuses (too long in bytes, say) cannot be dropped in anyway
            continue
    (folder / "good.txt").write_bytes(ARTICLE)  # last: one article the folder surely holds
    if metadata is not None:
        (folder / "metadata.json").write_bytes(metadata)
    corpus = read_folder(folder)  # a CorpusError here would be a failure: good.txt is readable
    assert "good" in {d.id for d in corpus.documents}
    for warning in corpus.warnings:  # one line, printable on any terminal
        assert "\n" not in warning and "\r" not in warning and warning.encode("utf-8")
    index, _ = open_index(folder, embedder=FakeEmbedder(), index_dir=folder / ".rag-index")
    assert "good" in index.doc_by_id
    assert run_cli("index", str(folder)) == 0
    capsys.readouterr()
    assert run_cli("docs", "--corpus", str(folder)) == 0
    out, _ = capsys.readouterr()
    assert len(out.splitlines()) == len(index.docs)  # one line a document, whatever its name holds


@pytest.mark.parametrize("question", [b"caf\xe9 owners?", b"\xff\xfe", "lone \udcff surrogate".encode("utf-8",
                                                                                                    "surrogatepass")])
def test_a_question_that_is_not_utf8_is_one_line_and_exit_2(question):
    import subprocess
    import sys

    from conftest import ROOT

    proc = subprocess.run([sys.executable, "-m", "rag.cli", "search", question], cwd=ROOT, capture_output=True,
                          env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    assert proc.returncode == 2, proc.stderr.decode(errors="replace")
    assert proc.stderr.count(b"\n") == 1 and b"not valid text" in proc.stderr and b"Traceback" not in proc.stderr
