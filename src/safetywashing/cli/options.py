"""Command-line options, declared once and shared by every command that uses them.

Three groups, each a frozen dataclass whose fields carry their typer declaration:

- :class:`ColumnOptions`: how to read a scores table (column names, scales, metadata);
- :class:`AuditOptions`: the audit's settings (the same flags wherever an audit runs);
- :class:`UncertaintyOptions`: the bootstrap and permutation settings.

(``--format`` is :class:`safetywashing.cli.output.OutputOptions`.) Single options used by
several commands (``--force``, ``--threshold``, ``--scheduler``) are typer ``Annotated``
aliases declared here too.

A field has the name of the library parameter it feeds (``n_resamples`` behind
``--bootstrap``), so that a library error naming the parameter is said with the flag
(:func:`safetywashing.cli.app.parameter_flags`). A choice is typed with the library's
own vocabulary (``CorrelationMethod``, ``IntervalKind``, ...): typer offers its values.

A command names the groups it takes with :func:`safetywashing.cli.command.command`,
which adds their flags to the command's signature and hands the command one object per
group.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_type_hints

import typer

from safetywashing.core.config import AuditConfig, AuditMatrix, ImputeMethod, StandardizeBasis
from safetywashing.core.decision import PAPER_THRESHOLD
from safetywashing.core.errors import InputError
from safetywashing.core.limits import MAX_COLUMNS, MAX_ROWS, MAX_TABLE_MB
from safetywashing.io.tables.columns import ComputeKind, DuplicatePolicy, TextColumnPolicy
from safetywashing.io.tables.readers import ColumnMap
from safetywashing.stats.correlation import CorrelationMethod
from safetywashing.stats.intervals import IntervalKind
from safetywashing.stats.multiple import Adjustment
from safetywashing.uncertainty.settings import Cluster

if TYPE_CHECKING:
    from safetywashing.core.decision import DecisionRule
    from safetywashing.core.parallel import Scheduler
    from safetywashing.uncertainty.settings import UncertaintySettings

AUDIT_PANEL = "Audit settings"
UNCERTAINTY_PANEL = "Uncertainty (bootstrap)"
COLUMN_PANEL = "Reading the scores table"


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


def _force(help: str) -> Any:
    """``--force``: the one declaration of the flag (its help says what it forces)."""
    return typer.Option("--force", help=help)


ForceOption = Annotated[bool, _force("Overwrite existing output files.")]
RefetchOption = Annotated[bool, _force("Download again even if cached.")]
ThresholdOption = Annotated[
    float,
    _setting(
        "--threshold",
        "--verdict-threshold",
        help="The decision line T: below T reads as low (the paper's 0.40); with "
        "--bootstrap, entangled above +T and inverse below -T.",
    ),
]


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
    models: Annotated[
        Path | None,
        _column(
            "--models",
            help="A table of model facts joined by model id (model id plus any of the name, "
            "class, params, FLOP and family columns).",
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
    parameters_scale: Annotated[
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
        DuplicatePolicy,
        _column(
            "--duplicates",
            help="A model on several rows: error, keep the first or last row, or combine "
            "cell by cell (mean, max).",
        ),
    ] = "error"
    text_columns: Annotated[
        TextColumnPolicy,
        _column("--text-columns", help="Columns of text, not scores: error (list them) or ignore."),
    ] = "error"
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
    ] = "flop"

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
            parameters_scale=self.parameters_scale,
            ignore=tuple(self.ignore_columns or ()),
            default_class=self.default_class,
            compute_kind=self.compute_kind,
            header_row=self.header_row,
            skip_rows=self.skip_rows,
            duplicates=self.duplicates,
            text_columns=self.text_columns,
            missing_class=self.missing_class,
            max_file_mb=self.max_file_mb,
            max_rows=self.max_rows,
            max_columns=self.max_columns,
            models=None if self.models is None else str(self.models),
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
    pool_classes: Annotated[
        bool,
        _setting("--pool", help="Analyse all classes together (default: separately)."),
    ] = False
    method: Annotated[
        CorrelationMethod,
        _setting("--method", help="Correlation method."),
    ] = "spearman"
    matrix: Annotated[
        AuditMatrix,
        _setting("--matrix", help="Matrix for the capability component."),
    ] = "spearman"
    impute: Annotated[
        ImputeMethod,
        _setting(
            "--impute",
            help="Fill missing capability scores by iterative PCA of the "
            "capability benchmarks (pca) or leave such models out (none).",
        ),
    ] = "pca"
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
        StandardizeBasis,
        _setting(
            "--standardize",
            help="Z-score each capability benchmark over the models with a capability "
            "score (complete) or over every model that has it (available).",
        ),
    ] = "complete"
    threshold: ThresholdOption = PAPER_THRESHOLD

    def config(self) -> AuditConfig:
        """The audit's configuration these flags ask for (checked when it is made)."""
        from safetywashing.io.tables.readers import split_names

        if self.preset is not None and self.capabilities is not None:
            raise InputError(
                "--preset and --capabilities both choose the capability benchmarks; give one."
            )
        return AuditConfig(
            capabilities=(
                tuple(split_names(self.capabilities)) if self.capabilities is not None else None
            ),
            preset=self.preset,
            method=self.method,
            matrix=self.matrix,
            model_class=self.model_class,
            pool_classes=self.pool_classes,
            impute=self.impute,
            impute_rank=self.impute_rank,
            min_observed=self.min_observed,
            threshold=self.threshold,
            standardize=self.standardize,
        )


@dataclass(frozen=True)
class Resampling:
    """What ``--bootstrap`` and its settings ask for, checked: the settings and where they run.

    Made once per command by :meth:`UncertaintyOptions.resampling`, before any file is
    read; the analyses take it as it is.
    """

    settings: UncertaintySettings
    scheduler: Scheduler


@dataclass(frozen=True)
class UncertaintyOptions:
    """Bootstrap and permutation settings; all but --bootstrap need --bootstrap.

    Unset settings are None here and take the library's defaults
    (:class:`~safetywashing.uncertainty.settings.UncertaintySettings`).
    """

    n_resamples: Annotated[
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
        IntervalKind | None,
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
        if self.n_resamples is not None:
            return []
        return [
            flag_of(UncertaintyOptions, item.name)
            for item in fields(self)
            if item.name != "n_resamples" and getattr(self, item.name) is not None
        ]

    def resampling(self, rule: DecisionRule) -> Resampling | None:
        """The settings these flags ask for, checked once; None without ``--bootstrap``.

        ``rule`` is the decision rule of the verdicts (the audit's). Run before any file
        is read: a flag right after ``--bootstrap`` or
        ``--permutations`` (which take a number) is named as such, uncertainty settings
        without ``--bootstrap`` are refused, the counts are read from their text here and
        only here, the settings are checked by the library, and the scheduler is resolved.
        """
        from safetywashing.core.parallel import resolve_scheduler
        from safetywashing.uncertainty.settings import UncertaintySettings, parse_count

        counts = (("--bootstrap", self.n_resamples), ("--permutations", self.permutations))
        for flag, value in counts:
            if value is not None and value.startswith("--"):
                raise InputError(
                    f"{flag} needs a number N, but the word after it is the flag {value}; "
                    f"write e.g. {flag} 2000 {value} ..."
                )
        if self.n_resamples is None:
            stray = self.given_without_bootstrap()
            if stray:
                raise InputError(
                    f"{' and '.join(stray)} need{'s' if len(stray) == 1 else ''} --bootstrap "
                    "N; add --bootstrap 2000 or leave "
                    f"{'it' if len(stray) == 1 else 'them'} out."
                )
            return None
        given: dict[str, Any] = {
            "n_resamples": parse_count(self.n_resamples, "n_resamples", "bootstrap resamples")
        }
        if self.permutations is not None:
            given["permutations"] = parse_count(self.permutations, "permutations", "permutations")
        for name in ("confidence", "interval", "cluster", "adjustment", "alpha"):
            if getattr(self, name) is not None:
                given[name] = getattr(self, name)
        settings = UncertaintySettings.drawn(self.seed, rule=rule, **given)
        return Resampling(settings, resolve_scheduler(self.scheduler, self.workers))
