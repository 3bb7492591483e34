"""Presentation of a power analysis: JSON and a terminal table with a reading per row."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from safetywashing.document import dumps
from safetywashing.results.power import PowerResult


def power_json(result: PowerResult) -> str:
    """The power analysis as JSON text."""
    return dumps(result.to_dict())


def print_power(result: PowerResult, console: Console) -> None:
    """One row per panel size: power, verdict chances, interval width; then readings."""
    how = (
        "Fisher-z test and interval of each simulated estimate"
        if result.engine == "fisher"
        else f"the audit's bootstrap ({result.n_resamples} resamples, {result.interval}) "
        "and permutation test"
    )
    table = Table(
        title=(
            f"Power: planted correlation {result.rho:+.2f} with latent capability; "
            f"{result.panels} simulated panels per size read with {how}; power = chance "
            f"that a two-sided test at alpha {result.alpha:g} rejects a zero correlation; "
            f"verdicts from {100 * result.confidence:g}% intervals at ±{result.threshold:.2f}"
        ),
        title_justify="left",
    )
    headers = (
        "models",
        "true corr.",
        "power",
        "entangled",
        "distinct",
        "inverse",
        "inconclusive",
        "mean width",
        "coverage",
    )
    for header in headers:
        table.add_column(header, justify="right", no_wrap=True)
    for row in result.rows:
        v = row.verdicts
        table.add_row(
            str(row.n_models),
            f"{row.true_correlation:+.3f}",
            f"{100 * row.power:.0f}%",
            *(f"{100 * v[k]:.0f}%" for k in ("entangled", "distinct", "inverse", "inconclusive")),
            f"{row.mean_width:.3f}",
            f"{100 * row.coverage:.0f}%",
        )
    console.print(table)
    for sentence in result.readings():
        console.print(sentence)
