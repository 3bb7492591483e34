"""How a capabilities correlation reads, in the paper's terms."""

from __future__ import annotations

import math
from dataclasses import dataclass

from safetywashing.audit.result import AuditResult, BenchmarkResult, ClassAudit
from safetywashing.core.decision import DecisionRule
from safetywashing.datasets.presets import AREAS


@dataclass(frozen=True)
class TableView:
    """What the terminal table shows (here rather than beside the table, so that the
    other output formats do not import the terminal library).
    """

    #: Only the ``top`` safety benchmarks with the largest absolute capabilities correlation
    #: (calibration rows, correlated with their own task, are left out).
    top: int | None = None
    #: Only benchmarks of these areas (case-insensitive); empty means every area.
    areas: tuple[str, ...] = ()


def reading(correlation: float, *, low: float, high: float) -> str:
    """The paper's reading of a capabilities correlation.

    Parameters
    ----------
    correlation : float
    low : float
        Below this the correlation is low (the paper's 0.40; negative counts as low).
    high : float
        At or above this it is as high as capability benchmarks correlate with each
        other (the class's mean pairwise capability correlation).

    Returns
    -------
    str
        "n/a", "inverse" (at or below -low), "low", "moderate" or "high".
    """
    return DecisionRule(low).reading(correlation, high=high)


def area_order(area: str) -> tuple[int, str]:
    """Sort key: the paper's areas in its order, then others alphabetically."""
    return (AREAS.index(area), "") if area in AREAS else (len(AREAS), area)


def grouped_benchmarks(
    audit_of_class: ClassAudit, *, include_capabilities: bool = True
) -> list[tuple[str, list[BenchmarkResult]]]:
    """Benchmarks grouped by area (paper order), each group by correlation, high first."""
    groups: dict[str, list[BenchmarkResult]] = {}
    for result in audit_of_class.benchmarks:
        if result.role == "capability" and not include_capabilities:
            continue
        area = "Capabilities" if result.role == "capability" else (result.area or "Other")
        groups.setdefault(area, []).append(result)
    ordered = sorted(groups.items(), key=lambda item: area_order(item[0]))
    return [
        (
            area,
            sorted(
                members,
                key=lambda r: (
                    -r.capabilities_correlation
                    if not math.isnan(r.capabilities_correlation)
                    else math.inf
                ),
            ),
        )
        for area, members in ordered
    ]


def synthetic_banner(result: AuditResult) -> str:
    """A line to print when the input was simulated, else an empty string."""
    return (
        "SYNTHETIC DATA: this panel is simulated (the bundled demo); its numbers describe "
        "no real model."
        if result.synthetic
        else ""
    )
