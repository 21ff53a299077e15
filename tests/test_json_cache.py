"""rag.json_cache: a best-effort JSON object cache never raises, and a write is all or nothing."""
from rag.json_cache import read_object, write_object


def test_missing_damaged_or_non_object_files_read_as_empty(tmp_path):
    path = tmp_path / "c.json"
    assert read_object(path) == {}
    path.write_text("{not json")
    assert read_object(path) == {}
    path.write_text("[1, 2]")
    assert read_object(path) == {}
    path.write_bytes(b"\xff\xfe\x00")
    assert read_object(path) == {}


def test_a_write_round_trips_creates_its_folder_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "deep" / "c.json"
    write_object(path, {"k": {"stamp": "s", "n": [1, 2]}})
    assert read_object(path) == {"k": {"stamp": "s", "n": [1, 2]}}
    write_object(path, {"k": 2})
    assert read_object(path) == {"k": 2}
    assert [p.name for p in path.parent.iterdir()] == ["c.json"]


def test_a_folder_that_cannot_be_written_is_left_alone(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    write_object(blocker / "c.json", {"a": 1})  # the parent is a file: no error, nothing written
    assert blocker.read_text() == "not a folder" and read_object(blocker / "c.json") == {}
