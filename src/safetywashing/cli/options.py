"""Command-line options, declared once and shared by every command that uses them.

Four groups, each a frozen dataclass whose fields carry their typer declaration:

- :class:`ColumnOptions`: how to read a scores table (column names, scales, metadata);
- :class:`AuditOptions`: the audit's settings (the same flags wherever an audit runs);
- :class:`UncertaintyOptions`: the bootstrap and permutation settings;
- :class:`OutputOptions`: ``--format``, one vocabulary for every command.

Single options used by several commands (``--force``, ``--threshold``) are typer
``Annotated`` aliases declared here too.

A command names the groups it takes with :func:`safetywashing.cli.command.command`,
which adds their flags to the command's signature and hands the command one object per
group.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, cast, get_type_hints

import typer

from safetywashing.core.errors import InputError
from safetywashing.core.limits import MAX_COLUMNS, MAX_ROWS, MAX_TABLE_MB
from safetywashing.core.table import ScoreTable
from safetywashing.io.tables.readers import ColumnMap

if TYPE_CHECKING:
    from rich.console import Console

    from safetywashing.audit.result import AuditResult
    from safetywashing.core.progress import ProgressCallback
    from safetywashing.report.reading import TableView

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


class Impute(StrEnum):
    """How models with missing capability scores are handled."""

    pca = "pca"
    none = "none"


class Standardize(StrEnum):
    """Over which models each capability benchmark is z-scored."""

    complete = "complete"
    available = "available"


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
    by = "by"
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


def _column(*flags: str, help: str) -> Any:
    """A typer option in the help panel of the column options."""
    return typer.Option(*flags, help=help, rich_help_panel=COLUMN_PANEL)


def _setting(*flags: str, help: str, **more: Any) -> Any:
    """A typer option in the help panel of the audit settings."""
    return typer.Option(*flags, help=help, rich_help_panel=AUDIT_PANEL, **more)


def _resampling(*flags: str, help: str, **more: Any) -> Any:
    """A typer option in the help panel of the uncertainty settings."""
    return typer.Option(*flags, help=help, rich_help_panel=UNCERTAINTY_PANEL, **more)


SchedulerOption = Annotated[
    str | None,
    _resampling(
        "--scheduler",
        metavar="WHERE",
        help="Where resampling runs: local (threads, one per core, for large work), serial, "
        "threads, processes, or dask://HOST:PORT (needs safetywashing[distributed]). The "
        "results are the same bytes [default: local].",
    ),
]
WorkersOption = Annotated[
    int | None,
    _resampling(
        "--workers", metavar="N", help="Local threads or processes [default: one per core]."
    ),
]


def flag_of(group: type, field: str) -> str:
    """The command-line flag declared for a field of an option group (``--adjust``)."""
    hint = get_type_hints(group, include_extras=True)[field]
    info = hint.__metadata__[0]
    return str(info.default if isinstance(info.default, str) else info.param_decls[0])


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
    _setting(
        "--threshold",
        "--verdict-threshold",
        help="The decision line T: below T reads as low (the paper's 0.40); with "
        "--bootstrap, entangled above +T and inverse below -T.",
    ),
]


class TrimmedLines:
    """A text stream that drops the spaces a line ends in before passing it on.

    rich pads a table's title and wrapped paragraphs to the console's width; in a
    terminal that is invisible, but in a file or a pipe every such line ends in spaces.
    A partial line is held until its newline (or a flush).
    """

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.pending = ""

    def write(self, text: str) -> int:
        *lines, self.pending = (self.pending + text).split("\n")
        if lines:
            self.stream.write("".join(line.rstrip(" ") + "\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.stream.write(self.pending)
            self.pending = ""
        self.stream.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self.stream, "encoding", None) or "utf-8"


def output_console(stderr: bool = False) -> Console:
    """A rich console: the terminal's width, or ``$COLUMNS`` (else 110) when piped, where
    lines lose their trailing spaces."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr)
    try:
        width = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        width = 0
    trimmed = cast("IO[str]", TrimmedLines(stream))
    return Console(file=trimmed, width=width if width >= 40 else 110)


@dataclass(frozen=True)
class ColumnOptions:
    """How to read a scores table."""

    benchmarks: Annotated[
        Path | None,
        _column(
            "--benchmarks",
            help="Benchmark metadata file (benchmark, name, metric, role, area, "
            "direction, reference).",
        ),
    ] = None
    model_column: Annotated[str, _column("--model-column", help="Model id column.")] = "model"
    name_column: Annotated[
        str,
        _column("--name-column", help="Display name column."),
    ] = "name"
    class_column: Annotated[
        str,
        _column("--class-column", help="Model class column."),
    ] = "type"
    params_column: Annotated[
        str,
        _column("--params-column", help="Parameter count column."),
    ] = "model_size"
    flop_column: Annotated[
        str,
        _column("--flop-column", help="Training FLOP column."),
    ] = "FLOP"
    family_column: Annotated[
        str,
        _column("--family-column", help="Model family column."),
    ] = "family"
    flop_scale: Annotated[
        float,
        _column("--flop-scale", help="Multiply the FLOP column by this (1e21 for 1E21)."),
    ] = 1.0
    params_scale: Annotated[
        float,
        _column("--params-scale", help="Multiply the parameter column by this (1e9 for B)."),
    ] = 1.0
    ignore_columns: Annotated[
        list[str] | None,
        _column("--ignore-column", help="A non-score column to skip (repeatable)."),
    ] = None
    default_class: Annotated[
        str,
        _column("--default-class", help="Class of every model when there is no class column."),
    ] = "all"
    skip_rows: Annotated[
        int,
        _column("--skip-rows", help="Rows right under the header to skip (units, descriptions)."),
    ] = 0
    header_row: Annotated[
        int | None,
        _column(
            "--header-row", help="Line of the file holding the column names (lines above skipped)."
        ),
    ] = None
    duplicates: Annotated[
        Duplicates,
        _column(
            "--duplicates",
            help="A model on several rows: error, keep the first or last row, or combine "
            "cell by cell (mean, max).",
        ),
    ] = Duplicates.error
    text_columns: Annotated[
        TextColumns,
        _column("--text-columns", help="Columns of text, not scores: error (list them) or ignore."),
    ] = TextColumns.error
    missing_class: Annotated[
        str | None,
        _column("--missing-class", help="Class for rows whose class cell is empty."),
    ] = None
    compute_column: Annotated[
        str | None,
        _column(
            "--compute-column",
            help="Compute column (same as --flop-column; see --compute-kind for what it holds).",
        ),
    ] = None
    compute_kind: Annotated[
        ComputeKind,
        _column(
            "--compute-kind",
            help="What the compute column holds: training FLOP, parameters or training tokens.",
        ),
    ] = ComputeKind.flop

    max_file_mb: Annotated[
        float,
        _column(
            "--max-file-size",
            help="Largest scores file read, in MB (a limit against runaway inputs).",
        ),
    ] = MAX_TABLE_MB
    max_rows: Annotated[int, _column("--max-rows", help="Most rows read from a scores table.")] = (
        MAX_ROWS
    )
    max_columns: Annotated[
        int, _column("--max-columns", help="Most columns read from a scores table.")
    ] = MAX_COLUMNS

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
            max_file_mb=self.max_file_mb,
            max_rows=self.max_rows,
            max_columns=self.max_columns,
        )


@dataclass(frozen=True)
class AuditOptions:
    """The audit's settings; the same flags on every command that runs an audit."""

    capabilities: Annotated[
        str | None,
        _setting(
            "--capabilities",
            help="Comma-separated capability benchmarks (instead of roles in the metadata).",
        ),
    ] = None
    preset: Annotated[
        str | None,
        _setting("--preset", help="Named preset: 'paper' = the paper's 12 benchmarks and areas."),
    ] = None
    model_class: Annotated[
        str | None,
        _setting("--class", help="Analyse only this model class (e.g. chat)."),
    ] = None
    pool: Annotated[
        bool,
        _setting("--pool", help="Analyse all classes together (default: separately)."),
    ] = False
    method: Annotated[
        Method,
        _setting("--method", help="Correlation method."),
    ] = Method.spearman
    matrix: Annotated[
        Matrix,
        _setting("--matrix", help="Matrix for the capability component."),
    ] = Matrix.spearman
    impute: Annotated[
        Impute,
        _setting(
            "--impute",
            help="Fill missing capability scores by iterative PCA of the "
            "capability benchmarks (pca) or leave such models out (none).",
        ),
    ] = Impute.pca
    impute_rank: Annotated[
        int,
        _setting("--impute-rank", help="Rank of the imputation's PCA."),
    ] = 1
    min_observed: Annotated[
        int | None,
        _setting(
            "--min-observed",
            help="Fewest observed capability benchmarks a model needs to be "
            "imputed (default: a quarter, rounded up, at least 2).",
        ),
    ] = None
    standardize: Annotated[
        Standardize,
        _setting(
            "--standardize",
            help="Z-score each capability benchmark over the models with a capability "
            "score (complete) or over every model that has it (available).",
        ),
    ] = Standardize.complete
    threshold: ThresholdOption = 0.40

    def audit(self, table: ScoreTable) -> AuditResult:
        """Run the audit with these settings."""
        from safetywashing.audit.compute import audit
        from safetywashing.io.tables.readers import split_names

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
            standardize=self.standardize.value,
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
        _resampling("--confidence", help="Confidence level of the intervals [default: 0.95]."),
    ] = None
    seed: Annotated[
        int | None,
        _resampling("--seed", help="Seed for resampling and permutations."),
    ] = None
    interval: Annotated[
        Interval | None,
        _resampling(
            "--interval", help="Interval behind ci_low/ci_high and verdict [default: percentile]."
        ),
    ] = None
    permutations: Annotated[
        str | None,
        typer.Option(
            "--permutations",
            metavar="N",
            help="Permutations per p-value (default: enough for --adjust to reject at "
            "--alpha, at least as many as resamples; 0 for none).",
            rich_help_panel=UNCERTAINTY_PANEL,
        ),
    ] = None
    cluster: Annotated[
        Cluster | None,
        _resampling("--cluster", help="Resample whole model families instead of models."),
    ] = None
    adjustment: Annotated[
        Adjustment | None,
        _resampling(
            "--adjust",
            help="Multiplicity adjustment for p_adjusted: Benjamini-Hochberg, "
            "Benjamini-Yekutieli (any dependence) or Holm [default: bh].",
        ),
    ] = None
    alpha: Annotated[
        float | None,
        _resampling(
            "--alpha",
            help="Level of the tests: sizes the permutations, reads the equivalence "
            "test [default: 0.05].",
        ),
    ] = None

    scheduler: SchedulerOption = None
    workers: WorkersOption = None

    def given_without_bootstrap(self) -> list[str]:
        """Flags of this group that were given although --bootstrap was not."""
        if self.bootstrap is not None:
            return []
        return [
            flag_of(UncertaintyOptions, item.name)
            for item in fields(self)
            if item.name != "bootstrap" and getattr(self, item.name) is not None
        ]

    def check(self) -> None:
        """Refuse what cannot work before any file is read.

        A flag right after ``--bootstrap`` or ``--permutations`` (which take a number) is
        named as such, and uncertainty settings without ``--bootstrap`` are refused.
        """
        for flag, value in (("--bootstrap", self.bootstrap), ("--permutations", self.permutations)):
            if value is not None and value.startswith("--"):
                raise InputError(
                    f"{flag} needs a number N, but the word after it is the flag {value}; "
                    f"write e.g. {flag} 2000 {value} ..."
                )
        if self.bootstrap is not None:
            from safetywashing.core.parallel import resolve_scheduler
            from safetywashing.uncertainty.compute import check_count

            check_count(self.bootstrap, "n_resamples", "bootstrap resamples")
            resolve_scheduler(self.scheduler, self.workers)
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
        from safetywashing.uncertainty.compute import bootstrap_audit, check_count

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
            alpha=0.05 if self.alpha is None else self.alpha,
            progress=progress,
            scheduler=self.scheduler,
            workers=self.workers,
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


@dataclass(frozen=True)
class TableOptions:
    """Filters of the terminal table (``audit --format table``)."""

    top: Annotated[
        int | None,
        typer.Option(
            "--top",
            min=1,
            help="In the table, only the N safety benchmarks with the largest absolute "
            "capabilities correlation.",
        ),
    ] = None
    areas: Annotated[
        list[str] | None,
        typer.Option("--area", help="In the table, only this area (repeatable)."),
    ] = None

    def view(self, output_format: OutputFormat) -> TableView:
        """The table filters these options ask for (an error for another format)."""
        from safetywashing.report.reading import TableView

        if (self.top is not None or self.areas) and output_format is not OutputFormat.table:
            raise InputError(
                f"--top and --area filter the table; they do not apply to --format "
                f"{output_format.value} (drop them, or print the table)."
            )
        return TableView(top=self.top, areas=tuple(self.areas or ()))
