"""The overview of an audit: each benchmark's capabilities correlation, by safety area.

Up to :data:`~safetywashing.report.figures.style.MAX_FOREST_ROWS` benchmarks the forest
has a row per benchmark under its area's heading; beyond, each area is one strip of
points, and the highest and lowest correlations (and the benchmarks with an area of
their own) are named below. Both are drawn by one function from a list of rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from safetywashing.audit.result import AuditResult, BenchmarkResult, ClassAudit
from safetywashing.report.figures.points import draw_points, legend_marker
from safetywashing.report.figures.style import (
    BAND_COLOUR,
    LEGEND_ABOVE,
    MAX_AREA_ROWS,
    MAX_FOREST_ROWS,
    MAX_NAMED_BENCHMARKS,
    PALETTE,
    TOP_BOTTOM,
    class_phrase,
    drawn_classes,
    figure_style,
    finite,
    new_figure,
    plain,
    short_labels,
    symbol,
    synthetic_suffix,
    threshold_of,
    width_for_labels,
)
from safetywashing.report.reading import area_order, grouped_benchmarks

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_X_LABEL: Final = (
    "capabilities correlation ({symbol})\nof each benchmark, its scores oriented so higher is safer"
)
_HIGH_NOTE: Final = "high = the mean pairwise correlation among the capability benchmarks"

Areas = list[tuple[str, list[str]]]
"""Benchmark ids by area, areas in the paper's order."""


@dataclass(frozen=True)
class _Row:
    """One row of a forest, from the top.

    A heading (bold, no points), one benchmark (its point and interval), or a strip of
    many benchmarks' points. ``label`` is the tick label before escaping.
    """

    label: str
    header: bool = False
    benchmark: str | None = None
    strip: tuple[str, ...] = ()


def forest_figure(
    result: AuditResult | ClassAudit,
    *,
    model_class: str | None = None,
    low_threshold: float | None = None,
    include_capabilities: bool = False,
) -> Figure:
    """Each benchmark's capabilities correlation, grouped by safety area.

    Parameters
    ----------
    result : AuditResult or ClassAudit
        With an AuditResult, every class is drawn side by side in its own colour.
    model_class : str, optional
        Draw only this class.
    low_threshold : float, optional
        Half-width of the shaded band; by default the audit's (0.40, the paper's line).
    include_capabilities : bool, default False
        Also draw the capability benchmarks themselves.

    Returns
    -------
    matplotlib.figure.Figure
        Points at the capabilities correlation, horizontal bars for the interval when
        one was computed (``ci_low``/``ci_high``), the band ``[-t, t]`` shaded.
    """
    classes = drawn_classes(result, model_class)
    threshold = threshold_of(result, low_threshold)
    areas, names = _areas(classes, include_capabilities)
    lookup = [{b.id: b for b in c.benchmarks} for c in classes]
    total = sum(len(ids) for _, ids in areas)
    if total > MAX_FOREST_ROWS:
        return _draw_forest(
            result,
            classes,
            threshold,
            _overview_rows(areas, names, lookup),
            lookup,
            subject=f"capabilities correlation of {total:,} benchmarks",
            top_axis=False,
            tip_intervals=False,
        )
    return _draw_forest(
        result,
        classes,
        threshold,
        _area_rows(areas, names),
        lookup,
        subject="capabilities correlation by area",
        top_axis=True,
        tip_intervals=True,
    )


def _areas(
    classes: Sequence[ClassAudit], include_capabilities: bool
) -> tuple[Areas, dict[str, str]]:
    """The benchmarks of every class by area (each once), and each one's name."""
    order: Areas = []
    names: dict[str, str] = {}
    seen: set[str] = set()
    for audit_of_class in classes:
        for area, members in grouped_benchmarks(
            audit_of_class, include_capabilities=include_capabilities
        ):
            new = [b.id for b in members if b.id not in seen]
            for b in members:
                names.setdefault(b.id, b.name)
            seen.update(new)
            for position, (known_area, ids) in enumerate(order):
                if known_area == area:
                    order[position] = (known_area, ids + new)
                    break
            else:
                order.append((area, new))
    order.sort(key=lambda item: area_order(item[0]))
    return order, names


def _area_rows(areas: Areas, names: dict[str, str]) -> list[_Row]:
    """Every benchmark named, under its area's heading."""
    listed = [benchmark_id for _, ids in areas for benchmark_id in ids]
    short = dict(zip(listed, short_labels([names[b] for b in listed]), strict=True))
    rows: list[_Row] = []
    for area, ids in areas:
        rows.append(_Row(area, header=True))
        rows += [_Row(short[b], benchmark=b) for b in ids]
    return rows


def _overview_rows(
    areas: Areas, names: dict[str, str], lookup: Sequence[dict[str, BenchmarkResult]]
) -> list[_Row]:
    """A strip per area (the smallest pooled beyond :data:`MAX_AREA_ROWS`), then the
    highest and lowest correlations (mean over the classes) and the benchmarks with an
    area of their own, named."""

    def mean_r(benchmark_id: str) -> float:
        values = [
            found[benchmark_id].capabilities_correlation
            for found in lookup
            if benchmark_id in found and finite(found[benchmark_id].capabilities_correlation)
        ]
        return float(np.mean(values)) if values else math.nan

    every = [b for _, ids in areas for b in ids]
    r_of = {b: mean_r(b) for b in every}
    ranked = sorted((b for b in every if finite(r_of[b])), key=lambda b: r_of[b])
    highest = ranked[-TOP_BOTTOM:][::-1]
    lowest = ranked[:TOP_BOTTOM]
    named = [b for area, ids in areas if area not in ("Other", "Capabilities") for b in ids]
    if len(named) > MAX_NAMED_BENCHMARKS:
        named = []
    strips = list(areas)
    if len(strips) > MAX_AREA_ROWS:
        by_size = sorted(strips, key=lambda item: -len(item[1]))
        kept = {area for area, _ in by_size[: MAX_AREA_ROWS - 1]}
        pooled = [b for area, ids in strips if area not in kept for b in ids]
        strips = [item for item in strips if item[0] in kept]
        strips.append((f"{len(areas) - len(kept)} other areas", pooled))
    rows = [_Row("Areas (benchmarks)", header=True)]
    rows += [_Row(f"{area} ({len(ids):,})", strip=tuple(ids)) for area, ids in strips]
    sections = [(f"Highest {len(highest)}", highest), (f"Lowest {len(lowest)}", lowest)]
    if named:
        sections.append(("Named areas", named))
    listed = [b for _, ids in sections for b in ids]
    short = dict(zip(listed, short_labels([names[b] for b in listed]), strict=True))
    for heading, ids in sections:
        rows.append(_Row(heading, header=True))
        rows += [_Row(short[b], benchmark=b) for b in ids]
    return rows


def _draw_forest(
    result: AuditResult | ClassAudit,
    classes: Sequence[ClassAudit],
    threshold: float,
    rows: Sequence[_Row],
    lookup: Sequence[dict[str, BenchmarkResult]],
    *,
    subject: str,
    top_axis: bool,
    tip_intervals: bool,
) -> Figure:
    """The forest of ``rows``: per class, its points (and intervals) and strips.

    ``subject`` follows the classes in the title; ``top_axis`` repeats the correlation
    axis above the rows (its tick labels get room under the legend); ``tip_intervals``
    adds the interval and verdict to a point's hover text.
    """
    labels = [plain(row.label) for row in rows]
    n_rows = max(len(rows), 1)
    offsets = np.linspace(-0.18, 0.18, len(classes)) if len(classes) > 1 else np.zeros(1)
    with_strips = any(row.strip for row in rows)
    with figure_style():
        fig = new_figure(
            1.0 + 0.12 * n_rows + _legend_height(classes),
            width=width_for_labels(labels, font_size=6, plot_width=1.8),
        )
        ax = fig.add_subplot()
        lines = _decision_lines(ax, result, classes, threshold)
        markers: list[Any] = []
        y_positions = np.arange(n_rows)[::-1]
        for position, audit_of_class in enumerate(classes):
            colour = PALETTE[position % len(PALETTE)]
            strip_x: list[float] = []
            strip_y: list[float] = []
            xs: list[float] = []
            ys: list[float] = []
            tips: list[str] = []
            intervals: list[tuple[float, float, float]] = []
            for at, row in enumerate(rows):
                y = float(y_positions[at] + offsets[position])
                if row.strip:
                    values = [
                        lookup[position][b].capabilities_correlation
                        for b in row.strip
                        if b in lookup[position]
                    ]
                    drawn = [v for v in values if finite(v)]
                    # Spread within the row by a low-discrepancy sequence (reproducible).
                    spread = [((i * 0.6180339887) % 1.0 - 0.5) * 0.6 for i in range(len(drawn))]
                    strip_x += drawn
                    strip_y += [y + d / max(len(classes), 1) for d in spread]
                    continue
                if row.benchmark is None or row.benchmark not in lookup[position]:
                    continue
                outcome = lookup[position][row.benchmark]
                r = outcome.capabilities_correlation
                if not finite(r):
                    continue
                xs.append(r)
                ys.append(y)
                tip = f"{outcome.name} ({audit_of_class.model_class}): {r:+.3f}, n = {outcome.n}"
                if finite(outcome.ci_low) and finite(outcome.ci_high):
                    intervals.append((y, outcome.ci_low, outcome.ci_high))
                    if tip_intervals:
                        tip += f", interval [{outcome.ci_low:+.3f}, {outcome.ci_high:+.3f}]"
                if tip_intervals and outcome.verdict:
                    tip += f", {outcome.verdict}"
                tips.append(tip)
            for y, low, high in intervals:
                ax.hlines(y, low, high, color=colour, lw=0.8, zorder=2)
            if with_strips:
                ax.plot(
                    strip_x, strip_y, ls="none", marker="o", ms=1.2, alpha=0.35, mew=0, color=colour
                )
            draw_points(
                fig, ax, xs, ys, tips, marker="o", ls="none", ms=2.6, color=colour, zorder=3
            )
            markers.append(legend_marker(colour, audit_of_class.model_class))
        ax.set_yticks(y_positions, labels)
        for at, row in enumerate(rows):
            if row.header:
                tick = ax.get_yticklabels()[at]
                tick.set_fontweight("bold")
                tick.set_fontsize(6.5)
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(-1.02, 1.02)
        ax.set_ylim(-0.8, n_rows - 0.2)
        ax.set_xlabel(_X_LABEL.format(symbol=symbol(result)))
        ax.grid(axis="x")
        ax.spines["left"].set_visible(False)
        if top_axis:
            ax.xaxis.set_ticks_position("bottom")
            secondary = ax.secondary_xaxis("top")
            secondary.tick_params(labelsize=6)
            secondary.spines["top"].set_visible(False)
        fig.suptitle(
            f"{class_phrase(classes)}: {subject}" + synthetic_suffix(result) + f"\n{_HIGH_NOTE}",
            x=0.02,
            ha="left",
        )
        _forest_legend(fig, ax, markers, lines, above=LEGEND_ABOVE if top_axis else 2.0)
    return fig


def _decision_lines(
    ax: Axes, result: AuditResult | ClassAudit, classes: Sequence[ClassAudit], threshold: float
) -> list[Any]:
    """The decision rule drawn on a correlation axis, each piece labelled for a legend.

    The low band ``|r| < t`` shaded (its left edge is the inverse line ``r <= -t``), and
    per class the "high" line: the class's mean pairwise correlation among its capability
    benchmarks, as high as capability benchmarks correlate with each other.

    Returns
    -------
    list
        The artists, in legend order.
    """
    letter = symbol(result)
    band = ax.axvspan(
        -threshold,
        threshold,
        color=BAND_COLOUR,
        lw=0,
        zorder=0,
        label=f"low: |{letter}| < {threshold:.2f}",
    )
    ax.axvline(0, color="#909090", lw=0.5, zorder=1)
    inverse = ax.axvline(
        -threshold,
        color="#404040",
        lw=0.6,
        ls=":",
        zorder=1,
        label=f"inverse: {letter} ≤ {-threshold:.2f}",
    )
    handles: list[Any] = [band, inverse]
    for position, audit_of_class in enumerate(classes):
        high = audit_of_class.mean_capability_correlation
        if not finite(high):
            continue
        which = f" ({plain(audit_of_class.model_class)})" if len(classes) > 1 else ""
        handles.append(
            ax.axvline(
                high,
                color=PALETTE[position % len(PALETTE)],
                lw=0.6,
                ls="--",
                zorder=1,
                label=f"high{which}: {letter} ≥ {high:.3f}",
            )
        )
    return handles


def _forest_legend(
    fig: Figure, ax: Axes, markers: list[Any], lines: list[Any], *, above: float
) -> None:
    """The forest's legend just above the axes (near the data whatever the figure's
    height), right-aligned so that it spreads over the labels: the classes' markers, then
    the decision lines. ``above`` is the room in points kept free for top tick labels."""
    from matplotlib.transforms import ScaledTranslation

    handles = [*markers, *lines] if len(markers) > 1 else lines
    ax.legend(
        handles=handles,
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        bbox_transform=ax.transAxes + ScaledTranslation(0, above / 72, fig.dpi_scale_trans),
        ncols=2,
        handlelength=1.6,
        columnspacing=1.0,
        borderaxespad=0.0,
    )


def _legend_height(classes: Sequence[ClassAudit]) -> float:
    """Inches a forest's legend takes: two columns of the markers and decision lines."""
    entries = 2 + len(classes) + (len(classes) if len(classes) > 1 else 0)
    return 0.11 * math.ceil(entries / 2)
