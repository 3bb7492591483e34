"""The package's shape: imports point one way, and no module borrows another's privates.

The module-level imports of every module under ``src/safetywashing`` (imports inside
functions, which run late, and under ``if TYPE_CHECKING:``, which never run, are left
out) must form a graph without cycles, and no module may import a name that another
module marks private with a leading underscore.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SOURCE / "safetywashing"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is imported (not in functions, not type-only)."""
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                pending.extend(node.body)
            pending.extend(node.orelse)
        elif isinstance(node, ast.Try):
            pending.extend([*node.body, *node.orelse, *node.finalbody])
            for handler in node.handlers:
                pending.extend(handler.body)
        elif isinstance(node, ast.ClassDef):
            pending.extend(node.body)


def _modules() -> dict[str, ast.Module]:
    return {
        _module_name(path): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def _import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, tree in modules.items():
        for node in _module_level_imports(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level or not node.module:
                    continue
                # "from package import module" is an import of the submodule (a package
                # that is only a parent is not counted, as for plain imports).
                targets = [
                    f"{node.module}.{a.name}"
                    if f"{node.module}.{a.name}" in modules
                    else node.module
                    for a in node.names
                ]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for other in sorted(graph[node]):
            if state.get(other) == 1:
                return [*stack[stack.index(other) :], other]
            if other not in state:
                found = visit(other)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_package_has_no_module_level_import_cycle() -> None:
    graph = _import_graph()
    assert len(graph) > 50  # the walk saw the package
    assert "safetywashing.audit.result" in graph["safetywashing.audit.compute"]
    assert _find_cycle(graph) is None


def test_no_module_imports_a_private_name_of_another() -> None:
    borrowed = []
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("safetywashing"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        borrowed.append(f"{name} imports {alias.name} from {node.module}")
    assert borrowed == []


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("safetywashing.stats", ("safetywashing.report", "safetywashing.cli")),
        ("safetywashing.audit.result", ("safetywashing.report", "safetywashing.cli")),
        ("safetywashing.report", ("safetywashing.cli",)),
    ],
)
def test_imports_point_one_way(layer: str, forbidden: tuple[str, ...]) -> None:
    wrong = []
    for name, tree in _modules().items():
        if not (name == layer or name.startswith(layer + ".")):
            continue
        for node in ast.walk(tree):
            target = node.module if isinstance(node, ast.ImportFrom) else None
            if isinstance(node, ast.Import):
                target = node.names[0].name
            if target and target.startswith(forbidden):
                wrong.append(f"{name} imports {target}")
    assert wrong == []
