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
    UncertaintyOptions,
    output_console,
)
from safetywashing.errors import InputError


@command(columns=ColumnOptions, output=OutputOptions, uncertainty=UncertaintyOptions)
def check_command(
    columns: ColumnOptions,
    output: OutputOptions,
    uncertainty: UncertaintyOptions,
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
    uncertainty.check()
    unusable = [
        flag
        for flag, value in (
            ("--cluster", uncertainty.cluster),
            ("--interval", uncertainty.interval),
            ("--adjust", uncertainty.adjustment),
        )
        if value is not None
    ]
    if unusable:
        raise InputError(
            f"{' and '.join(unusable)} do{'es' if len(unusable) == 1 else ''} not apply to "
            "`check` (one benchmark, a percentile interval over the matched models); drop "
            f"{'it' if len(unusable) == 1 else 'them'}."
        )
    output.require(
        (OutputFormat.table, OutputFormat.json, OutputFormat.markdown, OutputFormat.latex),
        "check",
    )
    reference = resolve_panel(panel)
    new = read_new_scores(scores, benchmark=benchmark, columns=columns.column_map())
    if name:
        new = replace(new, benchmark=name)
    hook = None
    if uncertainty.bootstrap is not None:
        from safetywashing.panel.interval import bootstrap_interval
        from safetywashing.uncertainty import check_count

        hook = bootstrap_interval(
            n_resamples=check_count(uncertainty.bootstrap, "n_resamples", "bootstrap resamples"),
            confidence=0.95 if uncertainty.confidence is None else uncertainty.confidence,
            seed=uncertainty.seed,
            permutations=(
                None
                if uncertainty.permutations is None
                else check_count(
                    uncertainty.permutations, "permutations", "permutations", allow_zero=True
                )
            ),
            threshold=threshold,
        )
    result = check(
        new,
        reference,
        model_class=model_class,
        aliases=read_aliases(aliases) if aliases is not None else None,
        threshold=threshold,
        interval=hook,
    )
    if output.output_format is OutputFormat.json:
        sys.stdout.write(render.check_json(result))
    elif output.output_format is OutputFormat.markdown:
        sys.stdout.write(render.check_markdown(result))
    elif output.output_format is OutputFormat.latex:
        sys.stdout.write(render.latex_table(result))
    else:
        console = output_console()
        render.print_check(result, console)


def register(app: typer.Typer) -> None:
    """Add the ``check`` command to the application."""
    app.command("check")(check_command)
