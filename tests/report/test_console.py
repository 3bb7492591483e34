"""The terminal table reads at 80, 100 and 200 columns: nothing cut but names."""

from __future__ import annotations

import math

import pytest
from rich.console import Console

from safetywashing.audit.compute import audit
from safetywashing.audit.result import AuditResult
from safetywashing.core.errors import InputError
from safetywashing.datasets import load_demo_panel
from safetywashing.report.console import (
    CAPABILITY_MARK,
    TableView,
    elide_middle,
    headline,
    print_audit,
)
from safetywashing.uncertainty.compute import bootstrap_audit


@pytest.fixture(scope="module")
def plain() -> AuditResult:
    return audit(load_demo_panel())


@pytest.fixture(scope="module")
def with_intervals(plain: AuditResult) -> AuditResult:
    return bootstrap_audit(plain, n_resamples=200, seed=1, permutations=0).apply()


def _render(result: AuditResult, width: int, view: TableView | None = None) -> str:
    console = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    print_audit(result, console, view=view)
    return console.export_text()


@pytest.mark.parametrize("width", [80, 100, 200])
@pytest.mark.parametrize("kind", ["plain", "with_intervals"])
def test_every_line_fits_and_decisions_are_whole(
    width: int, kind: str, request: pytest.FixtureRequest
) -> None:
    result: AuditResult = request.getfixturevalue(kind)
    text = _render(result, width)
    assert max(len(line) for line in text.splitlines()) <= width
    rows = [line for line in text.splitlines() if line.startswith("│   ") or "│ ◆" in line]
    chat = result["chat"]
    assert len(rows) == sum(len(c.benchmarks) for c in result.classes)
    for b in chat.benchmarks:
        expected = b.verdict or result.rule.reading(
            b.capabilities_correlation, high=chat.mean_capability_correlation
        )
        # Every decision word is printed whole, in its own cell.
        assert any(f"│ {expected}" in row for row in rows), (b.id, expected)
    if kind == "with_intervals":
        b = chat.benchmark("syn_ethics_qa")
        assert f"[{100 * b.ci_low:+.1f}, {100 * b.ci_high:+.1f}]" in text
        assert "entangled = entirely above +0.40" in text
    else:
        assert "low = below 0.40" in text


def test_capability_benchmarks_are_marked(plain: AuditResult) -> None:
    text = _render(plain, 200)
    capability = [b.id for b in plain["chat"].benchmarks if b.role == "capability"]
    marked = [line for line in text.splitlines() if f"│ {CAPABILITY_MARK} " in line]
    assert len(marked) == len(capability) * len(plain.classes)
    assert f"{CAPABILITY_MARK} = capability benchmark" in text


def test_the_headline_names_the_most_entangled_and_inverse(plain: AuditResult) -> None:
    chat = plain["chat"]
    text = headline(plain, chat).plain
    safety = [
        b for b in chat.benchmarks if b.role == "safety" and b.correlated_with == "capability score"
    ]
    top = max(safety, key=lambda b: b.capabilities_correlation)
    bottom = min(safety, key=lambda b: b.capabilities_correlation)
    first, second = text.splitlines()
    assert first.startswith("Most entangled with capabilities: " + top.id)
    assert second.startswith("Most inverse (worse as capabilities grow): " + bottom.id)


def test_top_and_area_filters(plain: AuditResult) -> None:
    text = _render(plain, 120, TableView(top=3))
    rows = [line for line in text.splitlines() if line.startswith("│   ")]
    assert len(rows) == 3 * len(plain.classes)
    chat = plain["chat"]
    strongest = sorted(
        (
            b
            for b in chat.benchmarks
            if b.role == "safety" and b.correlated_with == "capability score"
        ),
        key=lambda b: -abs(b.capabilities_correlation),
    )[:3]
    for b in strongest:
        assert any(f"│   {b.id}" in row for row in rows)
    text = _render(plain, 120, TableView(areas=("bias",)))
    areas = [line for line in text.splitlines() if line.startswith("│ ") and "│    │" in line]
    assert {line.split("│")[1].strip() for line in areas} == {"Bias"}
    with pytest.raises(InputError, match=r"^No area 'bais' among the base benchmarks \(did"):
        _render(plain, 120, TableView(areas=("bais",)))


def test_elide_middle_keeps_both_ends() -> None:
    assert elide_middle("short", 10) == "short"
    cut = elide_middle("HarmBench-HumanJailbreaks-all", 16)
    assert len(cut) == 16 and cut.startswith("HarmBenc") and cut.endswith("aks-all")
    assert not math.isnan(len(elide_middle("x" * 50, 12)))
