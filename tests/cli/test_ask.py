"""rag.cli.ask: the history file and the plain-text answer of `rag ask`."""
import json

import pytest

from rag.cli.ask import read_history, render
from rag.errors import QueryError
from rag.records import Answer, Citation, Disagreement, Passage, SentenceHit, Version


def test_history_file_turns(tmp_path):
    path = tmp_path / "h.json"
    path.write_text(json.dumps([{"question": "Who is Peskov?", "answer": "Kremlin spokesman"}, ["And Lavrov?", None]]))
    assert read_history(str(path)) == [{"question": "Who is Peskov?", "answer": "Kremlin spokesman"},
                                       {"question": "And Lavrov?", "answer": ""}]
    assert read_history(None) == []


@pytest.mark.parametrize("content, message", [
    (None, r"history file '.*h\.json' does not exist; pass a JSON file of earlier turns\."),
    ("{not json", r"cannot read history file '.*h\.json' \(.*\); it must be JSON like \[\{\"question\""),
    (b"\xff\xfe\x00", r"cannot read history file '.*h\.json'"),
    ('{"question": "x"}', r"history file '.*h\.json' holds a dict; it must be a JSON list of"),
    ('[{"question": 3}]', r"history turn 0 must hold text; got question=3"),
    ('["just a string"]', r"history turn 0 is 'just a string'; give \{'question': \.\.\., 'answer': \.\.\.\}"),
])
def test_a_bad_history_file_names_the_problem(tmp_path, content, message):
    path = tmp_path / "h.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(QueryError, match=message):
        read_history(str(path))


CITATION = Citation(n=1, doc_id="a", title="Talks in Ankara", source="Daily Sabah", date="2020-02-28",
                    source_path="seeds/a.txt", text="33 soldiers were killed.", start=10, end=34)
PASSAGE = Passage(doc_id="a", title="Talks in Ankara", source=None, date=None, source_path="seeds/a.txt",
                  chunk_id="c", text="Whole chunk text.", start=0, end=17, score=0.5,
                  sentences=(SentenceHit("Best sentence.", 0, 14, 0.9),))


def test_render_an_answer_with_sources_a_rewrite_a_note_and_a_disagreement():
    answer = Answer(text="33 soldiers were killed [1].", short_answer="33", refused=False, citations=(CITATION,),
                    query="How many soldiers were killed in Idlib?", passages=(PASSAGE,),
                    disagreements=(Disagreement("toll", (Version("33", 1, "a", None, None),
                                                         Version("36", 2, "b", None, None))),),
                    note="the model timed out; the rule reader answered")
    assert render(answer, "How many were killed there?") == "\n".join([
        "note: the model timed out; the rule reader answered",
        "33 soldiers were killed [1].",
        "(searched for: How many soldiers were killed in Idlib?)",
        "Sources disagree on “toll”: 33 [1]; 36 [2]",
        "\nSources:",
        "[1] Talks in Ankara (Daily Sabah, 2020-02-28) — seeds/a.txt:10-34",
        "    “33 soldiers were killed.”",
    ])


def test_render_a_refusal_lists_related_passages():
    refusal = Answer(text="The articles don't say.", short_answer=None, refused=True, citations=(),
                     query="q", passages=(PASSAGE,))
    assert render(refusal, "q") == "The articles don't say.\n\nRelated passages:\n- Talks in Ankara — seeds/a.txt:0-17\n" \
                                   "    “Best sentence.”"
