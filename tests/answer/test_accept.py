import pytest

from rag.answer.accept import type_agrees


@pytest.mark.parametrize("value,kind,ok", [
    ("33", "number", True), ("thirty-three", "number", True), ("Turkey", "number", False),
    ("118 million euros", "money", True), ("February 28", "date", True), ("last week", "date", True),
    ("Thursday", "date", True), ("Ankara", "date", False), ("Jens Stoltenberg", "person", True),
    ("2020", "person", False), ("the Kremlin spokesman", "person", True), ("anything at all", "thing", True),
])
def test_type_agrees(value, kind, ok):
    assert type_agrees(value, kind) is ok
