"""Uploads: safe names, limits, refusals, and a failed refresh leaving the index intact."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.index.open_index import open_index
from rag.ingest.files import SUFFIXES, list_articles
from rag.index.generations import POINTER
from rag.ui.upload import Uploader, UploadError, safe_name

ARTICLE = ("Glacier survey finds record length\n\n"
           "The Zorblax Glacier in Norlandia measured 4,321 metres in the spring survey, "
           "the longest it has been since records began.\n"
           "Scientists said meltwater had slowed because of a cold winter.\n")


def upload(tmp_path: Path, name: str, data: bytes | str) -> Path:
    """A file as Gradio hands it over: in its own temp folder, under the user's name."""
    folder = tmp_path / "gradio-tmp" / str(len(list(tmp_path.glob("gradio-tmp/*"))))
    folder.mkdir(parents=True)
    path = folder / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\windows\\win.ini.txt", "win.ini.txt"),
    ("/abs/path/report.MD", "report.md"),
    (".hidden.txt", "hidden.txt"),
    ("..txt", "article.txt"),
    ("Erdoğan–Putin talks (1).html", "Erdogan-Putin-talks-1.html"),
    ("a" * 300 + ".txt", "a" * 80 + ".txt"),
])
def test_safe_name_keeps_only_a_plain_name(name, expected):
    assert safe_name(name) == expected


@pytest.mark.parametrize("name", ["x.exe", "x.json", "metadata.json", "noext", "x.txt.gz", "x.pdf"])
def test_safe_name_refuses_other_suffixes_and_says_which_are_accepted(name):
    with pytest.raises(UploadError, match=r"\.txt, \.md, \.markdown, \.html, \.htm files"):
        safe_name(name)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_upload_accepts_every_file_type_the_corpus_folder_reads(tmp_path, suffix):
    body = "<p>The glacier lost 12 metres in 2023, the survey said.</p>" if suffix in (".html", ".htm") else \
        "The glacier lost 12 metres in 2023, the survey said.\n"
    src = tmp_path / f"Glacier{suffix.upper()}"
    src.write_text(body, encoding="utf-8")
    saved = Uploader(tmp_path / "uploads").save(src)
    assert saved.name == f"Glacier{suffix}" and saved.read_text(encoding="utf-8") == body
    assert [p.name for p in list_articles(tmp_path / "uploads").files] == [saved.name]  # the index reads it


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=0, max_size=60), suffix=st.sampled_from([".txt", ".md", ".html", ".TXT"]))
def test_any_name_lands_inside_the_folder(tmp_path, name, suffix):
    folder = tmp_path / "corpus"
    folder.mkdir(exist_ok=True)
    out = safe_name(name + suffix)
    assert "/" not in out and "\\" not in out and not out.startswith(".")
    assert (folder / out).resolve().parent == folder.resolve()


@pytest.fixture
def uploads(tmp_path) -> Path:
    """The user's uploads folder for the seeds copy (not created yet: the first upload makes it)."""
    return tmp_path / "user-data" / "uploads"


def test_save_writes_the_bytes_under_the_safe_name_outside_the_corpus(tmp_path, seeds_copy, uploads):
    before = listing(seeds_copy)
    dest = Uploader(uploads, corpus_dir=seeds_copy).save(upload(tmp_path, "glacier.txt", ARTICLE), "../../glacier.txt")
    assert dest == uploads.resolve() / "glacier.txt"
    assert dest.read_text() == ARTICLE
    assert listing(uploads) == ["glacier.txt"]  # no temp file left behind
    assert listing(seeds_copy) == before  # the corpus folder is never written


def test_save_never_overwrites_or_shadows_an_existing_article(tmp_path, seeds_copy, uploads):
    uploader = Uploader(uploads, corpus_dir=seeds_copy)
    first = uploader.save(upload(tmp_path, "russia-turkey-crisis-talks.txt", ARTICLE))
    assert first.name == "russia-turkey-crisis-talks-2.txt"  # the corpus has that name: its id stays unique
    second = uploader.save(upload(tmp_path, "russia-turkey-crisis-talks.txt", ARTICLE.replace("4,321", "4,322")))
    assert second.name == "russia-turkey-crisis-talks-3.txt" and first.read_text() == ARTICLE


@pytest.mark.parametrize("name, data, message", [
    ("big.txt", "word " * 300, "over the 1,000-byte upload limit"),
    ("empty.txt", "  \n ", "is empty"),
    ("bin.txt", b"PK\x03\x04\x00\x00binary", "looks binary"),
    ("latin1.txt", "Erdo\u011fan said caf\xe9 prices rose.".encode("latin-1", "replace"), "not UTF-8"),
    ("menu.html", "<nav>Home News Sport</nav><footer>(c) 2020</footer>", "no article text"),
    ("page.pdf", "%PDF-1.4", ".pdf files are not accepted"),
])
def test_bad_uploads_are_refused_with_the_reason_and_leave_the_folders_alone(tmp_path, seeds_copy, uploads, name,
                                                                              data, message):
    before = listing(seeds_copy)
    with pytest.raises(UploadError, match=message):
        Uploader(uploads, corpus_dir=seeds_copy, max_bytes=1000).save(upload(tmp_path, name, data))
    assert listing(seeds_copy) == before and not uploads.exists()


def test_the_same_article_twice_is_refused(tmp_path, seeds_copy, uploads):
    uploader = Uploader(uploads, corpus_dir=seeds_copy)
    data = (seeds_copy / "russia-turkey-crisis-talks.txt").read_bytes()
    with pytest.raises(UploadError, match="already indexed as 'russia-turkey-crisis-talks.txt'"):
        uploader.save(upload(tmp_path, "copy.txt", data))
    uploader.save(upload(tmp_path, "glacier.txt", ARTICLE))
    with pytest.raises(UploadError, match="already indexed as 'glacier.txt'"):
        uploader.save(upload(tmp_path, "again.txt", ARTICLE))


@pytest.fixture
def indexed(seeds_copy, uploads, tmp_path, fake_embedder):
    """The seeds copy with an index built by the fake embedder; returns a refresh function."""
    index_dir = tmp_path / "index"
    open_index(seeds_copy, embedder=fake_embedder, index_dir=index_dir, uploads_dir=uploads)

    def refresh(report=None):
        return open_index(seeds_copy, embedder=fake_embedder, index_dir=index_dir, uploads_dir=uploads, report=report)

    return Uploader(uploads, corpus_dir=seeds_copy), index_dir, refresh


def test_add_indexes_only_the_new_article_and_reports_each_step(tmp_path, indexed, fake_embedder):
    uploader, index_dir, refresh = indexed
    embedded_before = fake_embedder.texts_embedded
    steps = []
    result = uploader.add([(upload(tmp_path, "a.txt", ARTICLE), "glacier.txt"),
                           upload(tmp_path, "bad.exe", "x")], lambda: refresh(steps.append))
    assert [p.name for p in result.added] == ["glacier.txt"]
    assert len(result.problems) == 1 and "bad.exe" in result.problems[0]
    index, status = refresh()
    assert status == "loaded" and "glacier" in index.doc_by_id
    assert index.doc_by_id["glacier"].path == str(uploader.folder / "glacier.txt")
    new = [c for c in index.chunks if c.doc_id == "glacier"]
    sentences = {s.id for c in new for s in c.sentences}
    assert fake_embedder.texts_embedded - embedded_before == len(new) + len(sentences)  # nothing else re-embedded
    assert [(s.stage, s.done, s.total, s.name) for s in steps if s.stage == "parsing"] == [
        ("parsing", 0, 1, "glacier.txt")]
    embedding = [(s.done, s.total) for s in steps if s.stage == "embedding"]
    assert embedding[0] == (0, len(new) + len(sentences)) and embedding[-1] == (len(new) + len(sentences),) * 2


def test_a_failed_refresh_removes_the_upload_and_keeps_the_index(tmp_path, indexed):
    uploader, index_dir, refresh = indexed
    live = (index_dir / POINTER).read_text()

    def failing_refresh():
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        uploader.add([upload(tmp_path, "glacier.txt", ARTICLE)], failing_refresh)
    assert listing(uploader.folder) == []
    assert (index_dir / POINTER).read_text() == live
    assert refresh()[1] == "loaded"  # the index on disk still matches the folders


def test_only_refused_files_means_no_refresh(tmp_path, indexed):
    uploader, _, _ = indexed
    calls = []
    result = uploader.add([upload(tmp_path, "x.txt", "")], lambda: calls.append(1))
    assert result.added == [] and calls == [] and "is empty" in result.problems[0]


def test_delete_takes_an_upload_out_of_the_index(tmp_path, indexed):
    uploader, _, refresh = indexed
    [added] = uploader.add([upload(tmp_path, "glacier.txt", ARTICLE)], refresh).added
    assert "glacier" in refresh()[0].doc_by_id
    uploader.delete(added, refresh)
    index, status = refresh()
    assert not added.exists() and "glacier" not in index.doc_by_id and status == "loaded"


def test_a_failed_refresh_puts_the_deleted_upload_back(tmp_path, indexed):
    uploader, _, refresh = indexed
    [added] = uploader.add([upload(tmp_path, "glacier.txt", ARTICLE)], refresh).added

    def failing_refresh():
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        uploader.delete(added, failing_refresh)
    assert added.read_text() == ARTICLE and refresh()[1] == "loaded"


def test_corpus_articles_are_not_deleted(indexed, seeds_copy):
    uploader, _, refresh = indexed
    article = seeds_copy / "russia-turkey-crisis-talks.txt"
    with pytest.raises(UploadError, match="part of the articles folder"):
        uploader.delete(article, refresh)
    assert article.exists()


def test_remove_touches_only_files_inside_the_folder(tmp_path, uploads):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    Uploader(uploads).remove([outside])
    assert outside.exists()


def test_an_uploads_path_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "taken").write_text("x")
    with pytest.raises(Exception, match="is a file"):
        Uploader(tmp_path / "taken")


KILLED_UPLOAD = """
import os, sys
from pathlib import Path
import rag.ui.upload as up
uploads, corpus, src, where = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
if where == "before the file is saved":
    up.os.link = lambda *a: os._exit(9)
up.Uploader(uploads, corpus_dir=corpus).add([(src, "glacier.txt")], refresh=lambda: os._exit(9))  # killed indexing
"""


@pytest.mark.parametrize("where, notice", [
    ("while indexing", "glacier.txt was added to the index at this start"),
    ("before the file is saved", "glacier.txt was not added: an earlier upload was interrupted"),
])
def test_a_kill_during_an_upload_is_finished_or_left_out_at_the_next_start_and_said(tmp_path, indexed, seeds_copy,
                                                                                     where, notice):
    import subprocess
    import sys

    from conftest import ROOT
    from rag.paths import resolve_path

    uploader, index_dir, refresh = indexed
    src = upload(tmp_path, "glacier.txt", ARTICLE)
    proc = subprocess.run([sys.executable, "-c", KILLED_UPLOAD, str(uploader.folder), str(seeds_copy), str(src),
                           where], cwd=ROOT)
    assert proc.returncode == 9
    assert (uploader.folder / ".upload-journal.json").exists()
    index, _ = refresh()  # the next start indexes the folders as they are
    saved = where == "while indexing"
    assert ("glacier" in index.doc_by_id) == saved and (uploader.folder / "glacier.txt").exists() == saved
    indexed_paths = {resolve_path(d.path).resolve() for d in index.docs}
    notices = Uploader(uploader.folder).recover(indexed_paths)
    assert len(notices) == 1 and notices[0].startswith(notice)
    assert not list(uploader.folder.glob(".upload-*")), "journal and temporary files are gone after recovery"
    assert Uploader(uploader.folder).recover(indexed_paths) == []  # said once


def test_the_documents_tab_shows_the_recovery_notice(tmp_path, indexed, fake_embedder):
    from rag.answer.assistant import Assistant
    from rag.index.codec import load
    from rag.retrieval.retriever import Retriever
    from rag.ui.documents import DocumentsTab

    uploader, index_dir, refresh = indexed
    uploader.folder.mkdir(parents=True, exist_ok=True)
    (uploader.folder / "glacier.txt").write_text(ARTICLE)
    uploader.journal.plan("glacier.txt", ARTICLE.encode())  # as a killed upload leaves it
    refresh()
    tab = DocumentsTab(Assistant(Retriever(load(index_dir), fake_embedder)), uploader)
    assert tab.notices == ["glacier.txt was added to the index at this start: an earlier upload was interrupted "
                           "before it finished."]
    assert "glacier.txt was added to the index" in tab.notices_html()


def test_the_duplicate_check_never_follows_a_link(tmp_path, seeds_copy, uploads):
    outside = tmp_path / "outside.txt"
    outside.write_text(ARTICLE)
    (seeds_copy / "link.txt").symlink_to(outside)
    dest = Uploader(uploads, corpus_dir=seeds_copy).save(upload(tmp_path, "glacier.txt", ARTICLE))
    assert dest.read_text() == ARTICLE  # not "already indexed as 'link.txt'": the link was not read
