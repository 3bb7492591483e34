"""``safetywashing report``: the audit as one self-contained HTML file."""

from __future__ import annotations

import sys
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


def report_command(
    scores: ScoresArgument = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")] = Path(
        "report.html"
    ),
    title: Annotated[str, typer.Option("--title", help="Title of the report.")] = (
        "Safetywashing audit"
    ),
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
    """Write the audit as a single HTML file that works offline (figures, sortable table)."""
    from safetywashing.io.writers import check_writable

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
    from safetywashing.io.writers import write_atomic
    from safetywashing.report.html import html_report

    write_atomic(output, html_report(result, table=table, title=title))
    print(f"wrote {output}", file=sys.stderr)


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to the application."""
    app.command("report")(report_command)
