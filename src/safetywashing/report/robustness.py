"""Presentation of robustness results: JSON and a terminal table."""

from __future__ import annotations

import math

import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text

from safetywashing.core.document import dumps
from safetywashing.report.console import elide_middle, name_column_width
from safetywashing.report.numbers import format_number
from safetywashing.robustness.result import ClassRobustness, RobustnessResult, VariantKind

#: Marks a benchmark whose reading changes under some variant.
FLAG_MARK = "!"

#: The range columns of the table: header and the kind of variant behind it.
_RANGES: tuple[tuple[str, VariantKind], ...] = (
    ("leave-one-out %", "capability"),
    ("measures %", "measure"),
    ("families %", "family"),
)


def robustness_json(result: RobustnessResult) -> str:
    """The robustness document as JSON text; NaN is written as null."""
    return dumps(result.to_dict())


def known_families(result: RobustnessResult, item: ClassRobustness) -> list[str]:
    """The model families of a class's models, sorted (models without one left out)."""
    return sorted({f for f in result.audit[item.model_class].prepared.families if f})


def families_note(result: RobustnessResult, item: ClassRobustness) -> str:
    """Why a class has no leave-one-family-out variants, and how to get them.

    Empty when it has some.
    """
    if item.rows_of("family"):
        return ""
    families = known_families(result, item)
    if not families:
        why = (
            f"no {item.model_class} model has a family (the scores table has no family "
            "column, or it is empty)"
        )
        remedy = "name the table's family column with --family-column COLUMN"
    else:
        why = (
            f"every {item.model_class} model with a family is of one family "
            f"({families[0]}), and leaving one out needs two or more"
        )
        remedy = "fill in the other models' families in the family column"
    return f"families %: not shown, as {why}; {remedy} to add leave-one-family-out variants."


def ranges_legend(result: RobustnessResult, item: ClassRobustness) -> str:
    """What the range columns mean: lowest .. highest correlation over which refits."""
    parts = [
        f"leave-one-out = {len(item.rows_of('capability'))} refits, each without one "
        "capability benchmark",
        f"measures = the {len(item.rows_of('measure'))} capability measures below",
    ]
    if item.rows_of("family"):
        families = known_families(result, item)
        parts.append(
            f"families = {len(item.rows_of('family'))} refits, each without one model family "
            f"({', '.join(families)}; models without a family are always kept)"
        )
    undefined = any(
        np.isnan(bound).any()
        for _, kind in _RANGES
        if item.rows_of(kind)
        for bound in item.range_of(kind)
    ) or bool(np.isnan(item.estimate).any())
    return (
        "Each range is the lowest .. highest capabilities correlation over the refits of "
        f"one kind: {'; '.join(parts)}" + ("; – = undefined." if undefined else ".")
    )


def print_robustness(result: RobustnessResult, console: Console) -> None:
    """Per class: each benchmark's estimate, its range under the variants, and flags.

    A flagged benchmark's name starts with :data:`FLAG_MARK`; names lose their middle to
    fit the console. The families column is shown only for a class with
    leave-one-family-out variants; without them, one line says why and how to get them.
    """
    for item in result.classes:
        shown = [(header, kind) for header, kind in _RANGES if item.rows_of(kind)]
        ranges = {kind: item.range_of(kind) for _, kind in shown}
        flagged = set(item.flagged)
        cells = [
            [
                format_number(float(item.estimate[j]), sign=True),
                *(
                    f"{format_number(float(ranges[kind][0][j]), sign=True)} .. "
                    f"{format_number(float(ranges[kind][1][j]), sign=True)}"
                    for _, kind in shown
                ),
            ]
            for j in range(len(item.benchmark_ids))
        ]
        headers = ["estimate\n%", *(header.replace(" %", "\n%") for header, _ in shown)]
        name_width = name_column_width(
            console.width,
            [[header, *(row[k] for row in cells)] for k, header in enumerate(headers)],
        )
        table = Table(
            title=(
                f"{item.model_class} models: robustness of the capabilities correlation "
                f"({len(item.variants)} variants; {FLAG_MARK} = the reading changes under "
                f"some variant, at ±{result.threshold:.2f})"
            ),
            title_justify="left",
        )
        table.add_column("benchmark", no_wrap=True, max_width=name_width)
        for header in headers:
            table.add_column(header, justify="right", no_wrap=True)
        for benchmark, row in zip(item.benchmark_ids, cells, strict=True):
            mark = (f"{FLAG_MARK} ", "bold yellow") if benchmark in flagged else ("  ", "")
            name = elide_middle(benchmark, name_width - len(mark[0]))
            table.add_row(Text.assemble(mark, name), *row)
        console.print(table)
        console.print(Text(ranges_legend(result, item), style="dim"))
        note = families_note(result, item)
        if note:
            console.print(Text(note, style="dim"))
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
