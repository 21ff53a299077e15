import json

import pytest

from rag.errors import CorpusError
from rag.ingest.corpus import read_folder

from conftest import SEEDS


def test_bundled_articles_metadata():
    docs = {d.id: d for d in read_folder(SEEDS).documents}
    assert len(docs) == 5
    sputnik = docs["sputnik-kremlin-turkey-diplomats-safety"]
    assert sputnik.source == "Sputnik News"  # the outlet's name on the file's first line
    assert sputnik.title.startswith("Kremlin Believes Turkey")
    # its first line "Sunday, April 5, 2020" is the site's banner on the day it was saved; seeds/metadata.json
    # dates it from the call it reports
    assert docs["russia-turkey-crisis-talks"].date == "2020-02-28"
    assert docs["erdogan-putin-agree-to-meet"].date is None  # "February 28" has no year: unknown, not guessed
    assert docs["putin-erdogan-phone-call-nato-idlib"].title.startswith("Putin And Erdogan Talk Over Phone")
    for d in docs.values():
        assert d.path.startswith("seeds/")
        assert "Sputnik News" not in [d.text[b.start:b.end] for b in d.blocks]


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        read_folder(tmp_path / "nope")
    with pytest.raises(CorpusError, match="no .txt, .md or .html files"):
        read_folder(tmp_path)


def test_bad_files_are_reported_not_fatal(tmp_path):
    (tmp_path / "good.txt").write_text("A headline\nThe ministry said 12 people were hurt.\n")
    (tmp_path / "empty.txt").write_text("   \n")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02PNG")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 owners said prices rose by 5 percent.".encode("latin-1"))
    corpus = read_folder(tmp_path)
    ids = sorted(d.id for d in corpus.documents)
    assert ids == ["good", "latin1"]
    text = " ".join(corpus.warnings)
    assert "empty.txt: skipped, the file is empty" in text
    assert "binary.txt: skipped, looks binary" in text
    assert "latin1.txt: not valid UTF-8" in text and "replacement" in text
    latin = corpus.get("latin1")
    assert "Caf\ufffd owners" in latin.text


def test_only_bad_files_is_an_error(tmp_path):
    (tmp_path / "b.txt").write_bytes(b"\x00\x00")
    with pytest.raises(CorpusError, match="no readable article"):
        read_folder(tmp_path)


def test_html_and_markdown(tmp_path):
    (tmp_path / "page.html").write_text(
        "<html><head><title>Page title</title><meta property='og:site_name' content='Example Post'>"
        "<meta property='article:published_time' content='2020-02-28T10:00:00Z'></head>"
        "<body><nav>Home | World | Sport</nav><h1>Big news</h1><p>The port &amp; the city "
        "<b>reopened</b> on Friday.</p><script>alert(1)</script><footer>Copyright</footer></body></html>")
    (tmp_path / "note.md").write_text("# Markdown headline\n\nThe council voted 7 to 2.\n")
    docs = {d.id: d for d in read_folder(tmp_path).documents}
    page = docs["page"]
    assert (page.title, page.source, page.date) == ("Page title", "Example Post", "2020-02-28")
    blocks = [page.text[b.start:b.end] for b in page.blocks]
    assert blocks == ["Big news", "The port &amp; the city <b>reopened</b> on Friday."]
    assert docs["note"].title == "Markdown headline"


def test_crlf_offsets_match_text_mode_read(tmp_path):
    (tmp_path / "w.txt").write_bytes(b"Headline here\r\nFirst sentence is here. Second one.\r\n")
    doc = read_folder(tmp_path).documents[0]
    with open(tmp_path / "w.txt", encoding="utf-8") as f:
        assert f.read() == doc.text


def test_uploads_are_read_with_the_corpus_and_keep_unique_ids(tmp_path):
    corpus, uploads = tmp_path / "corpus", tmp_path / "uploads"
    corpus.mkdir()
    uploads.mkdir()
    (corpus / "bridge.txt").write_text("Bridge vote passes\nThe council voted 7 to 2.\n")
    (uploads / "bridge.txt").write_text("Bridge opens\nThe bridge opened on Monday.\n")
    (uploads / "ferry.md").write_text("# Ferry fares rise\n\nFares rose by 5 percent.\n")
    docs = {d.id: d for d in read_folder(corpus, tmp_path / "uploads").documents}
    assert sorted(docs) == ["bridge", "ferry", "uploads/bridge"]
    assert docs["uploads/bridge"].title == "Bridge opens" and docs["ferry"].path == str(uploads / "ferry.md")
    assert sorted(d.id for d in read_folder(corpus, tmp_path / "no-uploads-yet").documents) == ["bridge"]


def test_bad_metadata_entries_are_reported_and_ignored_never_fatal(tmp_path):
    for name in ("a", "b", "c", "d"):
        (tmp_path / f"{name}.txt").write_text(f"Headline {name}\nThe council of {name} met on Monday.\n")
    (tmp_path / "metadata.json").write_text(json.dumps({
        "a.txt": "Sputnik",                                         # a string, not an object
        "b.txt": {"title": ["a", "list"], "source": "Reuters"},      # a list as title: only the title goes
        "c.txt": {"date": "yesterday", "author": "me"},              # not a date; unknown field
        "d.txt": {"date": "2020-02-30", "title": "Kept title"},      # no such day
        "gone.txt": {"title": "Nobody"},                            # no such file
        "_comment": "ignored",
    }))
    corpus = read_folder(tmp_path)
    docs = {d.id: d for d in corpus.documents}
    assert sorted(docs) == ["a", "b", "c", "d"]
    assert (docs["a"].title, docs["a"].source) == ("Headline a", None)
    assert (docs["b"].title, docs["b"].source) == ("Headline b", "Reuters")
    assert docs["c"].date is None and docs["d"].date is None and docs["d"].title == "Kept title"
    text = "\n".join(corpus.warnings)
    for expected in ("entry 'a.txt' ignored, it is a str", "'b.txt': title ignored, it must be non-empty text",
                     "'c.txt': date 'yesterday' ignored", "unknown field 'author'", "'d.txt': date '2020-02-30'",
                     "'gone.txt' names no article file"):
        assert expected in text
    assert "_comment" not in text


@pytest.mark.parametrize("content", ["[1, 2]", "{not json", "[" * 100_000])
def test_unusable_metadata_file_loses_only_the_metadata(tmp_path, content):
    (tmp_path / "a.txt").write_text("Headline\nThe council met on Monday.\n")
    (tmp_path / "metadata.json").write_text(content)
    corpus = read_folder(tmp_path)
    assert [d.id for d in corpus.documents] == ["a"]
    assert any("metadata.json: ignored" in w for w in corpus.warnings)


def test_a_line_too_long_for_the_sentence_splitter_is_cut_not_fatal(tmp_path, monkeypatch, fake_embedder):
    """spaCy refuses texts over 1,000,000 characters (E088); a one-line scrape of that size
    is cut into pieces (here at 2,000 characters, so the test is fast) and the folder indexes."""
    from rag.chunking import sentences
    from rag.index.open_index import open_index

    monkeypatch.setattr(sentences, "MAX_PIECE", 2_000)
    sentence = "Officials in Velmora counted {} boats in the harbour on Tuesday. "
    line = "".join(sentence.format(i) for i in range(400))  # ~26,000 characters, no newline
    (tmp_path / "long.txt").write_text("Harbour count\n" + line + "\n")
    (tmp_path / "short.txt").write_text("Other news\nThe mayor of Ostrava opened a bridge.\n")
    index, _ = open_index(tmp_path, embedder=fake_embedder, index_dir=tmp_path / ".idx")
    assert {d.id for d in index.docs} == {"long", "short"}
    texts = [s.text for s in index.sentences if s.doc_id == "long"]
    assert len(texts) >= 400 and all(len(t) < 2_000 for t in texts)
    assert sentence.format(123).strip() in texts  # the cuts fall between sentences
    doc = read_folder(tmp_path).get("long")
    assert all(doc.text[s.start:s.end] == s.text for s in index.sentences if s.doc_id == "long")


@pytest.mark.slow
def test_a_single_line_over_a_million_characters_indexes(tmp_path, fake_embedder):
    from rag.index.open_index import open_index

    line = "The ferry from Velmora carried 42 passengers and crew on its first voyage of the season. " * 11_500
    assert len(line) > 1_000_000
    (tmp_path / "huge.txt").write_text("Ferry news\n" + line + "\n")
    (tmp_path / "short.txt").write_text("Other news\nThe mayor of Ostrava opened a bridge.\n")
    index, _ = open_index(tmp_path, embedder=fake_embedder, index_dir=tmp_path / ".idx")
    assert {d.id for d in index.docs} == {"huge", "short"}


def test_a_file_that_breaks_the_parser_is_skipped_and_the_others_are_read(tmp_path, monkeypatch):
    from rag.ingest import corpus as ingest

    (tmp_path / "good.txt").write_text("Headline\nThe council met on Monday.\n")
    (tmp_path / "bad.html").write_text("<p>anything</p>")

    def broken(raw):  # stands for any bug a hostile page might hit in the HTML parser
        raise AssertionError("parser bug")

    monkeypatch.setattr(ingest, "html_blocks", broken)
    corpus = read_folder(tmp_path)
    assert [d.id for d in corpus.documents] == ["good"]
    assert any("bad.html: skipped, it could not be parsed (AssertionError: parser bug)" in w for w in corpus.warnings)
