"""``safetywashing audit``: the capabilities correlation of every benchmark."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from safetywashing.cli.options import (
    BenchmarksOption,
    ClassColumn,
    ComputeColumn,
    ComputeKind,
    ComputeKindOption,
    DatasetOption,
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
    Verbose,
)
from safetywashing.errors import InputError

if TYPE_CHECKING:
    from safetywashing.robustness import RobustnessResult


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
    latex = "latex"


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


class Interval(StrEnum):
    """Bootstrap interval behind ``ci_low``/``ci_high`` and the verdict."""

    percentile = "percentile"
    bca = "bca"


class Cluster(StrEnum):
    """Unit of resampling other than the model."""

    family = "family"


class Adjustment(StrEnum):
    """Multiplicity adjustment of the permutation p-values."""

    bh = "bh"
    holm = "holm"


def audit_command(
    scores: ScoresArgument = None,
    benchmarks: BenchmarksOption = None,
    dataset: DatasetOption = None,
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
        typer.Option(
            "--out",
            help="Folder to write audit.json, CSV, Markdown and LaTeX tables and figures into.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing output files.")] = (
        False
    ),
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Also write the self-contained HTML report to this file."),
    ] = None,
    figures: Annotated[
        bool,
        typer.Option("--figures/--no-figures", help="With --out, also write the standard figures."),
    ] = True,
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
    verbose: Verbose = False,
    # -- uncertainty and robustness (safetywashing.uncertainty, safetywashing.robustness) --
    bootstrap: Annotated[
        str | None,
        typer.Option(
            "--bootstrap",
            metavar="N",
            help="Bootstrap N resamples of models (e.g. 2000), refitting the whole pipeline.",
        ),
    ] = None,
    confidence: Annotated[
        float, typer.Option("--confidence", help="Confidence level of the intervals.")
    ] = 0.95,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed for resampling and permutations.")
    ] = None,
    interval: Annotated[
        Interval, typer.Option("--interval", help="Interval behind ci_low/ci_high and verdict.")
    ] = Interval.percentile,
    permutations: Annotated[
        str | None,
        typer.Option(
            "--permutations",
            metavar="N",
            help="Permutations per p-value (default: as many as resamples; 0 for none).",
        ),
    ] = None,
    cluster: Annotated[
        Cluster | None,
        typer.Option("--cluster", help="Resample whole model families instead of models."),
    ] = None,
    adjustment: Annotated[
        Adjustment, typer.Option("--adjust", help="Multiplicity adjustment for p_adjusted.")
    ] = Adjustment.bh,
    verdict_threshold: Annotated[
        float,
        typer.Option(
            "--verdict-threshold",
            help="Verdict lines at -T and +T: entangled above +T, inverse below -T.",
        ),
    ] = 0.40,
    robustness: Annotated[
        bool,
        typer.Option(
            "--robustness",
            help="Also run leave-one-out and alternative capability measures (robustness.json).",
        ),
    ] = False,
) -> None:
    """Audit benchmarks: correlation of each with the capability score and with compute."""
    if robustness and out is None and output_format is not OutputFormat.table:
        raise InputError(
            f"--robustness results are printed with --format table or written to "
            f"robustness.json under --out, not with --format {output_format.value}; "
            "add --out DIR."
        )
    if verbose:
        from safetywashing.cli.app import WARNINGS

        WARNINGS.verbose = True
    if dataset is not None:
        from safetywashing.datasets.panels import dataset_inputs

        if scores:
            raise InputError(
                f"--dataset {dataset} reads the shipped files; give either scores files or "
                "--dataset, not both."
            )
        scores, shipped_benchmarks, shipped_preset = dataset_inputs(dataset)
        benchmarks = benchmarks or shipped_benchmarks
        if preset is None and capabilities is None:
            preset = shipped_preset
    from safetywashing.cli.audit_options import load_and_audit

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
        impute=impute.value,
        impute_rank=impute_rank,
        min_observed=min_observed,
    )
    if verbose:
        from safetywashing.cli.options import print_notes

        print_notes(table.notes)
    # -- uncertainty and robustness --
    if bootstrap is None and (permutations is not None or cluster is not None):
        raise InputError("--permutations and --cluster need --bootstrap N; add --bootstrap 2000.")
    robustness_result = None
    if bootstrap is not None:
        from safetywashing.uncertainty import bootstrap_audit, check_count

        result = bootstrap_audit(
            table,
            result,
            n_resamples=check_count(bootstrap, "bootstrap resamples", "--bootstrap"),
            confidence=confidence,
            seed=seed,
            interval=interval.value,
            cluster=cluster.value if cluster is not None else None,
            permutations=(
                None
                if permutations is None
                else check_count(permutations, "permutations", "--permutations", allow_zero=True)
            ),
            adjustment=adjustment.value,
            threshold=verdict_threshold,
            progress=True,
        ).apply(result)
    if robustness:
        from safetywashing.robustness import robustness_audit

        robustness_result = robustness_audit(table, result, threshold=verdict_threshold)
    from safetywashing.report import tables

    if report is not None:
        from safetywashing.io.writers import check_writable

        check_writable([report], force=force)
    if out is not None:
        from safetywashing.io.writers import write_files
        from safetywashing.report.latex import latex_tables, markdown_tables

        files: dict[str, str | bytes] = {
            "audit.json": tables.to_json(result),
            "benchmarks.csv": tables.benchmarks_csv(result),
            "capability_scores.csv": tables.scores_csv(result),
            "loadings.csv": tables.loadings_csv(result),
            "summary.md": tables.markdown_summary(result),
            "tables.tex": latex_tables(result),
            "tables.md": markdown_tables(result),
        }
        if robustness_result is not None:
            files["robustness.json"] = _robustness_json(robustness_result)
        if figures:
            from safetywashing.report.figures import figure_files

            files.update(figure_files(result))
        written = write_files(out, files, force=force)
        print(f"wrote {len(written)} files to {out}", file=sys.stderr)
    if report is not None:
        from safetywashing.io.writers import write_atomic
        from safetywashing.report.html import html_report

        write_atomic(report, html_report(result, table=table))
        print(f"wrote {report}", file=sys.stderr)
    if output_format is OutputFormat.json:
        sys.stdout.write(tables.to_json(result))
    elif output_format is OutputFormat.csv:
        sys.stdout.write(tables.benchmarks_csv(result))
    elif output_format is OutputFormat.markdown:
        sys.stdout.write(tables.markdown_summary(result))
    elif output_format is OutputFormat.latex:
        from safetywashing.report.latex import latex_tables

        sys.stdout.write(latex_tables(result))
    else:
        from rich.console import Console

        from safetywashing.report.console import print_audit

        # Piped output gets a fixed, wide layout instead of the 80-column fallback.
        console = Console() if sys.stdout.isatty() else Console(width=110)
        print_audit(result, console)
        if robustness_result is not None:
            from safetywashing.report.robustness import print_robustness

            print_robustness(robustness_result, console)


def _robustness_json(result: RobustnessResult) -> str:
    from safetywashing.report.robustness import robustness_json

    return robustness_json(result)


def register(app: typer.Typer) -> None:
    """Add the ``audit`` command to the application."""
    app.command("audit")(audit_command)
