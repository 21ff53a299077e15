"""The folder tree is the architecture: data flows one way, and no module imports from a layer above it.

Order (docs/LAYOUT-PLAN.md): the foundation (errors, records, lru, paths, json_cache) < text < ingest < chunking <
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
FOUNDATION = ("rag", "rag.errors", "rag.records", "rag.lru", "rag.paths", "rag.json_cache")
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


# -- the edges: the UI and CLI use the assistant's public view; only the CLI reads the environment -------------------

def attribute_chains(path: Path) -> list[tuple[int, str]]:
    """(line, "a.b.c") for every attribute access in the file, outermost chain only."""
    tree = ast.parse(path.read_text(), str(path))
    inner = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and id(node) not in inner:
            parts, cur = [], node
            while isinstance(cur, ast.Attribute):
                parts.append(cur.attr)
                cur = cur.value
            if isinstance(cur, ast.Name):
                parts.append(cur.id)
            found.append((node.lineno, ".".join(reversed(parts))))
    return found


EDGES = sorted(p for d in ("rag/ui", "rag/cli", "eval") for p in (ROOT / d).rglob("*.py"))


@pytest.mark.parametrize("path", EDGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_edges_never_reach_into_the_index_behind_the_assistant(path):
    """Assistant.documents() / document(id) / warnings / scope() are the way in, not retriever.index."""
    reaching = [f"line {line}: {chain}" for line, chain in attribute_chains(path) if ".retriever.index" in f".{chain}"]
    assert not reaching, f"{path.name} reaches into the index: {reaching}; use the Assistant's accessors"


def environment_uses(path: Path) -> list[str]:
    """Every read or write of the process environment: os.environ, os.getenv, os.putenv, os.unsetenv,
    and those names imported from os."""
    tree = ast.parse(path.read_text(), str(path))
    names = {"environ", "getenv", "putenv", "unsetenv", "environb"}
    found = [f"line {n.lineno}: os.{n.attr}" for n in ast.walk(tree)
             if isinstance(n, ast.Attribute) and n.attr in names and isinstance(n.value, ast.Name) and n.value.id == "os"]
    found += [f"line {n.lineno}: from os import {a.name}" for n in ast.walk(tree)
              if isinstance(n, ast.ImportFrom) and n.module == "os" for a in n.names if a.name in names]
    return found


LIBRARY = sorted(p for p in (ROOT / "rag").rglob("*.py") if "cli" not in p.relative_to(ROOT / "rag").parts)


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_library_code_neither_reads_nor_writes_the_environment(path):
    """Settings are arguments; rag/cli/environment.py is the one place that reads variables (the edge)."""
    uses = environment_uses(path)
    assert not uses, f"{path.relative_to(ROOT)} uses the environment: {uses}; take a keyword argument and let " \
                     "rag/cli read the variable"


def test_the_edge_checks_can_fail(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import os\nfrom os import getenv\n"
                     "def f(a):\n    os.environ.setdefault('X', '1')\n    return a.assistant.retriever.index.docs\n")
    assert environment_uses(probe) == ["line 4: os.environ", "line 2: from os import getenv"]
    assert any(".retriever.index" in chain for _, chain in attribute_chains(probe))
