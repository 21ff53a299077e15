import pytest

from rag.errors import CorpusError
from rag.ingest import read_folder

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
