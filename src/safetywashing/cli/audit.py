"""``safetywashing audit``: the capabilities correlation of every benchmark."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from safetywashing.cli.options import (
    BenchmarksOption,
    ClassColumn,
    DefaultClass,
    FamilyColumn,
    FlopColumn,
    FlopScale,
    IgnoreColumns,
    ModelColumn,
    NameColumn,
    ParamsColumn,
    ParamsScale,
    ScoresArgument,
    column_map,
)
from safetywashing.errors import InputError
from safetywashing.io.readers import ColumnMap
from safetywashing.table import ScoreTable


class Impute(StrEnum):
    """How models with missing capability scores are handled."""

    pca = "pca"
    none = "none"


class OutputFormat(StrEnum):
    """What ``audit`` prints on stdout."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class Method(StrEnum):
    """Correlation for capabilities and compute correlations."""

    spearman = "spearman"
    pearson = "pearson"
    kendall = "kendall"


class Matrix(StrEnum):
    """Matrix whose top eigenvector is the capability score."""

    spearman = "spearman"
    pearson = "pearson"
    covariance = "covariance"


def audit_command(
    scores: ScoresArgument = None,
    benchmarks: BenchmarksOption = None,
    capabilities: Annotated[
        str | None,
        typer.Option(
            "--capabilities",
            help="Comma-separated capability benchmarks (instead of roles in the metadata).",
        ),
    ] = None,
    preset: Annotated[
        str | None,
        typer.Option(
            "--preset", help="Named preset: 'paper' = the paper's 12 benchmarks and areas."
        ),
    ] = None,
    model_class: Annotated[
        str | None, typer.Option("--class", help="Analyse only this model class (e.g. chat).")
    ] = None,
    pool: Annotated[
        bool, typer.Option("--pool", help="Analyse all classes together (default: separately).")
    ] = False,
    method: Annotated[Method, typer.Option("--method", help="Correlation method.")] = (
        Method.spearman
    ),
    matrix: Annotated[
        Matrix, typer.Option("--matrix", help="Matrix for the capability component.")
    ] = Matrix.spearman,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="What to print on stdout.")
    ] = OutputFormat.table,
    impute: Annotated[
        Impute,
        typer.Option(
            "--impute",
            help="Fill missing capability scores by iterative PCA of the capability "
            "benchmarks (pca) or leave such models out (none).",
        ),
    ] = Impute.pca,
    impute_rank: Annotated[
        int, typer.Option("--impute-rank", help="Rank of the imputation's PCA.")
    ] = 1,
    min_observed: Annotated[
        int | None,
        typer.Option(
            "--min-observed",
            help="Fewest observed capability benchmarks a model needs to be imputed "
            "(default: half, rounded up).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder to write audit.json, CSV tables and summary.md into."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing output files.")] = (
        False
    ),
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
) -> None:
    """Audit benchmarks: correlation of each with the capability score and with compute."""
    from safetywashing.audit import audit
    from safetywashing.io.readers import (
        apply_benchmark_metadata,
        read_benchmark_info,
        split_names,
    )

    if preset is not None and capabilities is not None:
        raise InputError(
            "--preset and --capabilities both choose the capability benchmarks; give one."
        )
    if not scores:
        from safetywashing.datasets import load_demo_panel

        table = load_demo_panel()
    else:
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
        )
        table = ScoreTable.concat([_read_input(path, columns) for path in scores])
    if benchmarks is not None:
        table = apply_benchmark_metadata(table, read_benchmark_info(benchmarks))
    capability_list = split_names(capabilities) if capabilities is not None else None
    result = audit(
        table,
        capabilities=capability_list,
        preset=preset,
        method=method.value,
        matrix=matrix.value,
        model_class=model_class,
        pool_classes=pool,
        impute=impute.value,
        impute_rank=impute_rank,
        min_observed=min_observed,
    )
    from safetywashing.report import tables

    if out is not None:
        from safetywashing.io.writers import write_files

        written = write_files(
            out,
            {
                "audit.json": tables.to_json(result),
                "benchmarks.csv": tables.benchmarks_csv(result),
                "capability_scores.csv": tables.scores_csv(result),
                "loadings.csv": tables.loadings_csv(result),
                "summary.md": tables.markdown_summary(result),
            },
            force=force,
        )
        print(f"wrote {len(written)} files to {out}", file=sys.stderr)
    if output_format is OutputFormat.json:
        sys.stdout.write(tables.to_json(result))
    elif output_format is OutputFormat.csv:
        sys.stdout.write(tables.benchmarks_csv(result))
    elif output_format is OutputFormat.markdown:
        sys.stdout.write(tables.markdown_summary(result))
    else:
        from rich.console import Console

        from safetywashing.report.console import print_audit

        # Piped output gets a fixed, wide layout instead of the 80-column fallback.
        console = Console() if sys.stdout.isatty() else Console(width=110)
        print_audit(result, console)


def _read_input(path: Path, columns: ColumnMap) -> ScoreTable:
    """A scores table, or a folder/file of evaluation-framework results (format detected)."""
    from safetywashing.io.frameworks import looks_like_results, read_results
    from safetywashing.io.readers import read_scores

    if looks_like_results(path):
        return read_results(path)
    return read_scores(path, columns=columns)


def register(app: typer.Typer) -> None:
    """Add the ``audit`` command to the application."""
    app.command("audit")(audit_command)
