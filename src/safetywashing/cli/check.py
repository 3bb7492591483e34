"""``safetywashing check``: a new benchmark's capabilities correlation against a panel."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from safetywashing.cli.options import ModelColumn


class CheckFormat(StrEnum):
    """What ``check`` prints on stdout."""

    table = "table"
    json = "json"
    markdown = "markdown"
    latex = "latex"


def check_command(
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
    output_format: Annotated[
        CheckFormat, typer.Option("--format", help="What to print on stdout.")
    ] = CheckFormat.table,
    model_column: ModelColumn = "model",
) -> None:
    """Check a new benchmark against a reference panel: capabilities and compute correlation."""
    from dataclasses import replace

    from safetywashing.io.names import read_aliases
    from safetywashing.io.readers import ColumnMap
    from safetywashing.panel import check, read_new_scores, resolve_panel
    from safetywashing.report import check as render

    reference = resolve_panel(panel)
    new = read_new_scores(scores, benchmark=benchmark, columns=ColumnMap(model=model_column))
    if name:
        new = replace(new, benchmark=name)
    result = check(
        new,
        reference,
        model_class=model_class,
        aliases=read_aliases(aliases) if aliases is not None else None,
    )
    if output_format is CheckFormat.json:
        sys.stdout.write(render.check_json(result))
    elif output_format is CheckFormat.markdown:
        sys.stdout.write(render.check_markdown(result))
    elif output_format is CheckFormat.latex:
        sys.stdout.write(render.latex_row(result) + "\n")
    else:
        from rich.console import Console

        console = Console() if sys.stdout.isatty() else Console(width=110)
        render.print_check(result, console)


def register(app: typer.Typer) -> None:
    """Add the ``check`` command to the application."""
    app.command("check")(check_command)
