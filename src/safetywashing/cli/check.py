"""``safetywashing check``: a new benchmark's capabilities correlation against a panel."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from safetywashing.cli.command import command
from safetywashing.cli.options import ColumnOptions, ThresholdOption, UncertaintyOptions
from safetywashing.cli.output import OutputFormat, OutputOptions, output_console
from safetywashing.cli.progress import status
from safetywashing.core.decision import PAPER_THRESHOLD, DecisionRule
from safetywashing.core.errors import InputError

if TYPE_CHECKING:
    from safetywashing.panels.check import IntervalEstimator


@command(columns=ColumnOptions, output=OutputOptions, uncertainty=UncertaintyOptions)
def check_command(
    columns: ColumnOptions,
    output: OutputOptions,
    uncertainty: UncertaintyOptions,
    panel: Annotated[
        str,
        typer.Option(
            "--panel",
            help="Panel JSON from `panel build`, a shipped panel (paper-chat, paper-base, "
            "obsscaling-base, obsscaling-instruct), or `all`: every shipped panel, each class "
            "a setting, pooled by a random-effects model.",
        ),
    ],
    scores: Annotated[
        Path | None,
        typer.Argument(
            help="The new benchmark's scores: a two-column file (model, score) or any "
            "scores table the readers accept. With --panel all it may be left out to "
            "study a benchmark the panels already hold (name it with --benchmark).",
            show_default=False,
        ),
    ] = None,
    benchmark: Annotated[
        str | None,
        typer.Option(
            "--benchmark",
            help="The column of SCORES to check, if it has several; without SCORES and with "
            "--panel all, the benchmark's names in the panels, comma-separated "
            "(e.g. truthfulqa_mc1,TruthfulQA).",
        ),
    ] = None,
    figure: Annotated[
        Path | None,
        typer.Option(
            "--figure", help="With --panel all, also draw the settings as a forest plot here."
        ),
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
    threshold: ThresholdOption = PAPER_THRESHOLD,
) -> None:
    """Check a new benchmark against a reference panel: capabilities and compute correlation."""
    from dataclasses import replace

    from safetywashing.io.tables.names import read_aliases
    from safetywashing.io.tables.new_scores import read_new_scores
    from safetywashing.panels import check, resolve_panel
    from safetywashing.report import check as render

    if columns.benchmarks is not None:
        raise InputError(
            "`check` reads one new benchmark; --benchmarks does not apply (name its column "
            "with --benchmark)."
        )
    resampling = uncertainty.resampling(DecisionRule(threshold))
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
    hook = None
    if resampling is not None:
        from safetywashing.panels.interval import interval_hook

        hook = interval_hook(resampling.settings)
    if panel == "all":
        _atlas(scores, benchmark, columns, aliases, name, threshold, hook, output, figure)
        return
    if figure is not None:
        raise InputError("--figure draws the settings of --panel all; add --panel all or drop it.")
    if scores is None:
        raise InputError(
            "Give the new benchmark's scores file (or use --panel all --benchmark NAMES to "
            "study a benchmark the shipped panels hold)."
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


def _atlas(
    scores: Path | None,
    benchmark: str | None,
    columns: ColumnOptions,
    aliases: Path | None,
    name: str | None,
    threshold: float,
    hook: IntervalEstimator | None,
    output: OutputOptions,
    figure: Path | None,
) -> None:
    """``check --panel all``: every shipped panel, each class a setting, pooled."""
    from dataclasses import replace

    from safetywashing.datasets.panels import REFERENCE_PANELS
    from safetywashing.io.tables.names import read_aliases
    from safetywashing.io.tables.new_scores import read_new_scores
    from safetywashing.io.tables.readers import split_names
    from safetywashing.panels import resolve_panel
    from safetywashing.panels.atlas import atlas
    from safetywashing.report import atlas as render

    if figure is not None:
        from safetywashing.io.writers import check_writable
        from safetywashing.report.figures import figure_format

        figure_format(figure)
        check_writable([figure], force=False)
    new = None
    names: list[str] = []
    if scores is not None:
        new = read_new_scores(scores, benchmark=benchmark, columns=columns.column_map())
        if name:
            new = replace(new, benchmark=name)
    elif benchmark is None:
        raise InputError(
            "--panel all needs the new benchmark's scores file, or --benchmark NAMES for a "
            "benchmark the shipped panels hold (e.g. --benchmark truthfulqa_mc1,TruthfulQA)."
        )
    else:
        names = split_names(benchmark)
    status(f"checking against the {len(REFERENCE_PANELS)} shipped panels...")
    panels = [resolve_panel(label) for label in REFERENCE_PANELS]
    result = atlas(
        panels,
        new=new,
        panel_benchmarks=names,
        aliases=read_aliases(aliases) if aliases is not None else None,
        threshold=threshold,
        interval=hook,
    )
    if result.meta is not None and name and new is None:
        result = replace(result, benchmark=name)
    if figure is not None:
        from safetywashing.report.figures import save_figure

        save_figure(render.atlas_figure(result), figure, force=False)
        status(f"wrote {figure}")
    if output.output_format is OutputFormat.json:
        sys.stdout.write(render.atlas_json(result))
    elif output.output_format is OutputFormat.markdown:
        sys.stdout.write(render.atlas_markdown(result))
    elif output.output_format is OutputFormat.latex:
        sys.stdout.write(render.atlas_latex_row(result) + "\n")
    else:
        render.print_atlas(result, output_console())


def register(app: typer.Typer) -> None:
    """Add the ``check`` command to the application."""
    app.command("check")(check_command)
