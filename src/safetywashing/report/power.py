"""Presentation of a power analysis: JSON and a terminal table."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from safetywashing.decision import VERDICTS
from safetywashing.document import dumps
from safetywashing.results.power import PowerResult


def power_json(result: PowerResult) -> str:
    """The power analysis as JSON text."""
    return dumps(result.to_dict())


def print_power(result: PowerResult, console: Console) -> None:
    """One row per panel size: width of the interval and chance of each verdict."""
    table = Table(
        title=(
            f"Power: planted correlation {result.rho:+.2f} with latent capability; "
            f"{result.panels} simulated panels per size, {result.n_resamples} resamples, "
            f"{100 * result.confidence:g}% {result.interval} intervals, verdict lines "
            f"±{result.threshold:.2f}"
        ),
        title_justify="left",
    )
    for header in ("models", "true corr.", "mean est.", "mean width", "coverage"):
        table.add_column(header, justify="right", no_wrap=True)
    for verdict in VERDICTS:
        table.add_column(f"P({verdict})", justify="right", no_wrap=True)
    for row in result.rows:
        table.add_row(
            str(row.n_models),
            f"{row.true_correlation:+.3f}",
            f"{row.mean_estimate:+.3f}",
            f"{row.mean_width:.3f}",
            f"{100 * row.coverage:.0f}%",
            *(f"{100 * row.verdicts[v]:.0f}%" for v in VERDICTS),
        )
    console.print(table)
