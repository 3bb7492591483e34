"""Command-line options, declared once and shared by every command that uses them.

Four groups, each a frozen dataclass whose fields carry their typer declaration:

- :class:`ColumnOptions`: how to read a scores table (column names, scales, metadata);
- :class:`AuditOptions`: the audit's settings (the same flags wherever an audit runs);
- :class:`UncertaintyOptions`: the bootstrap and permutation settings;
- :class:`OutputOptions`: ``--format``, one vocabulary for every command.

Single options used by several commands (``--force``, ``--threshold``) are typer
``Annotated`` aliases declared here too.

A command names the groups it takes with :func:`safetywashing.cli.command.command`; it
adds their flags to the command's signature and hands the command one object per group.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from safetywashing.errors import InputError
from safetywashing.io.readers import ColumnMap
from safetywashing.table import ScoreTable

if TYPE_CHECKING:
    from safetywashing.progress import ProgressCallback
    from safetywashing.results import AuditResult

AUDIT_PANEL = "Audit settings"
UNCERTAINTY_PANEL = "Uncertainty (bootstrap)"
COLUMN_PANEL = "Reading the scores table"


class OutputFormat(StrEnum):
    """What a command prints on stdout (one vocabulary for every command)."""

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


class Impute(StrEnum):
    """How models with missing capability scores are handled."""

    pca = "pca"
    none = "none"


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


ScoresArgument = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Scores tables (CSV, TSV, Parquet; wide or long); several files are stacked "
        "(e.g. the paper's base and chat files). Omit to use the bundled synthetic demo "
        "panel.",
        show_default=False,
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
VerboseOption = Annotated[
    bool,
    typer.Option("--verbose", help="Print every note and warning in full on stderr."),
]
ForceOption = Annotated[bool, typer.Option("--force", help="Overwrite existing output files.")]
ThresholdOption = Annotated[
    float,
    typer.Option(
        "--threshold",
        "--verdict-threshold",
        help="The decision line T: below T reads as low (the paper's 0.40); with "
        "--bootstrap, entangled above +T and inverse below -T.",
        rich_help_panel=AUDIT_PANEL,
    ),
]


@dataclass(frozen=True)
class ColumnOptions:
    """How to read a scores table."""

    benchmarks: Annotated[
        Path | None,
        typer.Option(
            "--benchmarks",
            help="Benchmark metadata file (benchmark, name, metric, role, area, direction, "
            "reference).",
            rich_help_panel=COLUMN_PANEL,
        ),
    ] = None
    model_column: Annotated[
        str, typer.Option("--model-column", help="Model id column.", rich_help_panel=COLUMN_PANEL)
    ] = "model"
    name_column: Annotated[
        str,
        typer.Option("--name-column", help="Display name column.", rich_help_panel=COLUMN_PANEL),
    ] = "name"
    class_column: Annotated[
        str,
        typer.Option("--class-column", help="Model class column.", rich_help_panel=COLUMN_PANEL),
    ] = "type"
    params_column: Annotated[
        str,
        typer.Option(
            "--params-column", help="Parameter count column.", rich_help_panel=COLUMN_PANEL
        ),
    ] = "model_size"
    flop_column: Annotated[
        str,
        typer.Option("--flop-column", help="Training FLOP column.", rich_help_panel=COLUMN_PANEL),
    ] = "FLOP"
    family_column: Annotated[
        str,
        typer.Option("--family-column", help="Model family column.", rich_help_panel=COLUMN_PANEL),
    ] = "family"
    flop_scale: Annotated[
        float,
        typer.Option(
            "--flop-scale",
            help="Multiply the FLOP column by this (1e21 for 1E21).",
            rich_help_panel=COLUMN_PANEL,
        ),
    ] = 1.0
    params_scale: Annotated[
        float,
        typer.Option(
            "--params-scale",
            help="Multiply the parameter column by this (1e9 for B).",
            rich_help_panel=COLUMN_PANEL,
        ),
    ] = 1.0
    ignore_columns: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore-column",
            help="A non-score column to skip (repeatable).",
            rich_help_panel=COLUMN_PANEL,
        ),
    ] = None
    default_class: Annotated[
        str,
        typer.Option(
            "--default-class",
            help="Class of every model when there is no class column.",
            rich_help_panel=COLUMN_PANEL,
        ),
    ] = "all"
    skip_rows: Annotated[
        int,
        typer.Option(
            "--skip-rows",
            help="Rows right under the header to skip (units, descriptions).",
            rich_help_panel=COLUMN_PANEL,
        ),
    ] = 0
    header_row: Annotated[
        int | None,
        typer.Option(
            "--header-row",
            help="Line of the file holding the column names (lines above skipped).",
            rich_help_panel=COLUMN_PANEL,
        ),
    ] = None
    duplicates: Annotated[
        Duplicates,
        typer.Option(
            "--duplicates",
            help="A model on several rows: error, keep the first or last row, or combine "
            "cell by cell (mean, max).",
            rich_help_panel=COLUMN_PANEL,
        ),
    ] = Duplicates.error
    text_columns: Annotated[
        TextColumns,
        typer.Option(
            "--text-columns",
            help="Columns of text, not scores: error (list them) or ignore.",
            rich_help_panel=COLUMN_PANEL,
        ),
    ] = TextColumns.error
    missing_class: Annotated[
        str | None,
        typer.Option(
            "--missing-class",
            help="Class for rows whose class cell is empty.",
            rich_help_panel=COLUMN_PANEL,
        ),
    ] = None
    compute_column: Annotated[
        str | None,
        typer.Option(
            "--compute-column",
            help="Compute column (same as --flop-column; see --compute-kind for what it holds).",
            rich_help_panel=COLUMN_PANEL,
        ),
    ] = None
    compute_kind: Annotated[
        ComputeKind,
        typer.Option(
            "--compute-kind",
            help="What the compute column holds: training FLOP, parameters or training tokens.",
            rich_help_panel=COLUMN_PANEL,
        ),
    ] = ComputeKind.flop

    def column_map(self) -> ColumnMap:
        """The readers' :class:`ColumnMap` for these options."""
        if self.compute_column is not None and self.flop_column != ColumnMap().flop:
            raise InputError(
                "--compute-column and --flop-column both name the compute column; give one."
            )
        return ColumnMap(
            model=self.model_column,
            name=self.name_column,
            model_class=self.class_column,
            parameters=self.params_column,
            flop=self.compute_column if self.compute_column is not None else self.flop_column,
            family=self.family_column,
            flop_scale=self.flop_scale,
            parameters_scale=self.params_scale,
            ignore=tuple(self.ignore_columns or ()),
            default_class=self.default_class,
            compute_kind=self.compute_kind.value,
            header_row=self.header_row,
            skip_rows=self.skip_rows,
            duplicates=self.duplicates.value,
            text_columns=self.text_columns.value,
            missing_class=self.missing_class,
        )


@dataclass(frozen=True)
class AuditOptions:
    """The audit's settings; the same flags on every command that runs an audit."""

    capabilities: Annotated[
        str | None,
        typer.Option(
            "--capabilities",
            help="Comma-separated capability benchmarks (instead of roles in the metadata).",
            rich_help_panel=AUDIT_PANEL,
        ),
    ] = None
    preset: Annotated[
        str | None,
        typer.Option(
            "--preset",
            help="Named preset: 'paper' = the paper's 12 benchmarks and areas.",
            rich_help_panel=AUDIT_PANEL,
        ),
    ] = None
    model_class: Annotated[
        str | None,
        typer.Option(
            "--class",
            help="Analyse only this model class (e.g. chat).",
            rich_help_panel=AUDIT_PANEL,
        ),
    ] = None
    pool: Annotated[
        bool,
        typer.Option(
            "--pool",
            help="Analyse all classes together (default: separately).",
            rich_help_panel=AUDIT_PANEL,
        ),
    ] = False
    method: Annotated[
        Method,
        typer.Option("--method", help="Correlation method.", rich_help_panel=AUDIT_PANEL),
    ] = Method.spearman
    matrix: Annotated[
        Matrix,
        typer.Option(
            "--matrix", help="Matrix for the capability component.", rich_help_panel=AUDIT_PANEL
        ),
    ] = Matrix.spearman
    impute: Annotated[
        Impute,
        typer.Option(
            "--impute",
            help="Fill missing capability scores by iterative PCA of the capability "
            "benchmarks (pca) or leave such models out (none).",
            rich_help_panel=AUDIT_PANEL,
        ),
    ] = Impute.pca
    impute_rank: Annotated[
        int,
        typer.Option(
            "--impute-rank", help="Rank of the imputation's PCA.", rich_help_panel=AUDIT_PANEL
        ),
    ] = 1
    min_observed: Annotated[
        int | None,
        typer.Option(
            "--min-observed",
            help="Fewest observed capability benchmarks a model needs to be imputed "
            "(default: half, rounded up).",
            rich_help_panel=AUDIT_PANEL,
        ),
    ] = None
    threshold: ThresholdOption = 0.40

    def audit(self, table: ScoreTable) -> AuditResult:
        """Run the audit with these settings."""
        from safetywashing.audit import audit
        from safetywashing.io.readers import split_names

        if self.preset is not None and self.capabilities is not None:
            raise InputError(
                "--preset and --capabilities both choose the capability benchmarks; give one."
            )
        return audit(
            table,
            capabilities=(
                split_names(self.capabilities) if self.capabilities is not None else None
            ),
            preset=self.preset,
            method=self.method.value,
            matrix=self.matrix.value,
            model_class=self.model_class,
            pool_classes=self.pool,
            impute=self.impute.value,
            impute_rank=self.impute_rank,
            min_observed=self.min_observed,
            threshold=self.threshold,
        )


@dataclass(frozen=True)
class UncertaintyOptions:
    """Bootstrap and permutation settings; all but --bootstrap need --bootstrap."""

    bootstrap: Annotated[
        str | None,
        typer.Option(
            "--bootstrap",
            metavar="N",
            help="Bootstrap N resamples of models (e.g. 2000), refitting the whole pipeline.",
            rich_help_panel=UNCERTAINTY_PANEL,
        ),
    ] = None
    confidence: Annotated[
        float | None,
        typer.Option(
            "--confidence",
            help="Confidence level of the intervals [default: 0.95].",
            rich_help_panel=UNCERTAINTY_PANEL,
        ),
    ] = None
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            help="Seed for resampling and permutations.",
            rich_help_panel=UNCERTAINTY_PANEL,
        ),
    ] = None
    interval: Annotated[
        Interval | None,
        typer.Option(
            "--interval",
            help="Interval behind ci_low/ci_high and verdict [default: percentile].",
            rich_help_panel=UNCERTAINTY_PANEL,
        ),
    ] = None
    permutations: Annotated[
        str | None,
        typer.Option(
            "--permutations",
            metavar="N",
            help="Permutations per p-value (default: as many as resamples; 0 for none).",
            rich_help_panel=UNCERTAINTY_PANEL,
        ),
    ] = None
    cluster: Annotated[
        Cluster | None,
        typer.Option(
            "--cluster",
            help="Resample whole model families instead of models.",
            rich_help_panel=UNCERTAINTY_PANEL,
        ),
    ] = None
    adjustment: Annotated[
        Adjustment | None,
        typer.Option(
            "--adjust",
            help="Multiplicity adjustment for p_adjusted [default: bh].",
            rich_help_panel=UNCERTAINTY_PANEL,
        ),
    ] = None

    def given_without_bootstrap(self) -> list[str]:
        """Flags of this group that were given although --bootstrap was not."""
        if self.bootstrap is not None:
            return []
        flags = {
            "confidence": "--confidence",
            "seed": "--seed",
            "interval": "--interval",
            "permutations": "--permutations",
            "cluster": "--cluster",
            "adjustment": "--adjust",
        }
        return [flag for name, flag in flags.items() if getattr(self, name) is not None]

    def check(self) -> None:
        """Refuse flags that cannot apply: uncertainty settings without --bootstrap."""
        stray = self.given_without_bootstrap()
        if stray:
            raise InputError(
                f"{' and '.join(stray)} need{'s' if len(stray) == 1 else ''} --bootstrap N; "
                "add --bootstrap 2000 or leave "
                f"{'it' if len(stray) == 1 else 'them'} out."
            )

    def apply(self, result: AuditResult, *, progress: ProgressCallback | None) -> AuditResult:
        """The audit with intervals, p-values and verdicts (unchanged without --bootstrap)."""
        self.check()
        if self.bootstrap is None:
            return result
        from safetywashing.uncertainty import bootstrap_audit, check_count

        found = bootstrap_audit(
            result,
            n_resamples=check_count(self.bootstrap, "n_resamples", "bootstrap resamples"),
            confidence=0.95 if self.confidence is None else self.confidence,
            seed=self.seed,
            interval=(self.interval or Interval.percentile).value,
            cluster=self.cluster.value if self.cluster is not None else None,
            permutations=(
                None
                if self.permutations is None
                else check_count(self.permutations, "permutations", "permutations", allow_zero=True)
            ),
            adjustment=(self.adjustment or Adjustment.bh).value,
            progress=progress,
        )
        return found.apply()


@dataclass(frozen=True)
class OutputOptions:
    """What to print on stdout."""

    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="What to print on stdout.")
    ] = OutputFormat.table

    def require(self, allowed: tuple[OutputFormat, ...], command: str) -> None:
        """Refuse a format this command cannot print."""
        if self.output_format not in allowed:
            raise InputError(
                f"`{command}` cannot print --format {self.output_format.value}; choose one of "
                f"{', '.join(f.value for f in allowed)}."
            )
