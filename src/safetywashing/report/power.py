"""Presentation of a power analysis: JSON and a terminal table with a reading per row."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from safetywashing.core.document import dumps
from safetywashing.power.result import PowerResult, PowerRow
from safetywashing.report.numbers import format_number


def power_json(result: PowerResult) -> str:
    """The power analysis as JSON text."""
    return dumps(result.to_dict())


def _share(value: float) -> str:
    """A share of simulated panels: ``85%``."""
    return format_number(value, digits=0, suffix="%")


#: The columns of the power table, header and cell per row: those of the test and the
#: interval here, the verdict shares below (a narrow console shows the two groups as two
#: tables, each keyed by the number of models).
_TEST_COLUMNS: tuple[tuple[str, Callable[[PowerRow], str]], ...] = (
    ("models", lambda row: str(row.n_models)),
    ("true corr.", lambda row: f"{row.true_correlation:+.3f}"),
    ("power", lambda row: _share(row.power)),
    ("mean width", lambda row: f"{row.mean_width:.3f}"),
    ("coverage", lambda row: _share(row.coverage)),
)


def _share_of(verdict: str) -> Callable[[PowerRow], str]:
    return lambda row: _share(row.verdicts[verdict])


_VERDICT_COLUMNS = tuple(
    (verdict, _share_of(verdict))
    for verdict in ("entangled", "distinct", "inverse", "inconclusive")
)


def _table(
    result: PowerResult,
    columns: Sequence[tuple[str, Callable[[PowerRow], str]]],
    title: str | None = None,
) -> Table:
    table = Table(title=title, title_justify="left")
    for header, _ in columns:
        table.add_column(header, justify="right", no_wrap=True)
    for row in result.rows:
        table.add_row(*(cell(row) for _, cell in columns))
    return table


def print_power(result: PowerResult, console: Console) -> None:
    """One row per panel size: power, verdict chances, interval width; then readings.

    The sizes are one table where the console is wide enough, else two (the test and the
    interval; the verdict shares), so no cell is ever cut.
    """
    how = (
        "Fisher-z test and interval of each simulated estimate"
        if result.engine == "fisher"
        else f"the audit's bootstrap ({result.n_resamples} resamples, {result.interval}) "
        "and permutation test"
    )
    console.print(
        Text(
            f"Power: planted correlation {result.rho:+.2f} with latent capability; "
            f"{result.panels} simulated panels per size read with {how}; power = chance "
            f"that a two-sided test at alpha {result.alpha:g} rejects a zero correlation; "
            f"verdicts from {100 * result.confidence:g}% intervals at ±{result.threshold:.2f}",
        )
    )
    whole = _table(result, (*_TEST_COLUMNS[:3], *_VERDICT_COLUMNS, *_TEST_COLUMNS[3:]))
    natural = Measurement.get(console, console.options.update(max_width=10_000), whole)
    if natural.maximum <= console.width:
        console.print(whole)
    else:
        console.print(_table(result, _TEST_COLUMNS, title="The test and the interval"))
        verdicts = (_TEST_COLUMNS[0], *_VERDICT_COLUMNS)
        console.print(_table(result, verdicts, title="Verdicts: share of simulated panels"))
    for sentence in result.readings():
        console.print(sentence)
