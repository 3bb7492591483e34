"""The capabilities correlation of every benchmark against its compute correlation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from safetywashing.audit.result import AuditResult, ClassAudit
from safetywashing.report.figures.points import draw_points
from safetywashing.report.figures.style import (
    AREA_PALETTE,
    BAND_COLOUR,
    MAX_TOOLTIP_POINTS,
    compute_label,
    figure_style,
    finite,
    new_figure,
    pick_class,
    plain,
    symbol,
    synthetic_suffix,
    threshold_of,
)
from safetywashing.report.reading import grouped_benchmarks

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def compute_figure(
    result: AuditResult | ClassAudit,
    *,
    model_class: str | None = None,
    low_threshold: float | None = None,
) -> Figure:
    """Capabilities correlation against compute correlation, one point per benchmark.

    Returns
    -------
    matplotlib.figure.Figure
        Safety benchmarks coloured by area, capability benchmarks in grey, the diagonal
        dashed; benchmarks without a compute correlation are counted in the title.
    """
    audit_of_class = pick_class(result, model_class)
    threshold = threshold_of(result, low_threshold)
    groups = grouped_benchmarks(audit_of_class)
    missing = sum(
        1
        for b in audit_of_class.benchmarks
        if not (finite(b.capabilities_correlation) and finite(b.compute_correlation))
    )
    many = len(audit_of_class.benchmarks) > MAX_TOOLTIP_POINTS
    with figure_style():
        fig = new_figure(3.6)
        ax = fig.add_subplot()
        ax.axvspan(-threshold, threshold, color=BAND_COLOUR, lw=0, zorder=0)
        ax.plot([-1, 1], [-1, 1], ls="--", color="#909090", lw=0.5, zorder=1)
        ax.axhline(0, color="#C0C0C0", lw=0.4, zorder=1)
        colour_index = 0
        for area, members in groups:
            points = [
                (b.capabilities_correlation, b.compute_correlation, b.name)
                for b in members
                if finite(b.capabilities_correlation) and finite(b.compute_correlation)
            ]
            if not points:
                continue
            if area == "Capabilities":
                colour, size = "#A0A0A0", 2.5
            else:
                colour = AREA_PALETTE[colour_index % len(AREA_PALETTE)]
                size = 3.2
                colour_index += 1
            if many:
                size = 1.2
            draw_points(
                fig,
                ax,
                [p[0] for p in points],
                [p[1] for p in points],
                [f"{p[2]} ({area}): capabilities {p[0]:+.2f}, compute {p[1]:+.2f}" for p in points],
                marker="o",
                ls="none",
                ms=size,
                color=colour,
                alpha=0.4 if many else 0.85,
                mec="white",
                mew=0 if many else 0.3,
                label=plain(area),
                zorder=3,
            )
        ax.set_xlim(-1.02, 1.02)
        ax.set_ylim(-1.02, 1.02)
        ax.set_aspect("equal")
        ax.set_xlabel(f"capabilities correlation ({symbol(result)})")
        ax.set_ylabel(f"compute correlation ({symbol(result)} with {compute_label(result)})")
        ax.grid(True)
        title = f"Capabilities vs compute, {plain(audit_of_class.model_class)} models"
        if missing:
            title += f"\n{missing} benchmark{'s' if missing > 1 else ''} without both values"
        ax.set_title(title + synthetic_suffix(result), loc="left")
        if ax.get_legend_handles_labels()[0]:
            fig.legend(loc="outside lower center", ncols=2, markerscale=1.2)
    return fig
