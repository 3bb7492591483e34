"""``safetywashing plot KIND``: one figure of an audit, as PNG, SVG or PDF."""

from __future__ import annotations

from enum import StrEnum
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


class FigureKind(StrEnum):
    """The figures ``plot`` draws."""

    scores = "scores"
    scree = "scree"
    heatmap = "heatmap"
    loadings = "loadings"
    scatter = "scatter"
    forest = "forest"
    compute = "compute"
    score_compute = "score_compute"


@command(columns=ColumnOptions, settings=AuditOptions, uncertainty=UncertaintyOptions)
def plot_command(
    columns: ColumnOptions,
    settings: AuditOptions,
    uncertainty: UncertaintyOptions,
    kind: Annotated[
        FigureKind,
        typer.Argument(
            help="scores (capability score per model, a panel per class), scree "
            "(eigenvalues), heatmap (capability correlations), loadings (PC1 loadings of "
            "the capability benchmarks), scatter (one benchmark vs the capability score), "
            "forest (capabilities correlation by area), compute (capabilities vs compute "
            "correlation), score_compute (capability score vs compute per model).",
            show_default=False,
        ),
    ],
    scores: ScoresArgument = None,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Figure file; .png, .svg or .pdf chooses the format."),
    ] = Path("figure.png"),
    benchmark: Annotated[
        str | None, typer.Option("--benchmark", help="Benchmark id for the scatter figure.")
    ] = None,
    force: ForceOption = False,
) -> None:
    """Draw one figure of an audit as PNG, SVG or PDF.

    scree, heatmap, compute and scatter need --class when the scores have several model
    classes; scatter needs --benchmark. With --bootstrap the forest figure shows intervals.
    """
    from safetywashing.io.writers import check_apart, check_writable
    from safetywashing.report.figures import figure_format

    figure_format(output)
    check_apart(inputs_of(scores, columns), files=[("-o", output)])
    check_writable([output], force=force)
    result = load_and_audit(scores, columns, settings, uncertainty)
    from safetywashing.report.figures import make_figure, save_figure

    fig = make_figure(kind.value, result, model_class=settings.model_class, benchmark=benchmark)
    save_figure(fig, output, force=force)
    status(f"wrote {output}")


def register(app: typer.Typer) -> None:
    """Add the ``plot`` command to the application."""
    app.command("plot")(plot_command)
