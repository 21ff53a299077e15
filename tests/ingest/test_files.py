"""Reading the folder: links are never followed, any encoding with a byte-order mark
is decoded, names that cannot be shown on one line are escaped."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.ingest.files import Unreadable, decode, list_articles, read_bytes
from rag.ingest.corpus import read_folder

ARTICLE = "Harbour reopens after storm\nThe harbour of Velmora reopened on Tuesday after a storm closed it.\n"
SECRET = "root:x:0:0:root:/root:/bin/bash\nThe login shell of root is /bin/bash.\n"


@pytest.fixture
def outside(tmp_path):
    """A readable file and folder outside the articles folder."""
    secret = tmp_path / "outside" / "passwd.txt"
    secret.parent.mkdir()
    secret.write_text(SECRET)
    return secret


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "harbour.txt").write_text(ARTICLE)
    return folder


def test_a_link_to_a_file_outside_is_skipped_and_named(corpus, outside):
    (corpus / "passwd.txt").symlink_to(outside)
    result = read_folder(corpus)
    assert [d.id for d in result.documents] == ["harbour"]
    assert all("root:x:0:0" not in d.text for d in result.documents)
    [note] = [w for w in result.warnings if "passwd.txt" in w]
    assert "symbolic link" in note and str(outside) in note and "never followed" in note


def test_a_link_to_a_folder_is_not_entered(corpus, outside):
    (corpus / "more").symlink_to(outside.parent, target_is_directory=True)
    (corpus / "inside-link.txt").symlink_to(corpus / "harbour.txt")  # even a link that stays inside
    result = read_folder(corpus)
    assert [d.id for d in result.documents] == ["harbour"]
    assert any("more: skipped, a symbolic link to a folder" in w for w in result.warnings)
    assert any("inside-link.txt: skipped, a symbolic link" in w for w in result.warnings)


def test_a_file_swapped_for_a_link_after_listing_is_refused(corpus, outside):
    listing = list_articles(corpus)
    (corpus / "harbour.txt").unlink()
    (corpus / "harbour.txt").symlink_to(outside)
    with pytest.raises(Unreadable, match="symbolic link"):
        read_bytes(listing.files[0])


def test_a_fifo_is_not_read(corpus):
    os.mkfifo(corpus / "pipe.txt")
    result = read_folder(corpus)  # would block forever if opened for a plain read
    assert [d.id for d in result.documents] == ["harbour"]
    assert any("pipe.txt: skipped" in w and "not a regular file" in w for w in result.warnings)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_byte_order_marks_select_the_encoding_and_never_reach_the_title(corpus, encoding):
    data = ARTICLE.replace("Velmora", "Velmoraß").encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    (corpus / "harbour.txt").write_bytes(data)
    [doc] = read_folder(corpus).documents
    assert doc.title == "Harbour reopens after storm"
    assert "\ufeff" not in doc.text and "Velmoraß" in doc.text


def test_decode_universal_newlines_and_replacement():
    assert decode(b"a\r\nb\rc\n") == ("a\nb\nc\n", None)
    text, warning = decode(b"caf\xe9 ok")
    assert text == "caf\ufffd ok" and "not valid UTF-8 (byte 3)" in warning
    with pytest.raises(Unreadable, match="binary"):
        decode(b"PK\x03\x04\x00\x00")


def test_a_file_name_that_is_not_utf8_is_skipped_and_shown_escaped(corpus):
    name = os.fsencode(corpus) + b"/caf\xe9.txt"
    with open(name, "wb") as f:
        f.write(ARTICLE.encode())
    result = read_folder(corpus)
    assert [d.id for d in result.documents] == ["harbour"]
    [note] = [w for w in result.warnings if "not valid UTF-8" in w]
    assert "caf\\udce9.txt" in note and note.isprintable()


def test_a_newline_in_a_file_name_keeps_rag_docs_one_line_per_document(corpus, tmp_path):
    (corpus / "two\nlines.txt").write_text(ARTICLE.replace("Velmora", "Ostrava"))
    docs = {d.id for d in read_folder(corpus).documents}
    assert docs == {"harbour", "two\nlines"}
    from rag.cli.commands import printable_row

    row = printable_row(["two\nlines", "unknown date", "Title\twith tab"])
    assert row.count("\n") == 0 and row.count("\t") == 2 and "two\\nlines" in row


def test_cli_index_lists_every_skipped_file_last(corpus, outside, capsys, monkeypatch):
    import rag.embedding.sentence_embedder
    from conftest import FakeEmbedder
    from rag.cli import main

    (corpus / "passwd.txt").symlink_to(outside)
    (corpus / "blob.txt").write_bytes(b"\x00\x01")
    monkeypatch.setattr(rag.embedding.sentence_embedder, "SentenceTransformerEmbedder", lambda model=None, **settings: FakeEmbedder())
    assert main(["index", str(corpus)]) == 0
    out, err = capsys.readouterr()
    assert "built index" in out and "1 documents" in out
    lines = err.strip().splitlines()
    assert lines[-3].startswith("2 file(s) skipped")
    assert sorted(line.split(": skipped, ")[1][:14] for line in lines[-2:]) == ["a symbolic lin", "looks binary ("]
    assert all(line.startswith("  - ") for line in lines[-2:])


def test_the_listing_visits_folders_as_os_walk_would(tmp_path):
    # list_articles reads os.scandir entries (no call per file); its files and order must be os.walk's.
    import os
    import random

    from rag.ingest.files import SUFFIXES, list_articles

    rng = random.Random(3)
    for i in range(120):
        sub = tmp_path / rng.choice(["", "a", "a/b", "c", ".hidden", "Z"])
        sub.mkdir(parents=True, exist_ok=True)
        (sub / (rng.choice(["x", "Y", "é", "a.b", ".dot"]) + str(i) + rng.choice([".txt", ".MD", ".htm", ".pdf", ""]))
         ).write_text("t", encoding="utf-8")
    os.symlink(tmp_path / "a", tmp_path / "c" / "la")
    walked = []
    for folder, dirs, names in os.walk(tmp_path, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not os.path.islink(os.path.join(folder, d)))
        walked += [os.path.join(folder, n) for n in sorted(names) if not n.startswith(".")
                   and os.path.splitext(n)[1].lower() in SUFFIXES]
    listing = list_articles(tmp_path)
    assert listing.files == sorted(Path(p) for p in walked) and len(walked) > 30
    assert listing.skipped == [f"{tmp_path / 'c' / 'la'}: skipped, a symbolic link to a folder ({tmp_path / 'a'}); "
                               "links are never followed."]
