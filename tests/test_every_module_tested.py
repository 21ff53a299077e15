"""Every module of rag/ and eval/ is imported by at least one test file: each has tests of its own.

A test file "exercises" a module when it imports it (``import rag.x``, ``from rag.x import y`` or
``from rag import x``, lazy imports included), as :func:`test_layers.imports` reads them. Package
``__init__`` and ``__main__`` files are only entry points and are left out.
"""
from __future__ import annotations

from pathlib import Path

from test_layers import SOURCES, imports, module_name

TESTS = sorted((Path(__file__).parent).rglob("*.py"))
# Known gaps, each exercised today only through another module's tests (named); remove an entry once
# its own test file lands.
KNOWN_GAPS = {
    "rag.answer.pipeline",   # split out of answer/assistant.py: tests/test_assistant_*.py
    "rag.answer.streaming",  # split out of answer/assistant.py: tests/test_assistant_*.py, tests/ui/test_handlers.py
    "rag.index.milvus_index",  # through open_index(store="milvus-lite:..."): tests/cli/test_store_flags.py
    "rag.ingest.stamps",     # through open_index: tests/test_speed_levers.py
    "rag.ui.app",            # through rag.ui.serve: tests/ui/test_serve.py, tests/ui/test_browser.py
}


def modules_under_test() -> set[str]:
    found = set()
    for path in TESTS:
        for _, module in imports(path, name=f"tests.{path.stem}"):
            parts = module.split(".")
            found |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}  # "rag.x.Y" names rag.x too
    return found


def test_every_module_has_a_test_file_importing_it():
    modules = {module_name(p) for p in SOURCES if p.stem not in ("__init__", "__main__")}
    untested = sorted(modules - modules_under_test() - KNOWN_GAPS)
    assert not untested, f"modules no test file imports: {untested}; add tests/<layer>/test_<module>.py"
