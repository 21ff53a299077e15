"""rag.ui.journal: after a crash mid-upload, each journaled file gets a notice saying what became of it."""
import json

from rag.ui.journal import NAME, UploadJournal


def test_plan_writes_the_journal_before_the_file_and_clear_removes_it(tmp_path):
    journal = UploadJournal(tmp_path)
    journal.plan("a.txt", b"text")
    journal.plan("b.txt", b"more")
    assert json.loads((tmp_path / NAME).read_text()) == [
        {"name": "a.txt", "sha256": "982d9e3eb996f559e633f4d194def3761d909f5a3b647d1a851fead67c32c9d1"},
        {"name": "b.txt", "sha256": "187897ce0afcf20b50ba2b37dca84a951b7046f29ed5ab94f010619f69d6e189"}]
    journal.unplan()
    assert [e["name"] for e in json.loads((tmp_path / NAME).read_text())] == ["a.txt"]
    journal.clear()
    assert not (tmp_path / NAME).exists()
    assert UploadJournal(tmp_path).recover(indexed=set()) == []  # nothing was interrupted


def test_recover_says_what_happened_to_each_file_and_cleans_up(tmp_path):
    journal = UploadJournal(tmp_path)
    for name, data in [("indexed.txt", b"one"), ("unindexed.txt", b"two"), ("missing.txt", b"three"),
                       ("changed.txt", b"four")]:
        journal.plan(name, data)
    (tmp_path / "indexed.txt").write_bytes(b"one")
    (tmp_path / "unindexed.txt").write_bytes(b"two")
    (tmp_path / "changed.txt").write_bytes(b"not what was planned")
    (tmp_path / ".upload-123.tmp").write_bytes(b"half a file")
    notices = UploadJournal(tmp_path).recover(indexed={(tmp_path / "indexed.txt").resolve()})
    assert notices == [
        "indexed.txt was added to the index at this start: an earlier upload was interrupted before it finished.",
        "unindexed.txt is in the articles folder but could not be indexed; see the server's warnings.",
        "missing.txt was not added: an earlier upload was interrupted before the file was saved. Upload it again.",
        "changed.txt was not added: an earlier upload was interrupted before the file was saved. Upload it again.",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["changed.txt", "indexed.txt", "unindexed.txt"]


def test_a_damaged_journal_is_dropped_without_notices(tmp_path):
    (tmp_path / NAME).write_text("{not json")
    assert UploadJournal(tmp_path).recover(indexed=set()) == []
    assert not (tmp_path / NAME).exists()
    (tmp_path / NAME).write_text(json.dumps([1, {"name": 5}, {"sha256": "x"}]))  # no usable entry
    assert UploadJournal(tmp_path).recover(indexed=set()) == []


def test_a_journaled_name_cannot_point_outside_the_folder(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (tmp_path / "secret.txt").write_bytes(b"one")
    (folder / NAME).write_text(json.dumps([{"name": "../secret.txt", "sha256": "x"}]))
    assert UploadJournal(folder).recover(indexed=set()) == [
        "secret.txt was not added: an earlier upload was interrupted before the file was saved. Upload it again."]
