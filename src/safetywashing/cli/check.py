"""``safetywashing check``: a new benchmark's capabilities correlation against a panel."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from safetywashing.cli.command import command
from safetywashing.cli.options import (
    ColumnOptions,
    OutputFormat,
    OutputOptions,
    ThresholdOption,
)
from safetywashing.errors import InputError


@command(columns=ColumnOptions, output=OutputOptions)
def check_command(
    columns: ColumnOptions,
    output: OutputOptions,
    scores: Annotated[
        Path,
        typer.Argument(
            help="The new benchmark's scores: a two-column file (model, score) or any "
            "scores table the readers accept.",
            show_default=False,
        ),
    ],
    panel: Annotated[
        str,
        typer.Option(
            "--panel",
            help="Panel JSON from `panel build`, or a shipped panel: paper-chat, paper-base, "
            "obsscaling-base, obsscaling-instruct.",
        ),
    ],
    benchmark: Annotated[
        str | None,
        typer.Option("--benchmark", help="The column of SCORES to check, if it has several."),
    ] = None,
    model_class: Annotated[
        str | None, typer.Option("--class", help="Panel class to use (default: best match).")
    ] = None,
    aliases: Annotated[
        Path | None,
        typer.Option("--aliases", help="Alias file: name as in SCORES, panel model id."),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Display name of the new benchmark.")
    ] = None,
    threshold: ThresholdOption = 0.40,
) -> None:
    """Check a new benchmark against a reference panel: capabilities and compute correlation."""
    from dataclasses import replace

    from safetywashing.io.names import read_aliases
    from safetywashing.io.new_scores import read_new_scores
    from safetywashing.panel import check, resolve_panel
    from safetywashing.report import check as render

    if columns.benchmarks is not None:
        raise InputError(
            "`check` reads one new benchmark; --benchmarks does not apply (name its column "
            "with --benchmark)."
        )
    output.require(
        (OutputFormat.table, OutputFormat.json, OutputFormat.markdown, OutputFormat.latex),
        "check",
    )
    reference = resolve_panel(panel)
    new = read_new_scores(scores, benchmark=benchmark, columns=columns.column_map())
    if name:
        new = replace(new, benchmark=name)
    result = check(
        new,
        reference,
        model_class=model_class,
        aliases=read_aliases(aliases) if aliases is not None else None,
        threshold=threshold,
    )
    if output.output_format is OutputFormat.json:
        sys.stdout.write(render.check_json(result))
    elif output.output_format is OutputFormat.markdown:
        sys.stdout.write(render.check_markdown(result))
    elif output.output_format is OutputFormat.latex:
        sys.stdout.write(render.latex_row(result) + "\n")
    else:
        from rich.console import Console

        console = Console() if sys.stdout.isatty() else Console(width=110)
        render.print_check(result, console)


def register(app: typer.Typer) -> None:
    """Add the ``check`` command to the application."""
    app.command("check")(check_command)
