"""LabelColumns: a collection's ids and payloads by label, as a list, an int32 array and a payload table."""
from __future__ import annotations

import doctest

import pytest

from rag.index import label_columns
from rag.index.label_columns import LabelColumns


def test_the_module_examples_run():
    assert doctest.testmod(label_columns).failed == 0


def test_views_answer_like_dicts_of_the_live_labels():
    cols = LabelColumns()
    cols.add(["a", "b", "c", "d"], [0, 1, 2, 5], [{"doc_id": "x", "date": ""}, {"doc_id": "y"},
                                                   {"doc_id": "x", "date": ""}, {"doc_id": "z"}])
    cols.label_of.pop("b")
    cols.drop([1])
    assert dict(cols.id_of) == {0: "a", 2: "c", 5: "d"} and len(cols.payload) == 3
    assert cols.payload[0] == cols.payload[2] == {"doc_id": "x", "date": ""} and cols.payload[0] is cols.payload[2]
    for missing in (1, 3, 4, 6, -1):  # deleted, never used, past the end, negative
        assert missing not in cols.id_of
        with pytest.raises(KeyError):
            cols.payload[missing]
    assert cols.where(lambda p: p["doc_id"] in ("x", "y")).tolist() == [0, 2]  # 1 is deleted
    assert cols.where(lambda p: False).tolist() == [] and cols.live().tolist() == [0, 2, 5]


def test_columns_round_trip_and_refuse_what_does_not_fit():
    cols = LabelColumns()
    cols.add(["a", "b", "c"], [3, 4, 7], [{"doc_id": "x"}, {"doc_id": "y"}, {"doc_id": "x"}])
    state = cols.columns()
    assert state == {"labels": [3, 4, 7], "ids": ["a", "b", "c"], "payloads": [{"doc_id": "x"}, {"doc_id": "y"}],
                     "payload_of": [0, 1, 0]}
    back = LabelColumns()
    back.restore(**state)
    assert dict(back.id_of) == dict(cols.id_of) and dict(back.payload) == dict(cols.payload)
    assert back.label_of == cols.label_of
    for bad in ({**state, "labels": [3, 3, 7]}, {**state, "ids": ["a", "a", "c"]}, {**state, "labels": [3, -4, 7]},
                {**state, "payload_of": [0, 2, 0]}, {**state, "ids": ["a", "b"]}):
        with pytest.raises(ValueError, match="do not fit|distinct"):
            LabelColumns().restore(**bad)


def test_an_empty_collection_has_no_labels():
    cols = LabelColumns()
    assert cols.live().tolist() == [] and cols.where(lambda p: True).tolist() == []
    assert cols.columns() == {"labels": [], "ids": [], "payloads": [], "payload_of": []}


def test_rows_restore_as_columns_and_a_later_add_shares_an_equal_payload():
    cols = LabelColumns()
    cols.restore_rows([0, 1, 4], ["a", "b", "c"], [{"doc_id": "x"}, {"doc_id": "y"}, {"doc_id": "x"}])
    assert cols.columns()["payloads"] == [{"doc_id": "x"}, {"doc_id": "y"}] and cols.payload[0] is cols.payload[4]
    cols.add(["d"], [5], [{"doc_id": "y"}])  # the payload table's index is made on this first add
    assert cols.payload[5] is cols.payload[1] and len(cols.payloads) == 2
    with pytest.raises(ValueError, match="not an object"):
        LabelColumns().restore_rows([0], ["a"], ["x"])
