"""The layout's rules (docs/architecture.md), checked on the source: which package may import which, no
import cycle (not even under TYPE_CHECKING or inside a function), no module over the size limit, and the
map naming every package of the tree."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIRST_PARTY = ("archive", "ingest", "webui", "pages", "evaluation", "app")
MAX_LINES = 420  # "no module over ~400 lines"

# Layers, lowest first: a module may import its own layer's package and the layers below it, never above.
LAYERS = [
    ("base", ("archive.errors", "archive.settings", "archive.servicesettings", "archive.types")),
    ("text", ("archive.text",)),
    ("models", ("archive.models",)),
    ("storage", ("archive.storage",)),
    ("search", ("archive.search",)),
    ("answers", ("archive.answers", "archive.lookup")),
    ("ingest", ("ingest",)),
    ("facade", ("archive.facade", "archive")),
    ("shells", ("archive.cli", "archive.api", "archive.__main__", "ingest.__main__", "evaluation", "webui", "pages",
                "app")),
]
# The shells (command lines, pages, what pages share) reach the core only through the facade: they may use
# the domain types, the pure text helpers and the ingest step, not models, storage, search or answers.
SHELLS_MAY_NOT = ("archive.models", "archive.storage", "archive.search", "archive.answers", "archive.lookup")
SHELLS = ("archive.cli", "archive.api", "archive.__main__", "ingest.__main__", "webui", "pages", "app")


def module_name(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def source_modules() -> dict[str, Path]:
    paths = [ROOT / "app.py"]
    for package in FIRST_PARTY[:-1]:
        paths += sorted((ROOT / package).rglob("*.py"))
    return {module_name(p): p for p in paths}


MODULES = source_modules()


def imports(path: Path) -> list[tuple[str, int]]:
    """Every first-party module ``path`` imports, anywhere in the file, with its line: ``from package import
    submodule`` counts as the submodule."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            subs = [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES]
            found += [(s, node.lineno) for s in subs] or [(node.module, node.lineno)]
    return [(m, line) for m, line in found if m.split(".")[0] in FIRST_PARTY]


def layer_of(module: str) -> tuple[int, str]:
    """The layer index of a module and the layer's package that holds it (the longest that matches)."""
    best = (-1, "", "")
    for i, (_, packages) in enumerate(LAYERS):
        for package in packages:
            if (module == package or module.startswith(package + ".")) and len(package) > len(best[2]):
                best = (i, package, package)
    if best[0] < 0:
        raise AssertionError(f"{module} is in no layer of docs/architecture.md")
    return best[0], best[1]


def test_every_module_is_in_a_layer():
    for module in MODULES:
        layer_of(module)


def test_no_module_imports_a_layer_above_its_own():
    wrong = []
    for module, path in MODULES.items():
        mine, _ = layer_of(module)
        for imported, line in imports(path):
            theirs, package = layer_of(imported)
            if theirs > mine:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {imported} ({LAYERS[theirs][0]} is above "
                             f"{LAYERS[mine][0]})")
    assert not wrong, "\n".join(wrong)


def test_shells_use_the_facade_not_the_core_behind_it():
    wrong = []
    for module, path in MODULES.items():
        if not any(module == s or module.startswith(s + ".") for s in SHELLS):
            continue
        for imported, line in imports(path):
            if any(imported == p or imported.startswith(p + ".") for p in SHELLS_MAY_NOT):
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    assert not wrong, "\n".join(wrong)


def test_there_is_no_import_cycle():
    graph = defaultdict(set)
    for module, path in MODULES.items():
        for imported, _ in imports(path):
            target = imported if imported in MODULES else imported.rsplit(".", 1)[0]
            if target in MODULES and target != module and not module.startswith(target + "."):
                graph[module].add(target)  # a package's own __init__ imported by its modules is not a cycle
    cycles = _cycles(graph)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_the_size_limit(module):
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it by job (docs/architecture.md)"


def test_the_architecture_page_names_every_package_and_nothing_that_is_gone():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = {module_name(p.parent) for p in ROOT.glob("*/**/__init__.py")
                if p.parent.name not in ("tests", "bench") and ".venv" not in p.parts and "data" not in p.parts}
    named = set(re.findall(r"`((?:archive|ingest|webui|pages|evaluation)(?:/[a-z_]+)*)/`", page))
    missing = {p for p in packages if p.replace(".", "/") not in named}
    assert not missing, f"docs/architecture.md does not map {sorted(missing)}"
    gone = {n for n in named if not (ROOT / n).is_dir()}
    assert not gone, f"docs/architecture.md maps folders that do not exist: {sorted(gone)}"
    for path in re.findall(r"`((?:archive|ingest|webui|pages|evaluation)/[\w/]+\.py)`", page):
        assert (ROOT / path).is_file(), f"docs/architecture.md names {path}, which does not exist"


def test_shells_do_not_reach_through_the_facade_to_its_store():
    wrong = []
    for module, path in MODULES.items():
        if not any(module == s or module.startswith(s + ".") for s in SHELLS):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("store", "_store"):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} uses .{node.attr}")
    assert not wrong, "\n".join(wrong)
