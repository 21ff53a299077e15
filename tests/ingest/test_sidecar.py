"""rag.ingest.sidecar: metadata.json, where every problem is a note and only the bad part is dropped."""
import json

from rag.ingest.sidecar import SIDECAR, load_sidecar, parse_sidecar

SHAPE = '{"title": "...", "source": "...", "date": "YYYY-MM-DD"}'


def test_good_entries_are_normalised_and_comments_skipped():
    meta, notes = parse_sidecar(json.dumps({
        "_why": "a comment at the top",
        "a.txt": {"title": "  Talks \n in Ankara ", "source": "Daily Sabah", "date": "Feb. 3, 2020", "_note": 1},
    }), "m.json")
    assert meta == {"a.txt": {"title": "Talks in Ankara", "source": "Daily Sabah", "date": "2020-02-03"}}
    assert notes == []


def test_each_bad_field_loses_only_itself():
    meta, notes = parse_sidecar(json.dumps({
        "a.txt": {"title": "T", "source": 3, "author": "x", "date": "yesterday"},
        "b.txt": {"title": "   ", "date": "2020-02-30"},
        "c.txt": [],
    }), "m.json")
    assert meta == {"a.txt": {"title": "T"}, "b.txt": {}}
    assert notes == [
        "m.json: entry 'a.txt': source ignored, it must be non-empty text; got int '3'.",
        "m.json: entry 'a.txt': unknown field 'author' ignored; known fields: title, source, date.",
        "m.json: entry 'a.txt': date 'yesterday' ignored, it is not a calendar date; write it as YYYY-MM-DD, "
        "e.g. 2020-02-28.",
        "m.json: entry 'b.txt': title ignored, it must be non-empty text; got str '   '.",
        "m.json: entry 'b.txt': date '2020-02-30' ignored, it is not a calendar date; write it as YYYY-MM-DD, "
        "e.g. 2020-02-28.",
        f"m.json: entry 'c.txt' ignored, it is a list, not an object like {SHAPE}.",
    ]


def test_a_file_that_is_not_a_mapping_is_ignored_whole_with_the_fix():
    assert parse_sidecar("[1]", "m.json") == ({}, [
        f"m.json: ignored, the top level is a list; it must be an object mapping file names to metadata like {SHAPE}."])
    meta, (note,) = parse_sidecar("{bad", "m.json")
    assert meta == {} and note.startswith("m.json: ignored, not valid JSON (") and note.endswith("); fix or delete it.")
    meta, (note,) = parse_sidecar("[" * 100_000, "m.json")  # deep nesting is no crash
    assert meta == {} and "not valid JSON" in note and len(note) < 300


def test_a_very_long_date_is_not_parsed():
    meta, notes = parse_sidecar(json.dumps({"a.txt": {"date": "2020-02-28 " + "x" * 200}}), "m.json")
    assert meta == {"a.txt": {}} and "date '2020-02-28 xxx" in notes[0]


def test_load_sidecar_reads_the_folder(tmp_path):
    assert load_sidecar(tmp_path) == ({}, [])  # no sidecar, nothing to say
    (tmp_path / SIDECAR).write_bytes(b'\xef\xbb\xbf{"a.txt": {"date": "2020-02-28"}}')  # a BOM is fine
    assert load_sidecar(tmp_path) == ({"a.txt": {"date": "2020-02-28"}}, [])



def test_an_unreadable_sidecar_is_a_note_naming_it(tmp_path):
    (tmp_path / SIDECAR).mkdir()  # a folder where the file should be
    meta, (note,) = load_sidecar(tmp_path)
    assert meta == {} and note.startswith(f"{tmp_path / SIDECAR}: ignored, ")
    assert "is not a regular file (a folder, a pipe or a device)" in note


def test_a_sidecar_folder_does_not_stop_the_articles(tmp_path):
    from rag.ingest.corpus import read_folder

    (tmp_path / "a.txt").write_text("Turkey sent troops.\n")
    (tmp_path / SIDECAR).mkdir()
    corpus = read_folder(tmp_path)
    assert [d.id for d in corpus.documents] == ["a"]
    assert corpus.warnings == [f"{tmp_path / SIDECAR}: ignored, is not a regular file (a folder, a pipe or a device); "
                               "only article files are read."]
