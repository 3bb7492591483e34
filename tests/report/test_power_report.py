"""The power table in a terminal: every cell whole at 80, 100 and 200 columns."""

from __future__ import annotations

import os

import pytest
from rich.console import Console

from safetywashing.power.compute import power_analysis
from safetywashing.power.result import PowerResult
from safetywashing.report.power import print_power


@pytest.fixture(scope="module")
def found() -> PowerResult:
    return power_analysis(rho=0.6, models=[20, 30, 50, 100, 1000], panels=200, seed=1)


def _render(result: PowerResult, width: int) -> str:
    console = Console(width=width, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    print_power(result, console)
    return console.export_text()


@pytest.mark.parametrize("width", [80, 100, 200])
def test_every_header_and_cell_is_whole_at_common_widths(found: PowerResult, width: int) -> None:
    text = _render(found, width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    table_lines = [line for line in lines if line.startswith(("┃", "│"))]
    assert not any("…" in line for line in table_lines)
    headers = " ".join(line for line in lines if line.startswith("┃"))
    for header in ("models", "true corr.", "power", "mean width", "coverage"):
        assert header in headers
    for verdict in ("entangled", "distinct", "inverse", "inconclusive"):
        assert verdict in headers
    for row in found.rows:
        # The row's figures, computed here from the result, each in a cell of its own.
        cells = [f"{100 * row.power:.0f}%", f"{row.mean_width:.3f}"]
        cells += [f"{100 * share:.0f}%" for share in row.verdicts.values()]
        body = [line for line in table_lines if line.startswith(f"│ {row.n_models:>6} │")]
        assert body, row.n_models
        joined = " ".join(body)
        assert all(f" {cell} │" in joined for cell in cells), (row.n_models, cells)


def test_one_table_when_it_fits_two_when_it_does_not(found: PowerResult) -> None:
    assert "Verdicts: share of simulated panels" in _render(found, 80)
    assert "Verdicts: share of simulated panels" not in _render(found, 200)
