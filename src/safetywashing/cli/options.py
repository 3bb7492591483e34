"""Options shared by commands that read a scores table."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from safetywashing.io.readers import ColumnMap
from safetywashing.table import ScoreTable

ScoresArgument = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Scores tables (CSV, TSV, Parquet; wide or long); several files are stacked "
        "(e.g. the paper's base and chat files). Omit to use the bundled synthetic demo "
        "panel.",
        show_default=False,
    ),
]
BenchmarksOption = Annotated[
    Path | None,
    typer.Option(
        "--benchmarks",
        help="Benchmark metadata file (benchmark, name, metric, role, area, direction, reference).",
    ),
]
DatasetOption = Annotated[
    str | None,
    typer.Option(
        "--dataset",
        help="A shipped data set instead of SCORES: 'paper' = the paper's base and chat files "
        "with its benchmark metadata and preset (offline).",
    ),
]
ModelColumn = Annotated[str, typer.Option("--model-column", help="Model id column.")]
NameColumn = Annotated[str, typer.Option("--name-column", help="Display name column.")]
ClassColumn = Annotated[str, typer.Option("--class-column", help="Model class column.")]
ParamsColumn = Annotated[str, typer.Option("--params-column", help="Parameter count column.")]
FlopColumn = Annotated[str, typer.Option("--flop-column", help="Training FLOP column.")]
FamilyColumn = Annotated[str, typer.Option("--family-column", help="Model family column.")]
FlopScale = Annotated[
    float, typer.Option("--flop-scale", help="Multiply the FLOP column by this (1e21 for 1E21).")
]
ParamsScale = Annotated[
    float, typer.Option("--params-scale", help="Multiply the parameter column by this (1e9 for B).")
]
IgnoreColumns = Annotated[
    list[str] | None,
    typer.Option("--ignore-column", help="A non-score column to skip (repeatable)."),
]
DefaultClass = Annotated[
    str,
    typer.Option("--default-class", help="Class of every model when there is no class column."),
]


class Duplicates(StrEnum):
    """What to do with a model id on several rows."""

    error = "error"
    first = "first"
    last = "last"
    mean = "mean"
    max = "max"


class TextColumns(StrEnum):
    """What to do with columns that hold text rather than scores."""

    error = "error"
    ignore = "ignore"


class ComputeKind(StrEnum):
    """What the compute column holds."""

    flop = "flop"
    params = "params"
    tokens = "tokens"


SkipRows = Annotated[
    int,
    typer.Option("--skip-rows", help="Rows right under the header to skip (units, descriptions)."),
]
HeaderRow = Annotated[
    int | None,
    typer.Option(
        "--header-row", help="Line of the file holding the column names (lines above skipped)."
    ),
]
DuplicatesOption = Annotated[
    Duplicates,
    typer.Option(
        "--duplicates",
        help="A model on several rows: error, keep the first or last row, or combine "
        "cell by cell (mean, max).",
    ),
]
TextColumnsOption = Annotated[
    TextColumns,
    typer.Option(
        "--text-columns", help="Columns of text, not scores: error (list them) or ignore."
    ),
]
MissingClass = Annotated[
    str | None,
    typer.Option("--missing-class", help="Class for rows whose class cell is empty."),
]
ComputeColumn = Annotated[
    str | None,
    typer.Option(
        "--compute-column",
        help="Compute column (same as --flop-column; see --compute-kind for what it holds).",
    ),
]
ComputeKindOption = Annotated[
    ComputeKind,
    typer.Option(
        "--compute-kind",
        help="What the compute column holds: training FLOP, parameters or training tokens.",
    ),
]
Verbose = Annotated[
    bool,
    typer.Option("--verbose", help="Print every note in full (all models named) on stderr."),
]


def column_map(
    *,
    model_column: str,
    name_column: str,
    class_column: str,
    params_column: str,
    flop_column: str,
    family_column: str,
    flop_scale: float,
    params_scale: float,
    ignore_columns: list[str] | None,
    default_class: str,
    skip_rows: int = 0,
    header_row: int | None = None,
    duplicates: Duplicates = Duplicates.error,
    text_columns: TextColumns = TextColumns.error,
    missing_class: str | None = None,
    compute_column: str | None = None,
    compute_kind: ComputeKind = ComputeKind.flop,
) -> ColumnMap:
    """Build a :class:`ColumnMap` from the command-line options."""
    from safetywashing.errors import InputError

    if compute_column is not None and flop_column != ColumnMap().flop:
        raise InputError(
            "--compute-column and --flop-column both name the compute column; give one."
        )
    return ColumnMap(
        model=model_column,
        name=name_column,
        model_class=class_column,
        parameters=params_column,
        flop=compute_column if compute_column is not None else flop_column,
        family=family_column,
        flop_scale=flop_scale,
        parameters_scale=params_scale,
        ignore=tuple(ignore_columns or ()),
        default_class=default_class,
        compute_kind=compute_kind.value,
        header_row=header_row,
        skip_rows=skip_rows,
        duplicates=duplicates.value,
        text_columns=text_columns.value,
        missing_class=missing_class,
    )


def print_notes(notes: tuple[str, ...] | list[str]) -> None:
    """Print every note in full on stderr (``--verbose``)."""
    import sys

    for note in notes:
        print(f"note: {note}", file=sys.stderr)


def read_input(path: Path, columns: ColumnMap) -> ScoreTable:
    """A scores table, or a folder/file of evaluation-framework results (format detected)."""
    from safetywashing.io.frameworks import looks_like_results, read_results
    from safetywashing.io.readers import read_scores

    if looks_like_results(path):
        return read_results(path)
    return read_scores(path, columns=columns)


def load_table(
    scores: list[Path] | None, benchmarks: Path | None, columns: ColumnMap
) -> ScoreTable:
    """The table a command works on: the given files stacked, or the bundled demo panel.

    Parameters
    ----------
    scores : list of Path or None
        Scores files or results folders; none means the bundled synthetic demo panel.
    benchmarks : Path or None
        Benchmark metadata to apply.
    columns : ColumnMap
        Column names of the scores files.
    """
    if not scores:
        from safetywashing.datasets import load_demo_panel

        table = load_demo_panel()
    else:
        table = ScoreTable.concat([read_input(path, columns) for path in scores])
    if benchmarks is not None:
        from safetywashing.io.readers import apply_benchmark_metadata, read_benchmark_info

        table = apply_benchmark_metadata(table, read_benchmark_info(benchmarks))
    return table
