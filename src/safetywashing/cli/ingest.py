"""``safetywashing ingest``: turn evaluation-framework output into a scores table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from safetywashing.cli.options import ForceOption
from safetywashing.core.errors import InputError

if TYPE_CHECKING:
    from rich.console import Console

    from safetywashing.io.frameworks import IngestReport

_HELP = (
    "Read lm-evaluation-harness, Inspect, HELM and Open LLM Leaderboard results from files "
    "and folders, and write a scores table (long by default, --wide for models x "
    "benchmarks)."
)
_TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".parquet", ".pq"})
_MAX_NOTES = 20


def register(app: typer.Typer) -> None:
    """Add the ``ingest`` command to ``app``."""
    app.command("ingest", help=_HELP)(ingest_command)


def ingest_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Result files or folders (searched recursively).", show_default=False),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="CSV file to write.", show_default=False),
    ] = None,
    framework: Annotated[
        str,
        typer.Option("--framework", "-f", help="auto, lm-eval, inspect, helm or openllm."),
    ] = "auto",
    format_alias: Annotated[
        str | None,
        typer.Option("--format", hidden=True, help="The former name of --framework."),
    ] = None,
    metrics: Annotated[
        Path | None,
        typer.Option(
            "--metrics",
            help="Metric map (CSV or JSON): which metric to read per task.",
            show_default=False,
        ),
    ] = None,
    wide: Annotated[
        bool, typer.Option("--wide", help="Write the models x benchmarks matrix.")
    ] = False,
    subtasks: Annotated[
        bool,
        typer.Option("--subtasks", help="Also read subtasks of lm-eval groups (MMLU subjects)."),
    ] = False,
    force: ForceOption = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show every note, not the first 20.")
    ] = False,
    items: Annotated[
        bool,
        typer.Option(
            "--items",
            help="Read per-item results (lm-eval samples_*.jsonl, Inspect .eval samples, HELM "
            "per_instance_stats.json) into an item table: -o DIR writes Parquet partitioned "
            "by benchmark, -o FILE.csv one CSV.",
        ),
    ] = False,
    item_id: Annotated[
        str,
        typer.Option(
            "--item-id",
            help="With --items: match items by the framework's id or by "
            "a hash of the prompt (id or hash).",
        ),
    ] = "id",
    item_metric: Annotated[
        str | None,
        typer.Option("--item-metric", help="With --items: the per-item metric or scorer."),
    ] = None,
) -> None:
    """Read framework results and write a scores table."""
    from rich.console import Console

    from safetywashing.io.frameworks import ingest
    from safetywashing.io.frameworks._safe import LFS_POINTER
    from safetywashing.io.frameworks.output import write_long, write_wide
    from safetywashing.io.writers import check_apart
    from safetywashing.report.text import escaped

    if format_alias is not None:
        if framework != "auto" and framework != format_alias:
            raise InputError(
                f"--framework {framework} and --format {format_alias} both name the input "
                "framework; give --framework alone."
            )
        framework = format_alias
    if not paths:
        raise InputError("No results given; name the result files or folders to read.")
    if output is None:
        raise InputError("No output file given; add -o scores.csv.")
    if output.exists() and not force:
        raise InputError(
            f"{output} already exists; choose another name or pass --force to overwrite it."
        )
    partitions = items and output.suffix.lower() not in {".csv", ".tsv"}
    check_apart(
        [(f"the results {'folder' if p.is_dir() else 'file'}", p) for p in paths],
        files=[("-o", output)],
        folders=[("-o", output if partitions else None)],
    )
    if items:
        _ingest_items(paths, output, framework, item_id, item_metric, force=force, verbose=verbose)
        return
    tables = [p for p in paths if p.is_file() and p.suffix.lower() in _TABLE_SUFFIXES]
    if tables:
        raise InputError(
            f"{tables[0]} is a scores table, not evaluation results; `ingest` reads the "
            "results files of lm-evaluation-harness, Inspect, HELM and the Open LLM "
            f"Leaderboard, while a table goes straight to `safetywashing audit {tables[0]}`."
        )
    report = ingest(paths, format=framework, metric_map=metrics, subtasks=subtasks)
    out = Console(soft_wrap=True, highlight=False)
    _print_skipped_and_notes(report.skipped, report.notes, verbose=verbose)
    if not report.records:
        where = ", ".join(str(p) for p in paths)
        reason = "every file was skipped (see above)" if report.skipped else "no results files"
        if report.skipped and all(LFS_POINTER in s.reason for s in report.skipped):
            raise InputError(
                f"No scores could be read from {where}: its files are Git LFS pointers, not "
                "the results (see above); fetch them with `git lfs pull` in their repository."
            )
        raise InputError(
            f"No scores could be read from {where}: {reason}; check the paths or --framework."
        )
    if wide:
        table = report.to_table()
        write_wide(table, output, force=force)
        lower = [b.id for b in table.benchmarks if b.direction == "lower"]
    else:
        write_long(report, output, force=force)
        lower = sorted({r.benchmark for r in report.records if r.higher_is_better is False})
    _summary(out, report)
    if lower:
        out.print(
            escaped(
                f"Lower is better for: {', '.join(lower)} (give them direction=lower in the "
                "benchmark metadata)."
            ),
            markup=False,
        )
    kind = "wide matrix" if wide else "long table"
    out.print(escaped(f"Wrote {output} ({kind})."), markup=False)


def _summary(console: Console, report: IngestReport) -> None:
    from rich.table import Table

    console.print(
        f"Read {len(report.records)} scores: {len(report.models)} models x "
        f"{len(report.benchmarks)} benchmarks from {len(report.sources)} files.",
        markup=False,
    )
    table = Table(box=None, pad_edge=False)
    for column in ("framework", "models", "benchmarks", "scores"):
        table.add_column(column, justify="left" if column == "framework" else "right")
    for framework in report.framework_counts():
        records = [r for r in report.records if r.framework == framework]
        table.add_row(
            framework,
            str(len({r.model for r in records})),
            str(len({r.benchmark for r in records})),
            str(len(records)),
        )
    console.print(table)


def _print_skipped_and_notes(
    skipped: Sequence[object], notes: Sequence[str], *, verbose: bool
) -> None:
    """What the readers skipped and noted, on stderr (the first notes, or all if verbose)."""
    from rich.console import Console

    from safetywashing.report.text import escaped

    err = Console(stderr=True, soft_wrap=True, highlight=False)
    if skipped:
        err.print(f"Skipped {len(skipped)} file(s):", style="yellow")
        for item in skipped:
            err.print(f"  {escaped(str(item))}", markup=False)
    shown = notes if verbose else notes[:_MAX_NOTES]
    if shown:
        err.print("Notes:", style="cyan")
        for note in shown:
            err.print(f"  {escaped(note)}", markup=False)
        hidden = len(notes) - len(shown)
        if hidden:
            err.print(f"  ... and {hidden} more notes (show them with --verbose).", markup=False)


def _ingest_items(
    paths: list[Path],
    output: Path,
    framework: str,
    item_id: str,
    metric: str | None,
    *,
    force: bool,
    verbose: bool,
) -> None:
    """``ingest --items``: per-item results under ``paths`` into the item table ``output``."""
    from rich.console import Console

    from safetywashing.io.frameworks._safe import LFS_POINTER
    from safetywashing.io.frameworks.items import ingest_items
    from safetywashing.items.table import write_item_table
    from safetywashing.report.text import escaped

    if item_id not in ("id", "hash"):
        raise InputError(f"--item-id {item_id} is unknown; use id or hash.")
    found = ingest_items(
        paths,
        format=framework,
        item_id="hash" if item_id == "hash" else "id",
        metric=metric,
    )
    _print_skipped_and_notes(found.skipped, found.notes, verbose=verbose)
    if not found.rows:
        where = ", ".join(str(p) for p in paths)
        if found.skipped and all(LFS_POINTER in reason for reason in found.skipped):
            raise InputError(
                f"No per-item results could be read from {where}: its files are Git LFS "
                "pointers, not the results (see above); fetch them with `git lfs pull` in "
                "their repository."
            )
        raise InputError(
            f"No per-item results could be read from {where}; lm-eval needs --log_samples "
            "(samples_*.jsonl), Inspect logs need their samples, HELM runs need "
            "per_instance_stats.json."
        )
    frame = found.to_frame()
    if output.suffix.lower() not in {".csv", ".tsv"}:
        _check_partitions(output, frame["benchmark"].unique())
    written = write_item_table(frame, output, force=force)
    out = Console(soft_wrap=True, highlight=False)
    out.print(
        f"Read {len(frame)} item results: {frame['model'].nunique()} models x "
        f"{frame['benchmark'].nunique()} benchmarks ({frame['item'].nunique()} items).",
        markup=False,
    )
    out.print(
        escaped(f"Wrote {output} ({len(written)} file{'s' if len(written) != 1 else ''})."),
        markup=False,
    )


def _check_partitions(output: Path, benchmarks: Iterable[object]) -> None:
    """Refuse a benchmark whose partition folder (``benchmark=NAME``) would leave ``output``."""
    from safetywashing.io.writers import plain_name

    for benchmark in benchmarks:
        reason = plain_name(f"benchmark={benchmark}")
        if reason is not None:
            raise InputError(
                f"benchmark {str(benchmark)!r} cannot name a partition folder inside {output} "
                f"({reason}); write one CSV item table instead (-o items.csv), or rename the "
                "benchmark in its results."
            )
