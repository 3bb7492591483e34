"""Presentation of an atlas (one benchmark across settings): table, Markdown, LaTeX, figure."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from safetywashing.core.document import dumps
from safetywashing.panels.result import AtlasResult
from safetywashing.report.console import elide_middle, name_column_width
from safetywashing.report.figures.style import plain
from safetywashing.report.latex import escape_latex, escape_markdown, latex_percent
from safetywashing.report.numbers import format_number
from safetywashing.report.text import escaped

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# The atlas's numbers: "+45.2" (percent), "–" when undefined.
_signed = partial(format_number, sign=True)


def _bracket(low: float, high: float) -> str:
    """``[-10.0, +35.5]``."""
    return f"[{_signed(low)}, {_signed(high)}]"


def _rows(result: AtlasResult) -> list[tuple[str, str, str, str, str, str]]:
    """(setting, n, r %, interval, weight %, zone) per setting, pooled last."""
    rows = []
    zones = result.zones()
    for i, (s, zone) in enumerate(zip(result.settings, zones, strict=True)):
        weight = f"{100 * result.meta.weights[i]:.0f}" if result.meta is not None else ""
        rows.append(
            (
                s.label,
                str(s.n),
                _signed(s.capabilities_correlation),
                _bracket(s.ci_low, s.ci_high),
                weight,
                zone,
            )
        )
    if result.meta is not None:
        meta = result.meta
        rows.append(
            (
                "pooled (random effects)",
                str(sum(s.n for s in result.settings)),
                _signed(meta.r),
                _bracket(meta.ci_low, meta.ci_high),
                "100",
                "",
            )
        )
    return rows


def atlas_json(result: AtlasResult) -> str:
    """The atlas as JSON text (NaN as null)."""
    return dumps(result.to_dict())


def print_atlas(result: AtlasResult, console: Console) -> None:
    """The settings side by side, the pooled estimate, heterogeneity and the stability.

    The numeric columns keep their width (two-line headers keep them narrow); the setting
    column takes the rest of the console's width, and a longer name loses its middle.
    """
    rows = _rows(result)
    interval = f"{100 * result.confidence:g}%\ninterval"
    headers = ("setting", "n", "capab.\ncorr. %", interval, "weight\n%", "zone")
    others = [[headers[k], *(row[k] for row in rows)] for k in range(1, len(headers))]
    name_width = name_column_width(console.width, others)
    table = Table(
        title=Text(escaped(f"{result.benchmark} across {len(result.settings)} settings")),
        title_justify="left",
    )
    for k, header in enumerate(headers):
        table.add_column(
            header,
            justify="left" if header in ("setting", "zone") else "right",
            no_wrap=True,
            max_width=name_width if k == 0 else None,
        )
    for position, row in enumerate(rows):
        label = row[0]
        if position == len(result.settings) and len(label) > name_width:
            label = "pooled"  # the heterogeneity line below names the random effects
        table.add_row(Text(elide_middle(label, name_width)), *(Text(cell) for cell in row[1:]))
    console.print(table)
    if result.meta is not None:
        meta = result.meta
        console.print(
            Text(
                f"Heterogeneity of the random-effects pool: tau² = {meta.tau2:.4f} (Fisher z), "
                f"I² = {100 * meta.i2:.0f}%, "
                f"Q = {meta.z.q:.2f} on {meta.z.q_df} df (p = {meta.z.q_pvalue:.3g}); "
                f"prediction interval for a new setting {_bracket(meta.pi_low, meta.pi_high)}.",
                style="dim",
            )
        )
    console.print(Text(escaped(result.stability())))
    for skipped in result.skipped:
        console.print(
            Text(
                escaped(
                    f"not measured in {skipped.panel} ({skipped.model_class}): {skipped.reason}"
                ),
                style="yellow",
            )
        )


def atlas_markdown(result: AtlasResult) -> str:
    """A Markdown table of the settings and the pooled estimate, then the stability."""
    lines = [
        f"# {escape_markdown(result.benchmark)} across {len(result.settings)} settings",
        "",
        "| setting | n | capab. corr. % | interval | weight % | zone |",
        "|---|---:|---:|---:|---:|---|",
    ]
    lines += [
        "| " + " | ".join(escape_markdown(cell) for cell in row) + " |" for row in _rows(result)
    ]
    lines += ["", escape_markdown(result.stability()), ""]
    return "\n".join(lines)


def atlas_latex_row(result: AtlasResult) -> str:
    """One booktabs row: benchmark & settings & pooled corr. & [interval] & I^2 & tau^2."""
    if result.meta is None:
        cells = [escape_latex(result.benchmark), str(len(result.settings)), "--", "--", "--", "--"]
    else:
        meta = result.meta
        cells = [
            escape_latex(result.benchmark),
            str(len(result.settings)),
            latex_percent(meta.r),
            f"[{latex_percent(meta.ci_low)}, {latex_percent(meta.ci_high)}]",
            f"{100 * meta.i2:.0f}",
            f"{meta.tau2:.3f}",
        ]
    return " & ".join(cells) + r" \\"


def atlas_figure(result: AtlasResult) -> Figure:
    """A forest plot: each setting's correlation and interval, the pooled diamond, the lines."""
    from matplotlib.figure import Figure

    rows = list(result.settings)
    height = 0.9 + 0.28 * (len(rows) + 1)
    fig = Figure(figsize=(4.2, height), layout="constrained")
    ax = fig.add_subplot()
    labels = [plain(escaped(f"{s.label} (n={s.n})")) for s in rows]
    for y, s in enumerate(rows):
        ax.plot([s.ci_low, s.ci_high], [y, y], color="#0072B2", lw=1.2)
        ax.plot([s.capabilities_correlation], [y], "s", color="#0072B2", ms=4)
    if result.meta is not None:
        y = len(rows)
        meta = result.meta
        ax.fill(
            [meta.ci_low, meta.r, meta.ci_high, meta.r],
            [y, y - 0.25, y, y + 0.25],
            color="#D55E00",
        )
        labels.append(f"pooled, I² = {100 * meta.i2:.0f}%")
    t = result.threshold
    ax.axvspan(-t, t, color="#E8E8E8", zorder=0)
    ax.axvline(0, color="#999999", lw=0.6)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(-1, 1)
    ax.set_xticks([-1, -0.5, 0, 0.5, 1])
    ax.set_xlabel(f"capabilities correlation (band: ±{t:.2f}, the decision line)", fontsize=7)
    ax.set_title(plain(escaped(f"{result.benchmark} across settings")), fontsize=8, loc="left")
    ax.tick_params(labelsize=7)
    return fig
