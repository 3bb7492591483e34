"""Figures of the capability score's structure: the scores, scree, heatmap and loadings."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from safetywashing.audit.result import AuditResult, ClassAudit
from safetywashing.report.figures.points import draw_points
from safetywashing.report.figures.style import (
    COLUMN_WIDTH,
    MAX_HEATMAP_LABELS,
    MAX_HEATMAP_SIDE,
    MAX_HEATMAP_VALUES,
    MAX_LOADING_BARS,
    MAX_NAMED_MODELS,
    MAX_SCREE_BARS,
    PALETTE,
    TOP_BOTTOM,
    drawn_classes,
    figure_style,
    finite,
    matrix_kind,
    new_figure,
    pick_class,
    plain,
    short_labels,
    synthetic_suffix,
    width_for_labels,
    wrap,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.gridspec import GridSpec

# -- capability scores --------------------------------------------------------------------


def scores_figure(result: AuditResult | ClassAudit, *, model_class: str | None = None) -> Figure:
    """Capability score of every model, sorted, one panel per model class.

    Each class has its own capability score (PC1 of its own standardized capability
    benchmarks), so the classes are drawn in separate panels, each on its own axis.

    Parameters
    ----------
    result : AuditResult or ClassAudit
        With an AuditResult, every class is drawn (unless ``model_class`` is given).
    model_class : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Per class, a dot plot with one row per model with a capability score; models
        left out of the score are counted in the class's title. Beyond
        :data:`MAX_NAMED_MODELS` models in all, each class names its highest and lowest
        models above and below a histogram of every score.
    """
    classes = drawn_classes(result, model_class)
    blocks: list[tuple[int, ClassAudit, list[tuple[float, str]], int]] = []
    for position, audit_of_class in enumerate(classes):
        rows = sorted(
            (float(score), name)
            for name, score in zip(
                audit_of_class.model_names, audit_of_class.capability_scores, strict=True
            )
            if finite(float(score))
        )
        left_out = len(audit_of_class.model_names) - len(rows)
        blocks.append((position, audit_of_class, rows, left_out))
    total = sum(len(rows) for _, _, rows, _ in blocks)
    # Beyond MAX_NAMED_MODELS models, each class names its n highest and n lowest.
    n = max(3, TOP_BOTTOM // len(classes)) if total > MAX_NAMED_MODELS else 0
    shown: list[str] = []  # every named model
    for _, _, rows, _ in blocks:
        chosen = rows if not n or len(rows) <= 2 * n else rows[-n:] + rows[:n]
        shown += [row[1] for row in chosen]
    labels = [plain(label) for label in short_labels(shown)]
    short = dict(zip(shown, labels, strict=True))
    # Height of each panel in rows of 0.115 inch; an overview has a histogram of 8 rows.
    heights: list[float] = []
    for _, _, rows, _ in blocks:
        if not n or len(rows) <= 2 * n:
            heights.append(max(len(rows), 3))
        else:
            heights += [n, 8, n]
    with figure_style():
        fig, grid = _stacked(0.75 + 0.115 * sum(heights) + 0.55 * len(blocks), heights, labels)
        row = 0
        for position, audit_of_class, rows, left_out in blocks:
            colour = PALETTE[position % len(PALETTE)]
            name = plain(audit_of_class.model_class)
            note = f"; {left_out:,} without a score left out" if left_out else ""
            if not n or len(rows) <= 2 * n:
                ax = fig.add_subplot(grid[row])
                row += 1
                _score_dots(fig, ax, rows, audit_of_class.model_class, colour, short)
                ax.set_title(f"{name} models ({len(rows):,} scored{note})", loc="left")
                ax.set_xlabel("capability score")
                continue
            ax_top = fig.add_subplot(grid[row])
            ax_mid = fig.add_subplot(grid[row + 1], sharex=ax_top)
            ax_bottom = fig.add_subplot(grid[row + 2], sharex=ax_top)
            row += 3
            _score_dots(fig, ax_top, rows[-n:], audit_of_class.model_class, colour, short)
            _score_dots(fig, ax_bottom, rows[:n], audit_of_class.model_class, colour, short)
            scores = np.array([r[0] for r in rows])
            low, high = float(scores.min()), float(scores.max())
            pad = 0.04 * (high - low or 1.0)
            bins = [float(edge) for edge in np.linspace(low - pad, high + pad, 61)]
            ax_mid.hist(scores, bins=bins, histtype="stepfilled", color=colour, alpha=0.75)
            for value in (rows[-n][0], rows[n - 1][0]):
                ax_mid.axvline(value, color="#808080", lw=0.5, ls=":")
            ax_mid.axvline(0, color="#808080", lw=0.5)
            ax_mid.set_ylabel("models")
            ax_mid.set_xlim(low - pad, high + pad)
            ax_mid.tick_params(labelbottom=False)
            ax_top.tick_params(labelbottom=False)
            ax_bottom.set_xlabel("capability score")
            ax_top.set_title(
                f"{name} models: the top and bottom {n} of {len(rows):,}{note}\n"
                "middle: every score, dotted at the cut-offs",
                loc="left",
            )
        fig.suptitle(
            "Capability score per model"
            + synthetic_suffix(result)
            + "\n"
            + wrap(
                "score = PC1 of the standardized capability benchmarks, fitted per class"
                + ("; classes are on different scales" if len(classes) > 1 else ""),
                62,
            ),
            x=0.02,
            ha="left",
        )
    return fig


def _stacked(
    height: float, heights: Sequence[float], labels: Sequence[str]
) -> tuple[Figure, GridSpec]:
    """A figure ``height`` inches tall, wide enough for ``labels`` beside 1.9 inches of
    axes, and a grid of panels one above the other, each as tall as its share of
    ``heights``."""
    fig = new_figure(height, width=width_for_labels(labels, font_size=6, plot_width=1.9))
    return fig, fig.add_gridspec(len(heights), 1, height_ratios=list(heights))


def _score_dots(
    fig: Figure,
    ax: Axes,
    rows: list[tuple[float, str]],
    model_class: str,
    colour: str,
    short: dict[str, str],
) -> None:
    """A lollipop row per model, lowest at the bottom, named on the y axis."""
    y = np.arange(len(rows))
    scores = [row[0] for row in rows]
    ax.hlines(y, 0, scores, color=colour, lw=0.6)
    draw_points(
        fig,
        ax,
        scores,
        [float(v) for v in y],
        [f"{row[1]} ({model_class}): {row[0]:+.2f}" for row in rows],
        marker="o",
        ls="none",
        ms=3,
        color=colour,
    )
    ax.axvline(0, color="#808080", lw=0.5)
    ax.set_yticks(y, [short[row[1]] for row in rows])
    ax.set_ylim(-0.7, max(len(rows), 1) - 0.3)
    ax.grid(axis="x")


# -- scree --------------------------------------------------------------------------------


def scree_figure(result: AuditResult | ClassAudit, *, model_class: str | None = None) -> Figure:
    """Eigenvalues of the capability correlation matrix, largest first.

    Returns
    -------
    matplotlib.figure.Figure
        Bars of the eigenvalues with the cumulative share of the trace; the title gives
        PC1's share (the paper's "variance explained").
    """
    audit_of_class = pick_class(result, model_class)
    eigenvalues = np.asarray(audit_of_class.component.eigenvalues, dtype=np.float64)
    trace = float(np.trace(audit_of_class.component.matrix))
    n_components = eigenvalues.size
    cumulative = np.cumsum(eigenvalues) / trace if trace > 0 else np.full(n_components, np.nan)
    # Many capability benchmarks: the first components only (the rest are a flat tail).
    k = min(n_components, MAX_SCREE_BARS)
    eigenvalues, cumulative = eigenvalues[:k], cumulative[:k]
    with figure_style():
        fig = new_figure(2.2)
        ax = fig.add_subplot()
        index = np.arange(1, k + 1)
        ax.bar(index, eigenvalues, color=[PALETTE[0]] + [PALETTE[5]] * (k - 1), width=0.7)
        for x, value in zip(index[:12], eigenvalues[:12], strict=True):
            ax.annotate(
                f"{value:.2f}",
                (float(x), float(value)),
                xytext=(0, 1.5),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=5,
            )
        ax.axhline(1.0, color="#808080", lw=0.5, ls="--")
        ax.set_xticks(index if k <= 12 else index[::5])
        ax.set_xlabel(
            "component" if k == n_components else f"component (first {k} of {n_components:,})"
        )
        ax.set_ylabel("eigenvalue")
        twin = ax.twinx()
        twin.plot(index, 100 * cumulative, "-o", ms=2, color=PALETTE[1], lw=0.8)
        twin.set_ylim(0, 105)
        twin.set_ylabel("cumulative share (%)", color=PALETTE[1])
        twin.spines["right"].set_visible(True)
        twin.tick_params(axis="y", colors=PALETTE[1])
        ax.set_title(
            f"Scree, {plain(audit_of_class.model_class)} models ({matrix_kind(result)} matrix of "
            f"{n_components:,} capability benchmarks)\nPC1 explains "
            f"{100 * audit_of_class.component.eigenvalue_share:.1f}%" + synthetic_suffix(result),
            loc="left",
        )
    return fig


# -- heatmap ------------------------------------------------------------------------------


def heatmap_figure(result: AuditResult | ClassAudit, *, model_class: str | None = None) -> Figure:
    """The capability benchmarks' correlation matrix with its values written in.

    Returns
    -------
    matplotlib.figure.Figure
        The matrix the capability component was taken from (Spearman by default),
        diverging colours from -1 to 1.
    """
    audit_of_class = pick_class(result, model_class)
    matrix = np.asarray(audit_of_class.component.matrix, dtype=np.float64)
    names = list(audit_of_class.capability_benchmarks)
    shown = ""
    if len(names) > MAX_HEATMAP_SIDE:
        # The block of the benchmarks that weigh most in the capability score.
        loadings = np.abs(np.asarray(audit_of_class.component.loadings, dtype=np.float64))
        keep = np.sort(np.argsort(-loadings, kind="stable")[:MAX_HEATMAP_SIDE])
        matrix = matrix[np.ix_(keep, keep)]
        shown = f", the {MAX_HEATMAP_SIDE} of {len(names):,} with the largest |loading|"
        names = [names[i] for i in keep]
    k = len(names)
    labelled = k <= MAX_HEATMAP_LABELS
    labels = [plain(b) for b in short_labels(names)] if labelled else []
    size = 5 if k <= 12 else max(2.5, 60 / k)
    # Long names take room on two sides; the figure grows by it so the matrix keeps its size.
    # (the column width already leaves about 0.9 inch, enough for names like lambada_openai)
    longest = max((len(label) for label in labels), default=0)
    extra = max(0.0, 0.55 * min(6, size + 1) / 72 * longest - 0.9)
    with figure_style():
        fig = new_figure(COLUMN_WIDTH - 0.1 + extra, width=COLUMN_WIDTH + extra)
        ax = fig.add_subplot()
        image = ax.imshow(matrix, cmap="RdBu_r", vmin=-1, vmax=1)
        for i in range(k if k <= MAX_HEATMAP_VALUES else 0):
            for j in range(k):
                value = float(matrix[i, j])
                ax.text(
                    j,
                    i,
                    f"{value:.2f}".replace("0.", ".", 1) if abs(value) < 1 else f"{value:.0f}",
                    ha="center",
                    va="center",
                    fontsize=size,
                    color="white" if abs(value) > 0.6 else "black",
                )
        if labelled:
            ax.set_xticks(range(k), labels, rotation=90, fontsize=min(6, size + 1))
            ax.set_yticks(range(k), labels, fontsize=min(6, size + 1))
        else:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel(f"{k:,} capability benchmarks, in the scores' column order")
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        bar = fig.colorbar(image, ax=ax, shrink=0.7, pad=0.02)
        bar.outline.set_linewidth(0.4)
        fig.suptitle(
            f"Capability benchmarks, {plain(audit_of_class.model_class)} models\n"
            f"{matrix_kind(result)} matrix{shown}" + synthetic_suffix(result),
            x=0.02,
            ha="left",
        )
    return fig


# -- PC1 loadings -------------------------------------------------------------------------


def loadings_figure(result: AuditResult | ClassAudit, *, model_class: str | None = None) -> Figure:
    """PC1 loadings of the capability benchmarks, sorted, one panel per model class.

    Parameters
    ----------
    result : AuditResult or ClassAudit
        With an AuditResult, a panel for each class, or for ``model_class`` alone.
    model_class : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Horizontal bars, the largest loading at the top, each panel titled with its
        class and PC1's share of the matrix's variance (the paper's "variance
        explained"); the dashed line marks equal loadings (1/sqrt(k) each). Beyond
        :data:`MAX_LOADING_BARS` benchmarks, the largest by absolute loading.

    Examples
    --------
    >>> from safetywashing.audit.compute import audit
    >>> from safetywashing.datasets import load_demo_panel
    >>> fig = loadings_figure(audit(load_demo_panel()))
    >>> [ax.get_title(loc="left").splitlines()[0] for ax in fig.axes]
    ['base models: PC1 explains 79.4%', 'chat models: PC1 explains 72.7%']
    """
    classes = drawn_classes(result, model_class)
    panels: list[tuple[ClassAudit, list[tuple[float, str]], int]] = []
    for audit_of_class in classes:
        names = {b.id: b.name for b in audit_of_class.benchmarks}
        loadings = np.asarray(audit_of_class.component.loadings, dtype=np.float64)
        pairs = [
            (float(value), names.get(benchmark_id, benchmark_id))
            for value, benchmark_id in zip(
                loadings, audit_of_class.capability_benchmarks, strict=True
            )
        ]
        if len(pairs) > MAX_LOADING_BARS:
            pairs = sorted(pairs, key=lambda pair: -abs(pair[0]))[:MAX_LOADING_BARS]
        panels.append((audit_of_class, sorted(pairs), len(loadings)))
    labels = [
        plain(label)
        for label in short_labels([name for _, pairs, _ in panels for _, name in pairs])
    ]
    heights = [max(len(pairs), 2) for _, pairs, _ in panels]
    with figure_style():
        fig, grid = _stacked(0.45 + 0.13 * sum(heights) + 0.6 * len(panels), heights, labels)
        start = 0
        for position, (audit_of_class, pairs, k) in enumerate(panels):
            ax = fig.add_subplot(grid[position])
            values = [value for value, _ in pairs]
            y = np.arange(len(pairs))
            colour = PALETTE[position % len(PALETTE)]
            ax.barh(y, values, height=0.7, color=colour)
            if len(pairs) <= MAX_LOADING_BARS:
                for at, value in zip(y, values, strict=True):
                    ax.annotate(
                        f"{value:.2f}",
                        (value, float(at)),
                        xytext=(1.5 if value >= 0 else -1.5, 0),
                        textcoords="offset points",
                        ha="left" if value >= 0 else "right",
                        va="center",
                        fontsize=5,
                    )
            ax.axvline(0, color="#808080", lw=0.5)
            equal = 1 / math.sqrt(k)
            ax.axvline(equal, color="#606060", lw=0.6, ls="--")
            ax.set_yticks(y, labels[start : start + len(pairs)])
            start += len(pairs)
            ax.set_ylim(-0.6, len(pairs) - 0.4)
            low = min(0.0, *values)
            # Room for the values written beside the bars.
            ax.set_xlim(1.25 * low, 1.18 * max([*values, equal]))
            ax.grid(axis="x")
            ax.set_xlabel("loading on PC1")
            shown = f"\nthe {len(pairs)} with the largest |loading|" if len(pairs) < k else ""
            ax.set_title(
                f"{plain(audit_of_class.model_class)} models: PC1 explains "
                f"{100 * audit_of_class.component.eigenvalue_share:.1f}%\n"
                f"of the {matrix_kind(result)} matrix ({k:,} benchmarks){shown}",
                loc="left",
            )
        fig.suptitle(
            "PC1 loadings of the capability benchmarks"
            + synthetic_suffix(result)
            + "\ndashed: equal loadings (1/√k for k benchmarks)",
            x=0.02,
            ha="left",
        )
    return fig
