"""Presentation of robustness results: JSON and a terminal table."""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table
from rich.text import Text

from safetywashing.document import dumps
from safetywashing.results.robustness import RobustnessResult


def robustness_json(result: RobustnessResult) -> str:
    """The robustness document as JSON text; NaN is written as null."""
    return dumps(result.to_dict())


def _percent(value: float) -> str:
    return "–" if math.isnan(value) else f"{100 * value:+.1f}"


def print_robustness(result: RobustnessResult, console: Console) -> None:
    """Per class: each benchmark's estimate, its range under the variants, and flags."""
    for item in result.classes:
        low_loco, high_loco = item.range_of("capability")
        low_measure, high_measure = item.range_of("measure")
        low_family, high_family = item.range_of("family")
        table = Table(
            title=(
                f"{item.model_class} models: robustness of the capabilities correlation "
                f"({len(item.variants)} variants; flagged = reading changes at "
                f"±{result.threshold:.2f})"
            ),
            title_justify="left",
        )
        for header in ("benchmark", "estimate %", "leave-one-out %", "measures %", "families %"):
            table.add_column(header, no_wrap=header != "benchmark")
        table.add_column("flag", no_wrap=True)
        flagged = set(item.flagged)
        for j, benchmark in enumerate(item.benchmark_ids):
            table.add_row(
                benchmark,
                _percent(float(item.estimate[j])),
                f"{_percent(float(low_loco[j]))} .. {_percent(float(high_loco[j]))}",
                f"{_percent(float(low_measure[j]))} .. {_percent(float(high_measure[j]))}",
                f"{_percent(float(low_family[j]))} .. {_percent(float(high_family[j]))}",
                Text("changes", style="bold yellow") if benchmark in flagged else "",
            )
        console.print(table)
        measures = [
            f"{label.removeprefix('measure: ')} = {text}"
            for label, text, kind in zip(
                item.variants, item.descriptions, item.variant_kinds, strict=True
            )
            if kind == "measure"
        ]
        console.print(Text("Measures: " + "; ".join(measures) + ".", style="dim"))
        ranking = [m for m, v in item.ranking() if not math.isnan(v)]
        if ranking:
            console.print(
                Text(
                    "Safety beyond capabilities (mean residual), highest first: "
                    + ", ".join(ranking[:10]),
                    style="dim",
                )
            )
        console.print()
