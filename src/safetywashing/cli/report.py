"""``safetywashing report``: the audit as one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safetywashing.cli.command import command, inputs_of, load_and_audit
from safetywashing.cli.options import (
    AuditOptions,
    ColumnOptions,
    ForceOption,
    ScoresArgument,
    UncertaintyOptions,
)
from safetywashing.cli.progress import status


@command(columns=ColumnOptions, settings=AuditOptions, uncertainty=UncertaintyOptions)
def report_command(
    columns: ColumnOptions,
    settings: AuditOptions,
    uncertainty: UncertaintyOptions,
    scores: ScoresArgument = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")] = Path(
        "report.html"
    ),
    title: Annotated[str, typer.Option("--title", help="Title of the report.")] = (
        "Safetywashing audit"
    ),
    force: ForceOption = False,
    figures: Annotated[
        bool,
        typer.Option(
            "--figures/--no-figures",
            help="Draw the figures (most of the time on large panels); the table, "
            "headline and notes are there either way.",
        ),
    ] = True,
) -> None:
    """Write the audit as a single HTML file that works offline (figures, sortable table)."""
    from safetywashing.io.writers import check_apart, check_writable

    check_apart(inputs_of(scores, columns), files=[("-o", output)])
    check_writable([output], force=force)
    result = load_and_audit(scores, columns, settings, uncertainty)
    from safetywashing.io.writers import write_atomic
    from safetywashing.report.html import html_report

    status(
        f"building the HTML report {output} "
        f"({'figures included' if figures else 'without figures'})..."
    )
    write_atomic(output, html_report(result, title=title, figures=figures), force=force)
    status(f"wrote {output}")


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to the application."""
    app.command("report")(report_command)
