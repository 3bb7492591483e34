"""The package's shape: one folder per capability over a small core and pure kernels.

The rules of ``docs/architecture.md``, checked on the code:

- imports point one way: ``cli`` -> ``report`` -> capability folders -> ``datasets`` /
  ``io`` -> ``core`` -> ``stats``; ``stats`` imports nothing of ours;
- no import cycle, counting the imports inside functions (they run late, but they run);
  imports under ``if TYPE_CHECKING:`` never run and are left out of the cycle check (they
  still count for the direction rules);
- presentation never computes: ``report`` imports a capability's result types, never its
  computation;
- no module is over 600 lines, and at most three modules sit loose at the package top;
- no module imports a name that another module marks private with a leading underscore.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SOURCE / "safetywashing"
MAX_LINES = 600

CAPABILITIES = ("audit", "uncertainty", "robustness", "power", "items", "panels")
"""Folders holding one analysis each: its computation, settings and typed result."""

RESULT_MODULES = ("result", "settings", "model", "prepared", "coverage", "notebook", "table")
"""Modules of a capability folder that hold types and views, not computation."""


@dataclass(frozen=True)
class Import:
    """One import of a module of ours."""

    source: str
    target: str
    line: int
    in_function: bool
    type_only: bool


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk_imports(
    nodes: list[ast.stmt], *, in_function: bool, type_only: bool
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool, bool]]:
    """Every import statement below ``nodes``, with where it stands."""
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, in_function, type_only
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _walk_imports(node.body, in_function=in_function, type_only=True)
            yield from _walk_imports(node.orelse, in_function=in_function, type_only=type_only)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _walk_imports(node.body, in_function=True, type_only=type_only)
        else:
            children = [
                child
                for field in ("body", "orelse", "finalbody", "handlers", "cases")
                for child in getattr(node, field, [])
            ]
            statements = [c for c in children if isinstance(c, ast.stmt)]
            for child in children:
                if isinstance(child, ast.excepthandler | ast.match_case):
                    statements.extend(child.body)
            yield from _walk_imports(statements, in_function=in_function, type_only=type_only)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports() -> list[Import]:
    modules = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    found: list[Import] = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node, in_function, type_only in _walk_imports(
            tree.body, in_function=False, type_only=False
        ):
            if isinstance(node, ast.Import):
                targets = [resolve(alias.name) for alias in node.names]
            elif node.level or not node.module or not node.module.startswith("safetywashing"):
                continue
            else:
                # "from package import module" imports the submodule.
                targets = [
                    f"{node.module}.{a.name}"
                    if f"{node.module}.{a.name}" in modules
                    else resolve(node.module)
                    for a in node.names
                ]
            for target in targets:
                if target and target != name and target.startswith("safetywashing"):
                    found.append(Import(name, target, node.lineno, in_function, type_only))
    return found


def _graph(imports: list[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in _modules()}
    for found in imports:
        if not found.type_only:
            graph[found.source].add(found.target)
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


def _folder(module: str) -> str:
    """The top folder of a module of ours (``safetywashing.io.tables.cells`` -> ``io``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _is_computation(module: str) -> bool:
    """A capability's computation (anything of it but its types and views)."""
    parts = module.split(".")
    return _folder(module) in CAPABILITIES and (len(parts) < 3 or parts[2] not in RESULT_MODULES)


# What each folder may import besides itself (the one-way order of the layers).
MAY_IMPORT: dict[str, frozenset[str]] = {
    "stats": frozenset(),
    "core": frozenset({"stats", "_version"}),
    "io": frozenset({"core", "stats", "_version"}),
    "datasets": frozenset({"io", "core", "stats", "_version"}),
    **{
        capability: frozenset({*CAPABILITIES, "datasets", "io", "core", "stats", "_version"})
        for capability in CAPABILITIES
    },
    "report": frozenset({*CAPABILITIES, "datasets", "io", "core", "stats", "_version", ""}),
    "cli": frozenset({"report", *CAPABILITIES, "datasets", "io", "core", "stats", "_version", ""}),
}


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_imports_inside_functions_are_seen() -> None:
    imports = _imports()
    assert len(_modules()) > 50  # the walk saw the package
    late = [i for i in imports if i.in_function]
    assert late, "no function-level import found: the walk misses them"
    assert any(
        i.source == "safetywashing" and i.target == "safetywashing.audit.compute" for i in imports
    )


def test_the_package_has_no_import_cycle_counting_imports_inside_functions() -> None:
    assert _find_cycle(_graph(_imports())) is None


def test_every_folder_is_placed_in_the_order() -> None:
    folders = {_folder(name) for name in _modules()} - {"", "_version"}
    assert folders <= set(MAY_IMPORT), f"folders without a place: {folders - set(MAY_IMPORT)}"


def test_imports_point_one_way() -> None:
    wrong = [
        f"{i.source} imports {i.target} (line {i.line})"
        for i in _imports()
        if _folder(i.source) in MAY_IMPORT
        and _folder(i.target) != _folder(i.source)
        and _folder(i.target) not in MAY_IMPORT[_folder(i.source)]
    ]
    assert wrong == []


def test_presentation_never_imports_computation() -> None:
    wrong = [
        f"{i.source} imports {i.target} (line {i.line})"
        for i in _imports()
        if _folder(i.source) == "report" and _is_computation(i.target)
    ]
    assert wrong == []


def test_no_module_is_over_600_lines() -> None:
    long = {
        name: lines
        for name, path in _modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_at_most_three_modules_sit_loose_at_the_top() -> None:
    loose = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(loose) <= 3, loose


def test_no_module_imports_a_private_name_of_another() -> None:
    borrowed = []
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("safetywashing"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        borrowed.append(f"{name} imports {alias.name} from {node.module}")
    assert borrowed == []


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("safetywashing.audit.compute", True),
        ("safetywashing.audit.result", False),
        ("safetywashing.panels", True),
        ("safetywashing.panels.result", False),
        ("safetywashing.core.table", False),
        ("safetywashing.report.console", False),
    ],
)
def test_computation_is_told_from_result_types(module: str, expected: bool) -> None:
    assert _is_computation(module) is expected
