"""``safetywashing plot KIND``: one figure of an audit, as PNG, SVG or PDF."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from safetywashing.cli.audit import Matrix, Method
from safetywashing.cli.audit_options import (
    CapabilitiesOption,
    ClassOption,
    ForceOption,
    MatrixOption,
    MethodOption,
    PoolOption,
    PresetOption,
    load_and_audit,
)
from safetywashing.cli.options import (
    BenchmarksOption,
    ClassColumn,
    ComputeColumn,
    ComputeKind,
    ComputeKindOption,
    DefaultClass,
    Duplicates,
    DuplicatesOption,
    FamilyColumn,
    FlopColumn,
    FlopScale,
    HeaderRow,
    IgnoreColumns,
    MissingClass,
    ModelColumn,
    NameColumn,
    ParamsColumn,
    ParamsScale,
    ScoresArgument,
    SkipRows,
    TextColumns,
    TextColumnsOption,
)


class FigureKind(StrEnum):
    """The figures ``plot`` draws."""

    scores = "scores"
    scree = "scree"
    heatmap = "heatmap"
    scatter = "scatter"
    forest = "forest"
    compute = "compute"


def plot_command(
    kind: Annotated[
        FigureKind,
        typer.Argument(
            help="scores (capability score per model), scree (eigenvalues), heatmap "
            "(capability correlations), scatter (one benchmark vs the capability score), "
            "forest (capabilities correlation by area), compute (capabilities vs compute "
            "correlation).",
            show_default=False,
        ),
    ],
    scores: ScoresArgument = None,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Figure file; .png, .svg or .pdf chooses the format."),
    ] = Path("figure.png"),
    benchmark: Annotated[
        str | None, typer.Option("--benchmark", help="Benchmark id for the scatter figure.")
    ] = None,
    benchmarks: BenchmarksOption = None,
    capabilities: CapabilitiesOption = None,
    preset: PresetOption = None,
    model_class: ClassOption = None,
    pool: PoolOption = False,
    method: MethodOption = Method.spearman,
    matrix: MatrixOption = Matrix.spearman,
    force: ForceOption = False,
    model_column: ModelColumn = "model",
    name_column: NameColumn = "name",
    class_column: ClassColumn = "type",
    params_column: ParamsColumn = "model_size",
    flop_column: FlopColumn = "FLOP",
    family_column: FamilyColumn = "family",
    flop_scale: FlopScale = 1.0,
    params_scale: ParamsScale = 1.0,
    ignore_columns: IgnoreColumns = None,
    default_class: DefaultClass = "all",
    skip_rows: SkipRows = 0,
    header_row: HeaderRow = None,
    duplicates: DuplicatesOption = Duplicates.error,
    text_columns: TextColumnsOption = TextColumns.error,
    missing_class: MissingClass = None,
    compute_column: ComputeColumn = None,
    compute_kind: ComputeKindOption = ComputeKind.flop,
) -> None:
    """Draw one figure of an audit as PNG, SVG or PDF.

    scree, heatmap, compute and scatter need --class when the scores have several model
    classes; scatter needs --benchmark.
    """
    from safetywashing.io.writers import check_writable
    from safetywashing.report.figures import figure_format

    figure_format(output)
    check_writable([output], force=force)
    table, result = load_and_audit(
        scores,
        benchmarks,
        capabilities=capabilities,
        preset=preset,
        model_class=model_class,
        pool=pool,
        method=method,
        matrix=matrix,
        model_column=model_column,
        name_column=name_column,
        class_column=class_column,
        params_column=params_column,
        flop_column=flop_column,
        family_column=family_column,
        flop_scale=flop_scale,
        params_scale=params_scale,
        ignore_columns=ignore_columns,
        default_class=default_class,
        skip_rows=skip_rows,
        header_row=header_row,
        duplicates=duplicates,
        text_columns=text_columns,
        missing_class=missing_class,
        compute_column=compute_column,
        compute_kind=compute_kind,
    )
    from safetywashing.report.figures import make_figure, save_figure

    fig = make_figure(kind.value, result, model_class=model_class, table=table, benchmark=benchmark)
    save_figure(fig, output, force=force)
    print(f"wrote {output}", file=sys.stderr)


def register(app: typer.Typer) -> None:
    """Add the ``plot`` command to the application."""
    app.command("plot")(plot_command)
