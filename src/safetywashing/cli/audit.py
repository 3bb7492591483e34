"""``safetywashing audit``: the capabilities correlation of every benchmark."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from safetywashing.cli.command import command, inputs_of, load_and_audit
from safetywashing.cli.notices import WARNINGS
from safetywashing.cli.options import (
    AuditOptions,
    ColumnOptions,
    DatasetOption,
    ForceOption,
    ScoresArgument,
    UncertaintyOptions,
    VerboseOption,
)
from safetywashing.cli.output import OutputFormat, OutputOptions, TableOptions, output_console
from safetywashing.cli.progress import status
from safetywashing.core.errors import InputError

if TYPE_CHECKING:
    from safetywashing.audit.result import AuditResult
    from safetywashing.report.reading import TableView
    from safetywashing.robustness.result import RobustnessResult


@command(
    columns=ColumnOptions,
    settings=AuditOptions,
    uncertainty=UncertaintyOptions,
    output=OutputOptions,
    table=TableOptions,
)
def audit_command(
    columns: ColumnOptions,
    settings: AuditOptions,
    uncertainty: UncertaintyOptions,
    output: OutputOptions,
    table: TableOptions,
    scores: ScoresArgument = None,
    dataset: DatasetOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder to write audit.json, CSV, Markdown and LaTeX tables and figures into.",
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Also write the self-contained HTML report to this file."),
    ] = None,
    force: ForceOption = False,
    figures: Annotated[
        bool,
        typer.Option(
            "--figures/--no-figures",
            help="With --out, also write the standard figures (PNG and PDF; they take most "
            "of the time).",
        ),
    ] = False,
    robustness: Annotated[
        bool,
        typer.Option(
            "--robustness",
            help="Also run leave-one-out, alternative capability measures and, with a "
            "family column (--family-column), leave-one-family-out (robustness.json).",
        ),
    ] = False,
    verbose: VerboseOption = False,
) -> None:
    """Audit benchmarks: correlation of each with the capability score and with compute."""
    if figures and out is None:
        raise InputError("--figures writes into the --out folder; add --out DIR.")
    if robustness and out is None and output.output_format is not OutputFormat.table:
        raise InputError(
            f"--robustness results are printed with --format table or written to "
            f"robustness.json under --out, not with --format {output.output_format.value}; "
            "add --out DIR."
        )
    view = table.view(output.output_format)  # refuse filters for another format first
    if verbose:
        WARNINGS.verbose = True
    if dataset is not None:
        scores, columns, settings = _shipped(dataset, scores, columns, settings)
    _check_outputs(report, out, inputs_of(scores, columns))
    result = load_and_audit(scores, columns, settings, uncertainty)
    if verbose:
        from safetywashing.report.text import escaped

        for note in result.notes:
            print(f"note: {escaped(note)}", file=sys.stderr)
    robustness_result = None
    if robustness:
        from safetywashing.robustness.compute import robustness_audit

        robustness_result = robustness_audit(
            result, scheduler=uncertainty.scheduler, workers=uncertainty.workers
        )
    if report is not None:
        from safetywashing.io.writers import check_writable

        check_writable([report], force=force)
    if out is not None:
        _write_folder(out, result, robustness_result, figures=figures, force=force)
    if report is not None:
        from safetywashing.io.writers import write_atomic
        from safetywashing.report.html import html_report

        status(f"building the HTML report {report}...")
        write_atomic(report, html_report(result), force=force)
        status(f"wrote {report}")
    _print(result, robustness_result, output.output_format, view)


def _shipped(
    dataset: str,
    scores: list[Path] | None,
    columns: ColumnOptions,
    settings: AuditOptions,
) -> tuple[list[Path], ColumnOptions, AuditOptions]:
    """The inputs of ``--dataset NAME``: the packaged files, metadata and preset."""
    from dataclasses import replace

    from safetywashing.datasets.panels import dataset_inputs

    if scores:
        raise InputError(
            f"--dataset {dataset} reads the shipped files; give either scores files or "
            "--dataset, not both."
        )
    files, metadata, preset = dataset_inputs(dataset)
    if columns.benchmarks is None:
        columns = replace(columns, benchmarks=metadata)
    if settings.preset is None and settings.capabilities is None:
        settings = replace(settings, preset=preset)
    return files, columns, settings


def _check_outputs(report: Path | None, out: Path | None, inputs: list[tuple[str, Path]]) -> None:
    """A path the user named for one output is never another output's, nor an input."""
    import os

    from safetywashing.io.writers import check_apart

    if (
        report is not None
        and out is not None
        and os.path.dirname(os.path.abspath(report)) == os.path.abspath(out)
    ):
        raise InputError(
            f"--report {report} is inside the --out folder {out}, whose files the audit "
            "writes; give the report a path outside that folder."
        )
    check_apart(inputs, files=[("--report", report)], folders=[("--out", out)])


def _write_folder(
    out: Path,
    result: AuditResult,
    robustness_result: RobustnessResult | None,
    *,
    figures: bool,
    force: bool,
) -> None:
    from safetywashing.io.writers import write_files
    from safetywashing.report import tables
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
        from safetywashing.report.robustness import robustness_json

        files["robustness.json"] = robustness_json(robustness_result)
    if figures:
        from safetywashing.report.figures import figure_files

        status("drawing the standard figures (PNG and PDF)...")
        files.update(figure_files(result))
    written = write_files(out, files, force=force)
    status(f"wrote {len(written)} files to {out}")


def _print(
    result: AuditResult,
    robustness_result: RobustnessResult | None,
    output_format: OutputFormat,
    view: TableView,
) -> None:
    from safetywashing.report import tables

    if output_format is OutputFormat.json:
        tables.write_json(result, sys.stdout)
    elif output_format is OutputFormat.csv:
        sys.stdout.write(tables.benchmarks_csv(result))
    elif output_format is OutputFormat.markdown:
        sys.stdout.write(tables.markdown_summary(result))
    elif output_format is OutputFormat.latex:
        from safetywashing.report.latex import latex_tables

        sys.stdout.write(latex_tables(result))
    else:
        from safetywashing.report.console import print_audit

        console = output_console()
        print_audit(result, console, view=view)
        if robustness_result is not None:
            from safetywashing.report.robustness import print_robustness

            print_robustness(robustness_result, console)


def register(app: typer.Typer) -> None:
    """Add the ``audit`` command to the application."""
    app.command("audit")(audit_command)
