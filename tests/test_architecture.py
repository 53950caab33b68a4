"""The package's layers, checked from its source with the standard library (``ast``).

Dependencies run one way (see README, "Layout"): the core imports nothing else of the package;
rules and landscapes build on the core; configuration on those; running on configuration;
experiments on running; views on top. Storage and analysis work on tables and never reach the
model. A test fails on an import cycle inside the package and on an import that crosses the
layers the wrong way, at module level or inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sim"

# Layer of each part of the package (first match of the module's dotted name) and what it may
# import. The front door (sim/__init__.py, the command-line modules) may import anything.
LAYERS = {
    "sim.core": set(),
    "sim.rules": {"sim.core"},
    "sim.landscape": {"sim.core"},
    "sim.storage": set(),
    "sim.analysis": {"sim.storage"},
    "sim.config": {"sim.core", "sim.rules", "sim.landscape"},
    "sim.running": {"sim.core", "sim.config", "sim.storage", "sim.rules", "sim.landscape"},
    "sim.experiments": {"sim.core", "sim.config", "sim.running", "sim.storage", "sim.analysis",
                        "sim.rules", "sim.landscape"},
    "sim.views": {"sim.core", "sim.config", "sim.running", "sim.storage", "sim.analysis",
                  "sim.experiments", "sim.rules", "sim.landscape"},
}
FRONT_DOOR = "front door"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    for layer in LAYERS:
        if module == layer or module.startswith(layer + "."):
            return layer
    return FRONT_DOOR


def imports_of(path: Path) -> list[tuple[str, int, bool]]:
    """(imported sim module, line, at module level) for every import of the package in a file."""
    return imports_in(path.read_text(), module_name(path), path.name == "__init__.py")


def imports_in(source: str, module: str, is_package: bool = False) -> list[tuple[str, int, bool]]:
    """``imports_of`` for source text of the module ``module``."""
    tree = ast.parse(source)
    found = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = top and not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef
                                           | ast.ClassDef | ast.If)
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                continue  # only for type checkers: never imported at run time
            if isinstance(child, ast.Import):
                found.extend((a.name, child.lineno, top) for a in child.names
                             if a.name.split(".")[0] == "sim")
            elif isinstance(child, ast.ImportFrom):
                base = _absolute(child, module, is_package)
                if base.split(".")[0] == "sim":
                    found.append((base, child.lineno, top))
            visit(child, inner if not isinstance(child, ast.ClassDef) else top)

    visit(tree, True)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: module_name(p))
def test_imports_respect_the_layers(path):
    module = module_name(path)
    layer = layer_of(module)
    if layer == FRONT_DOOR:
        return
    allowed = LAYERS[layer] | {layer}
    wrong = [f"line {line}: {name}" for name, line, _ in imports_of(path)
             if layer_of(name) not in allowed]
    assert not wrong, f"{module} ({layer}) may import only {sorted(allowed)}: {wrong}"


def test_no_import_cycle_inside_the_package():
    """Module-level imports form no cycle (a cycle makes import order matter and layers blur)."""
    names = {module_name(p): p for p in SOURCES}
    graph = {}
    for module, path in names.items():
        targets = set()
        for name, _, top in imports_of(path):
            if not top:
                continue
            # "from sim.x import y" may name a module sim.x.y or an attribute of sim.x.
            while name and name not in names:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_checker_sees_wrong_way_imports_and_cycles():
    """The checks above can fail: a core module importing a view (at the top, or inside a
    function) is reported, and a cycle is found."""
    source = "from sim.views import plots\n\ndef f():\n    import sim.running\n"
    found = imports_in(source, "sim.core.probe")
    assert {(name, top) for name, _, top in found} == {("sim.views", True), ("sim.running", False)}
    assert all(layer_of(name) not in LAYERS["sim.core"] | {"sim.core"} for name, _, _ in found)
    relative = imports_in("from ..storage import store\n", "sim.analysis.paired")
    assert [name for name, _, _ in relative] == ["sim.storage"]
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None
