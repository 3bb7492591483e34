"""``safetywashing panel build``: store a reference panel for later checks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from safetywashing.cli.audit import Impute
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
    SkipRows,
    TextColumns,
    TextColumnsOption,
    column_map,
)
from safetywashing.errors import InputError

panel_app = typer.Typer(
    name="panel", help="Reference panels to check new benchmarks against.", no_args_is_help=True
)


@panel_app.command("build")
def build_command(
    scores: Annotated[Path, typer.Argument(help="Scores table of the panel's models.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Panel JSON file to write.")],
    benchmarks: BenchmarksOption = None,
    capabilities: Annotated[
        str | None, typer.Option("--capabilities", help="Comma-separated capability benchmarks.")
    ] = None,
    preset: Annotated[
        str | None, typer.Option("--preset", help="Named preset, e.g. 'paper'.")
    ] = None,
    model_class: Annotated[
        str | None, typer.Option("--class", help="Keep only this model class.")
    ] = None,
    label: Annotated[
        str | None, typer.Option("--label", help="Name of the panel in reports.")
    ] = None,
    impute: Annotated[
        Impute, typer.Option("--impute", help="Missing capability scores: pca or none.")
    ] = Impute.pca,
    impute_rank: Annotated[int, typer.Option("--impute-rank", help="Imputation rank.")] = 1,
    min_observed: Annotated[
        int | None,
        typer.Option("--min-observed", help="Fewest observed capability benchmarks to impute."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
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
    """Audit SCORES and store the panel (capability benchmarks, loadings, scores) as JSON."""
    from safetywashing.io.readers import (
        apply_benchmark_metadata,
        read_benchmark_info,
        read_scores,
        split_names,
    )
    from safetywashing.io.writers import check_writable, write_atomic
    from safetywashing.panel import build_panel

    if preset is not None and capabilities is not None:
        raise InputError(
            "--preset and --capabilities both choose the capability benchmarks; give one."
        )
    check_writable([output], force=force)
    columns = column_map(
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
    table = read_scores(scores, columns=columns)
    if benchmarks is not None:
        table = apply_benchmark_metadata(table, read_benchmark_info(benchmarks))
    panel = build_panel(
        table,
        label=label,
        capabilities=split_names(capabilities) if capabilities is not None else None,
        preset=preset,
        model_class=model_class,
        impute=impute.value,
        impute_rank=impute_rank,
        min_observed=min_observed,
    )
    write_atomic(output, panel.to_json())
    summary = ", ".join(f"{c.model_class}: {len(c.models)} models" for c in panel.classes)
    print(f"wrote panel '{panel.label}' ({summary}) to {output}", file=sys.stderr)


def register(app: typer.Typer) -> None:
    """Add the ``panel`` command group to the application."""
    app.add_typer(panel_app, name="panel")
