"""The folder tree is the architecture: data flows one way, and no module imports from a layer above it.

Order (docs/LAYOUT-PLAN.md): the foundation (errors, records, lru, paths) < text < ingest < chunking <
embedding < index < retrieval < answer < cli < ui < eval. A module may import its own layer, the foundation
and any layer below. Imports inside functions count too: a lazy import is still a dependency. The CLI starts
``rag serve`` and ``rag eval`` by module *name* (``importlib``), which is the one way upward and is not an
import statement.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOUNDATION = ("rag", "rag.errors", "rag.records", "rag.lru", "rag.paths")
LAYERS = ("rag.text", "rag.ingest", "rag.chunking", "rag.embedding", "rag.index", "rag.retrieval", "rag.answer",
          "rag.cli", "rag.ui", "eval")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def rank(module: str) -> int | None:
    """-1 for the foundation, the layer's position otherwise; None for anything outside the project."""
    if module in FOUNDATION:
        return -1
    for i, layer in enumerate(LAYERS):
        if module == layer or module.startswith(layer + "."):
            return i
    return None


def imports(path: Path, name: str | None = None) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in the file (module ``name``, by default from its path),
    relative ones resolved against its package."""
    package = (name or module_name(path)).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            # `from rag.ui import render` imports the module rag.ui.render, not just the package
            found += [(node.lineno, f"{module}.{a.name}" if (ROOT / module.replace(".", "/") / a.name).exists()
                       or (ROOT / module.replace(".", "/") / f"{a.name}.py").exists() else module) for a in node.names]
    return found


SOURCES = sorted(p for d in ("rag", "eval") for p in (ROOT / d).rglob("*.py"))


def test_every_module_belongs_to_a_layer():
    homeless = [module_name(p) for p in SOURCES if rank(module_name(p)) is None]
    assert not homeless, f"modules outside every layer: {homeless}; put them in a layer folder or add to FOUNDATION"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_import_from_a_layer_above(path):
    me = rank(module_name(path))
    upward = [f"line {line}: {mod}" for line, mod in imports(path)
              if rank(mod) is not None and rank(mod) > me]
    assert not upward, f"{module_name(path)} (layer {me}) imports from a layer above it: {upward}"


def test_the_check_sees_an_upward_import(tmp_path):
    """The rule can fail: a text helper that imports the retriever is caught."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from ..retrieval.retriever import Retriever\n")
    found = [m for _, m in imports(probe, "rag.text.probe")]
    assert found == ["rag.retrieval.retriever"]
    assert rank(found[0]) > rank("rag.text.probe")
