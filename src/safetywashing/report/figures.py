"""Publication figures of an audit (matplotlib, Agg, no pyplot).

Every function takes finished results and returns a :class:`matplotlib.figure.Figure`;
nothing here recomputes a statistic. :func:`scatter_figure` plots a benchmark's scores
from the audit's prepared data (a figure of data needs the data); the correlation in its
title is the audit's.

Figures are drawn on ``matplotlib.figure.Figure`` directly, which uses the Agg canvas and
never touches a GUI backend or pyplot's global state. matplotlib is imported inside the
functions, so importing this module costs nothing on the audit path.

Style: 3.3 inches wide (one paper column), 7-point type, colour-blind safe colours
(Okabe and Ito), the same style in every figure.

Every figure names the model class it draws (a figure of several classes gives each its
own panel, colour or legend entry), and every axis of benchmark scores says which way is
safer: a lower-is-safer column is drawn negated, as the audit correlates it.

Size rules: every figure stays readable and bounded whatever the panel's size. Up to
:data:`MAX_NAMED_MODELS` models the scores figure names every model; beyond, each class
names its highest and lowest (:data:`TOP_BOTTOM` shared among the classes) and draws
every score as a histogram. Scatter figures name every model up to
:data:`MAX_POINT_NAMES`, and beyond the :data:`POINT_EXTREMES` highest and lowest. The
loadings figure draws up to :data:`MAX_LOADING_BARS` bars per class. Up to
:data:`MAX_FOREST_ROWS` benchmarks the forest names every benchmark; beyond, each area
is one strip of points and the :data:`TOP_BOTTOM` highest and lowest correlations (and
the benchmarks named with an area of their own, up to :data:`MAX_NAMED_BENCHMARKS`) are
named. Heatmaps write values up to :data:`MAX_HEATMAP_VALUES` benchmarks, name them up to
:data:`MAX_HEATMAP_LABELS`, and beyond :data:`MAX_HEATMAP_SIDE` show the block of the
benchmarks with the largest loadings. Points carry hover texts (one artist each) up to
:data:`MAX_TOOLTIP_POINTS` per series, and are one artist beyond. Rendering caps the
longer side of a raster at :data:`MAX_PIXELS` pixels.

Examples
--------
>>> from safetywashing.audit.compute import audit
>>> from safetywashing.datasets import load_demo_panel
>>> fig = scree_figure(audit(load_demo_panel()), model_class="chat")
>>> float(fig.get_figwidth())
3.3
"""

from __future__ import annotations

import io
import math
import textwrap
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from weakref import WeakKeyDictionary

import numpy as np

from safetywashing.audit.result import AuditResult, BenchmarkResult, ClassAudit
from safetywashing.core.decision import PAPER_THRESHOLD
from safetywashing.core.errors import InputError, suggestion
from safetywashing.report.reading import area_order, grouped_benchmarks

if TYPE_CHECKING:
    import numpy.typing as npt
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    FloatArray = npt.NDArray[np.float64]

COLUMN_WIDTH: Final = 3.3
"""Width of every figure in inches: one column of a two-column paper."""

FIGURE_KINDS: Final = (
    "scores",
    "scree",
    "heatmap",
    "loadings",
    "scatter",
    "forest",
    "compute",
    "score_compute",
)
"""The figures :func:`make_figure` and ``safetywashing plot`` can draw."""

FIGURE_FORMATS: Final = ("png", "svg", "pdf")

MAX_NAMED_MODELS: Final = 60
"""The scores figure names every model up to this many; beyond, the top and bottom."""
TOP_BOTTOM: Final = 15
"""How many of the highest and of the lowest models (or correlations) a large figure names."""
MAX_FOREST_ROWS: Final = 80
"""The forest names every benchmark up to this many; beyond, areas become strips."""
MAX_NAMED_BENCHMARKS: Final = 20
"""A large forest also names benchmarks given an area of their own, up to this many."""
MAX_AREA_ROWS: Final = 24
"""A large forest draws at most this many areas as rows; smaller ones are pooled."""
MAX_HEATMAP_VALUES: Final = 20
MAX_HEATMAP_LABELS: Final = 60
MAX_HEATMAP_SIDE: Final = 200
MAX_SCREE_BARS: Final = 30
MAX_LOADING_BARS: Final = 30
"""The loadings figure draws every capability benchmark up to this many; beyond, the
largest by absolute loading."""
MAX_POINT_NAMES: Final = 12
"""A scatter names every model up to this many; beyond, the :data:`POINT_EXTREMES`
highest and lowest."""
POINT_EXTREMES: Final = 4
MAX_TOOLTIP_POINTS: Final = 400
LEGEND_ABOVE: Final = 13.0
"""Points between a forest's axes and its legend: room for the top tick labels."""
MAX_PIXELS: Final = 4000
"""Longest side of a PNG, in pixels (the dots per inch shrink for a larger figure)."""

# Okabe & Ito (2008), colour-blind safe; black last.
PALETTE: Final = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#F0E442",
    "#000000",
)
AREA_PALETTE: Final = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#8C564B",
    "#E41A1C",
    "#B8B800",
    "#9467BD",
    "#17BECF",
)
BAND_COLOUR: Final = "#E8E8E8"

STYLE: Final[dict[str, Any]] = {
    "font.size": 7,
    "axes.titlesize": 7,
    "figure.titlesize": 7,
    "axes.labelsize": 7,
    "xtick.labelsize": 6,
    "ytick.labelsize": 6,
    "legend.fontsize": 6,
    "legend.frameon": False,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 2.5,
    "ytick.major.size": 2.5,
    "lines.linewidth": 1.0,
    "grid.linewidth": 0.4,
    "grid.color": "#D0D0D0",
    "savefig.dpi": 300,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.02,
    "svg.fonttype": "none",
    # TrueType (Type 42) fonts, which matplotlib (3.5 and later) subsets to the glyphs a
    # figure uses, under a tagged name ("ABCDEF+DejaVuSans"). Type 3 is subset too and
    # saves faster, but its files are larger and some publishers' PDF checks (IEEE PDF
    # eXpress, for one) reject Type 3 fonts.
    "pdf.fonttype": 42,
    "font.family": "DejaVu Sans",
}

_SYMBOL = {"spearman": "ρ", "pearson": "r", "kendall": "τ"}

# Hover text of the points of each figure, by SVG group id; the SVG output turns each
# into a <title> element, which browsers show as a tooltip.
_TOOLTIPS: WeakKeyDictionary[Figure, dict[str, str]] = WeakKeyDictionary()
_GID_PREFIX = "swpt-"


def tooltips(fig: Figure) -> dict[str, str]:
    """Hover texts of a figure's points, keyed by the SVG group id of each point."""
    return dict(_TOOLTIPS.get(fig, {}))


def _points(
    fig: Figure,
    ax: Axes,
    xs: Sequence[float],
    ys: Sequence[float],
    tips: Sequence[str],
    **style: Any,
) -> None:
    """One artist per point, each with a group id and a hover text (SVG tooltips).

    Beyond :data:`MAX_TOOLTIP_POINTS` points, one artist for all and no hover texts:
    thousands of artists take minutes to lay out and megabytes of SVG.
    """
    if len(xs) > MAX_TOOLTIP_POINTS:
        ax.plot(list(xs), list(ys), **style)
        return
    store = _TOOLTIPS.setdefault(fig, {})
    for x, y, tip in zip(xs, ys, tips, strict=True):
        (line,) = ax.plot([x], [y], **style)
        gid = f"{_GID_PREFIX}{len(store)}"
        line.set_gid(gid)
        store[gid] = tip
        style.pop("label", None)


def _marker(colour: str, label: str, *, marker: str = "o", size: float = 3.0) -> Any:
    """A legend handle for a series drawn as many artists (one per point)."""
    from matplotlib.lines import Line2D

    return Line2D([], [], marker=marker, ls="none", ms=size, color=colour, label=plain(label))


def _model_points(
    fig: Figure, ax: Axes, xs: FloatArray, ys: FloatArray, tips: Sequence[str], colour: str
) -> None:
    """One small dot per model, each with its tooltip."""
    _points(
        fig,
        ax,
        [float(v) for v in xs],
        [float(v) for v in ys],
        tips,
        marker="o",
        ls="none",
        ms=3,
        color=colour,
        alpha=0.85,
        mec="white",
        mew=0.3,
    )


@contextmanager
def _style(**extra: Any) -> Iterator[None]:
    import matplotlib

    settings: Any = {**STYLE, **extra}
    with matplotlib.rc_context(settings):
        yield


def _new_figure(height: float, width: float = COLUMN_WIDTH) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def plain(text: str) -> str:
    """Text safe to hand to matplotlib: ``$`` would start mathtext, so it is escaped."""
    return text.replace("$", r"\$")


def _shorten(text: str, limit: int = 48) -> str:
    """``text`` cut to ``limit`` characters in the middle, keeping its start and its end
    (names of one family often differ only at the end: ``..._v1``, ``..._v2``)."""
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return text[:head] + "…" + text[len(text) - (limit - 1 - head) :]


def _short_labels(texts: Sequence[str], limit: int = 48) -> list[str]:
    """Tick labels, shortened with :func:`_shorten` unless that would make two alike."""
    short = [_shorten(text, limit) for text in texts]
    count = Counter(short)
    originals: dict[str, set[str]] = {}
    for text, label in zip(texts, short, strict=True):
        originals.setdefault(label, set()).add(text)
    return [
        label if count[label] == 1 or len(originals[label]) == 1 else text
        for text, label in zip(texts, short, strict=True)
    ]


def _width_for_labels(labels: Sequence[str], *, font_size: float, plot_width: float) -> float:
    """Figure width that leaves ``plot_width`` inches of axes beside the longest label.

    An average glyph of DejaVu Sans is about 0.55 em wide.
    """
    longest = max((len(label) for label in labels), default=0)
    return max(COLUMN_WIDTH, 0.55 * font_size / 72 * longest + plot_width + 0.3)


def _wrap(text: str, width: int = 60) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _pick_class(result: AuditResult | ClassAudit, model_class: str | None) -> ClassAudit:
    """One class's audit from a result (a bare ClassAudit is returned as is)."""
    if isinstance(result, ClassAudit):
        if model_class is not None and model_class != result.model_class:
            raise InputError(
                f"This audit is of the {result.model_class} models, not '{model_class}'; "
                "pass the whole AuditResult to choose a class."
            )
        return result
    names = result.class_names
    if model_class is None:
        if len(names) == 1:
            return result.classes[0]
        raise InputError(
            f"The audit has {len(names)} model classes ({', '.join(names)}); choose one "
            "with --class (model_class=...)."
        )
    if model_class not in names:
        raise InputError(
            f"There is no model class '{model_class}' in the audit"
            f"{suggestion(model_class, names)}; the classes are {', '.join(names)}."
        )
    return result[model_class]


def _classes(result: AuditResult | ClassAudit, model_class: str | None) -> list[ClassAudit]:
    if isinstance(result, ClassAudit) or model_class is not None:
        return [_pick_class(result, model_class)]
    return list(result.classes)


def _threshold(result: AuditResult | ClassAudit, low_threshold: float | None) -> float:
    if low_threshold is not None:
        return low_threshold
    if isinstance(result, AuditResult):
        return result.config.threshold
    return PAPER_THRESHOLD


def _symbol(result: AuditResult | ClassAudit) -> str:
    if isinstance(result, AuditResult):
        return _SYMBOL.get(result.config.method, "r")
    return "ρ"


def _compute_label(result: AuditResult | ClassAudit) -> str:
    return result.compute_label if isinstance(result, AuditResult) else "training FLOP"


def _suffix(result: AuditResult | ClassAudit) -> str:
    return " (synthetic)" if isinstance(result, AuditResult) and result.synthetic else ""


def _finite(value: float) -> bool:
    return not (math.isnan(value) or math.isinf(value))


def _class_phrase(classes: Sequence[ClassAudit]) -> str:
    """The classes in words: "chat models", "base and chat models", "5 model classes"."""
    names = [plain(c.model_class) for c in classes]
    if len(names) == 1:
        return f"{names[0]} models"
    if len(names) <= 3:
        return f"{', '.join(names[:-1])} and {names[-1]} models"
    return f"{len(names)} model classes"


def _metric_words(metric: str) -> str:
    """A metadata metric as words: "Accuracy (↑)" -> "accuracy"; "" for none or N/A."""
    text = metric.replace("(↑)", "").replace("(↓)", "").strip()
    if text.upper() in ("", "N/A", "NA"):
        return ""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return text


def _axis_label(outcome: BenchmarkResult) -> str:
    """A benchmark's axis label with its metric and which way is safer, as plotted.

    A lower-is-safer column is drawn negated (as the audit correlates it), so up is safer
    on every safety axis: "Jailbreak success, negated (attack success rate, lower is
    safer)".
    """
    metric = _metric_words(outcome.metric)
    if outcome.role == "capability":
        way = "higher is better"
    elif outcome.flipped:
        way = "lower is safer"
    else:
        way = "higher is safer"
    name = plain(outcome.name) + (", negated" if outcome.flipped else "")
    return f"{name} ({plain(metric)}, {way})" if metric else f"{name} ({way})"


def _isotonic(x: FloatArray, y: FloatArray, *, increasing: bool) -> tuple[FloatArray, FloatArray]:
    """The least-squares monotone fit of ``y`` on ``x`` (pool adjacent violators).

    A line that only assumes the relation is monotone, as a rank correlation does. Tied
    ``x`` values are pooled first (their mean ``y``, weighted by their count).

    Returns
    -------
    tuple of (ndarray of shape (m,), ndarray of shape (m,))
        The distinct ``x`` values, sorted, and the fitted value at each.
    """
    distinct, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    means = np.bincount(inverse, weights=y) / counts
    sign = 1.0 if increasing else -1.0
    values: list[float] = []
    weights: list[float] = []
    sizes: list[int] = []
    for value, weight in zip(sign * means, counts.astype(np.float64), strict=True):
        values.append(float(value))
        weights.append(float(weight))
        sizes.append(1)
        while len(values) > 1 and values[-2] > values[-1]:
            merged_weight = weights[-2] + weights[-1]
            values[-2] = (values[-2] * weights[-2] + values[-1] * weights[-1]) / merged_weight
            weights[-2] = merged_weight
            sizes[-2] += sizes[-1]
            del values[-1], weights[-1], sizes[-1]
    fit = sign * np.repeat(np.asarray(values, dtype=np.float64), sizes)
    return distinct.astype(np.float64), fit


_LEADER: Final[dict[str, Any]] = {
    "arrowstyle": "-",
    "lw": 0.3,
    "color": "#909090",
    "shrinkA": 0,
    "shrinkB": 1.5,
}


def _named_points(ys: Sequence[float]) -> list[int]:
    """Which points a scatter names: all up to :data:`MAX_POINT_NAMES`, else the
    :data:`POINT_EXTREMES` highest and lowest ``ys``."""
    if len(ys) <= MAX_POINT_NAMES:
        return list(range(len(ys)))
    order = np.argsort(np.asarray(ys, dtype=np.float64), kind="stable")
    chosen = [*order[:POINT_EXTREMES], *order[-POINT_EXTREMES:]]
    return sorted(int(i) for i in chosen)


def _name_points(
    ax: Axes,
    xs: Sequence[float],
    ys: Sequence[float],
    names: Sequence[str],
    *,
    height_inches: float,
) -> None:
    """Write model names beside the chosen points, at least one line apart.

    The axes limits must be set: a label goes to the side of its point with more room;
    the labels of each side are spread vertically to one line apart (a thin leader line
    joins a moved label to its point), so a label moves only for its own side's
    neighbours. ``height_inches`` is the axes' approximate height.
    """
    (x_low, x_high), (y_low, y_high) = ax.get_xlim(), ax.get_ylim()
    font_size = 4.5
    gap = 1.3 * font_size
    height = 72 * height_inches
    wanted = [(y - y_low) / ((y_high - y_low) or 1.0) * height for y in ys]
    on_right = [(x - x_low) / ((x_high - x_low) or 1.0) < 0.55 for x in xs]
    placed: dict[int, float] = {}
    for side in (True, False):
        order = sorted(
            (i for i in range(len(ys)) if on_right[i] == side), key=lambda i: (wanted[i], xs[i])
        )
        floor = -math.inf
        for i in order:
            placed[i] = max(wanted[i], floor)
            floor = placed[i] + gap
        # Pushed past the top: move the highest down again, keeping the gaps.
        ceiling = height
        for i in reversed(order):
            placed[i] = min(placed[i], ceiling)
            ceiling = placed[i] - gap
    for i in sorted(placed):
        right = on_right[i]
        shift = placed[i] - wanted[i]
        ax.annotate(
            plain(_shorten(names[i], 28)),
            (xs[i], ys[i]),
            xytext=(4 if right else -4, shift),
            textcoords="offset points",
            ha="left" if right else "right",
            va="center",
            fontsize=font_size,
            color="#303030",
            arrowprops=_LEADER if abs(shift) > 1.0 else None,
        )


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
    classes = _classes(result, model_class)
    blocks: list[tuple[int, ClassAudit, list[tuple[float, str]], int]] = []
    for position, audit_of_class in enumerate(classes):
        rows = sorted(
            (float(score), name)
            for name, score in zip(
                audit_of_class.model_names, audit_of_class.capability_scores, strict=True
            )
            if _finite(float(score))
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
    labels = [plain(label) for label in _short_labels(shown)]
    short = dict(zip(shown, labels, strict=True))
    # Height of each panel in rows of 0.115 inch; an overview has a histogram of 8 rows.
    heights: list[float] = []
    for _, _, rows, _ in blocks:
        if not n or len(rows) <= 2 * n:
            heights.append(max(len(rows), 3))
        else:
            heights += [n, 8, n]
    with _style():
        fig = _new_figure(
            0.75 + 0.115 * sum(heights) + 0.55 * len(blocks),
            width=_width_for_labels(labels, font_size=6, plot_width=1.9),
        )
        grid = fig.add_gridspec(len(heights), 1, height_ratios=heights)
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
            + _suffix(result)
            + "\n"
            + _wrap(
                "score = PC1 of the standardized capability benchmarks, fitted per class"
                + ("; classes are on different scales" if len(classes) > 1 else ""),
                62,
            ),
            x=0.02,
            ha="left",
        )
    return fig


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
    _points(
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
    audit_of_class = _pick_class(result, model_class)
    eigenvalues = np.asarray(audit_of_class.component.eigenvalues, dtype=np.float64)
    trace = float(np.trace(audit_of_class.component.matrix))
    matrix_kind = result.config.matrix if isinstance(result, AuditResult) else "correlation"
    n_components = eigenvalues.size
    cumulative = np.cumsum(eigenvalues) / trace if trace > 0 else np.full(n_components, np.nan)
    # Many capability benchmarks: the first components only (the rest are a flat tail).
    k = min(n_components, MAX_SCREE_BARS)
    eigenvalues, cumulative = eigenvalues[:k], cumulative[:k]
    with _style():
        fig = _new_figure(2.2)
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
            f"Scree, {plain(audit_of_class.model_class)} models ({matrix_kind} matrix of "
            f"{n_components:,} capability benchmarks)\nPC1 explains "
            f"{100 * audit_of_class.component.eigenvalue_share:.1f}%" + _suffix(result),
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
    audit_of_class = _pick_class(result, model_class)
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
    labels = [plain(b) for b in _short_labels(names)] if labelled else []
    matrix_kind = result.config.matrix if isinstance(result, AuditResult) else "correlation"
    size = 5 if k <= 12 else max(2.5, 60 / k)
    # Long names take room on two sides; the figure grows by it so the matrix keeps its size.
    # (the column width already leaves about 0.9 inch, enough for names like lambada_openai)
    longest = max((len(label) for label in labels), default=0)
    extra = max(0.0, 0.55 * min(6, size + 1) / 72 * longest - 0.9)
    with _style():
        fig = _new_figure(COLUMN_WIDTH - 0.1 + extra, width=COLUMN_WIDTH + extra)
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
            f"{matrix_kind} matrix{shown}" + _suffix(result),
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
        With an AuditResult, every class is drawn (unless ``model_class`` is given).
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
    classes = _classes(result, model_class)
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
        for label in _short_labels([name for _, pairs, _ in panels for _, name in pairs])
    ]
    matrix_kind = result.config.matrix if isinstance(result, AuditResult) else "correlation"
    heights = [max(len(pairs), 2) for _, pairs, _ in panels]
    with _style():
        fig = _new_figure(
            0.45 + 0.13 * sum(heights) + 0.6 * len(panels),
            width=_width_for_labels(labels, font_size=6, plot_width=1.9),
        )
        grid = fig.add_gridspec(len(panels), 1, height_ratios=heights)
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
                f"of the {matrix_kind} matrix ({k:,} benchmarks){shown}",
                loc="left",
            )
        fig.suptitle(
            "PC1 loadings of the capability benchmarks"
            + _suffix(result)
            + "\ndashed: equal loadings (1/√k for k benchmarks)",
            x=0.02,
            ha="left",
        )
    return fig


# -- capability score against compute ----------------------------------------------------


def has_compute(result: AuditResult | ClassAudit) -> bool:
    """Whether any model of the result has a compute figure (training FLOP or stand-in)."""
    classes = result.classes if isinstance(result, AuditResult) else (result,)
    return any(np.any(np.isfinite(c.flop) & (c.flop > 0)) for c in classes)


def score_compute_figure(
    result: AuditResult | ClassAudit, *, model_class: str | None = None
) -> Figure:
    """Each model's capability score against its log10 compute, one panel per class.

    Parameters
    ----------
    result : AuditResult or ClassAudit
        With an AuditResult, every class with compute figures is drawn (unless
        ``model_class`` is given).
    model_class : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Per class, a point per model with both a score and a compute figure (named up
        to :data:`MAX_POINT_NAMES`; beyond, the :data:`POINT_EXTREMES` highest and
        lowest scores), the audit's score-compute correlation and n in the title, and
        the models left out counted.

    Raises
    ------
    InputError
        When no model has a compute figure (see :func:`has_compute`).

    Examples
    --------
    >>> from safetywashing.audit.compute import audit
    >>> from safetywashing.datasets import load_demo_panel
    >>> fig = score_compute_figure(audit(load_demo_panel()), model_class="chat")
    >>> fig.axes[0].get_title(loc="left")
    'chat models: ρ = +0.904, n = 15; named: the 4 highest and lowest'
    """
    classes = _classes(result, model_class)
    label = _compute_label(result)
    drawn = [c for c in classes if has_compute(c)]
    if not drawn:
        raise InputError(
            f"No model has a {label} figure, so there is no score-compute figure; add a "
            "FLOP column to the scores (or read a stand-in with --compute-kind)."
        )
    without = [c for c in classes if not has_compute(c)]
    symbol = _symbol(result)
    with _style():
        fig = _new_figure(0.5 + 2.5 * len(drawn))
        for position, audit_of_class in enumerate(drawn):
            ax = fig.add_subplot(len(drawn), 1, position + 1)
            colour = PALETTE[classes.index(audit_of_class) % len(PALETTE)]
            scores = np.asarray(audit_of_class.capability_scores, dtype=np.float64)
            compute = np.asarray(audit_of_class.flop, dtype=np.float64)
            scored = np.isfinite(scores)
            keep = scored & np.isfinite(compute) & (compute > 0)
            xs = np.log10(compute[keep])
            ys = scores[keep]
            names = [n for n, k in zip(audit_of_class.model_names, keep, strict=True) if k]
            _model_points(
                fig,
                ax,
                xs,
                ys,
                [
                    f"{name}: {label} 10^{x:.2f}, score {y:+.2f}"
                    for name, x, y in zip(names, xs, ys, strict=True)
                ],
                colour,
            )
            if len(xs):
                _pad_limits(ax, xs, ys)
                chosen = _named_points([float(v) for v in ys])
                _name_points(
                    ax,
                    [float(xs[i]) for i in chosen],
                    [float(ys[i]) for i in chosen],
                    [names[i] for i in chosen],
                    height_inches=1.7,
                )
            ax.set_xlabel(f"log10 {label}")
            ax.set_ylabel("capability score")
            ax.grid(True)
            r = audit_of_class.score_compute_correlation
            value = f"{r:+.3f}" if _finite(r) else "undefined"
            missing = int(scored.sum() - keep.sum())
            note = (
                f"\n{missing:,} scored model{'s' if missing != 1 else ''} without a "
                f"{label} figure left out"
                if missing
                else ""
            )
            named = (
                ""
                if len(xs) <= MAX_POINT_NAMES
                else f"; named: the {POINT_EXTREMES} highest and lowest"
            )
            ax.set_title(
                f"{plain(audit_of_class.model_class)} models: {symbol} = {value}, "
                f"n = {audit_of_class.score_compute_n}{named}{note}",
                loc="left",
            )
        title = f"Capability score against {label}" + _suffix(result)
        if without:
            title += "\nno " + label + " figures: " + _class_phrase(without)
        fig.suptitle(title, x=0.02, ha="left")
    return fig


# -- one benchmark against the capability score -------------------------------------------


def scatter_figure(
    result: AuditResult | ClassAudit,
    benchmark: str,
    *,
    model_class: str | None = None,
) -> Figure:
    """One benchmark against the capability score (or its reference column).

    Parameters
    ----------
    result : AuditResult or ClassAudit
        The benchmark's scores come from the audit's prepared data, oriented like the
        audit (negated when the audit negated it).
    benchmark : str
        Benchmark id.
    model_class : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        A point per model, named (up to :data:`MAX_POINT_NAMES` models; beyond, the
        :data:`POINT_EXTREMES` highest and lowest on the benchmark); the monotone
        (isotonic) fit in the direction of the audit's correlation, which, like a rank
        correlation, assumes only that the relation is monotone; the audit's correlation
        and n in the title; the metric and which way is safer on the axis.
    """
    audit_of_class = _pick_class(result, model_class)
    outcome = audit_of_class.benchmark(benchmark)
    prepared = audit_of_class.prepared
    y = np.asarray(prepared.target(outcome.id), dtype=np.float64)
    reference = prepared.references[prepared.benchmark_ids.index(outcome.id)]
    if reference is None:
        x = np.asarray(audit_of_class.capability_scores, dtype=np.float64)
        x_label = "capability score (PC1 of the standardized capability benchmarks)"
    else:
        x = np.asarray(reference, dtype=np.float64)
        known = {b.id: b for b in audit_of_class.benchmarks}
        source = known.get(outcome.correlated_with)
        x_label = _axis_label(source) if source else plain(outcome.correlated_with)
    both = ~(np.isnan(x) | np.isnan(y))
    xs, ys = x[both], y[both]
    names = [n for n, keep in zip(audit_of_class.model_names, both, strict=True) if keep]
    r = outcome.capabilities_correlation
    symbol = _symbol(result)
    with _style():
        fig = _new_figure(3.1)
        ax = fig.add_subplot()
        _model_points(
            fig,
            ax,
            xs,
            ys,
            [
                f"{name}: {x_value:.3g}, {y_value:.3g}"
                for name, x_value, y_value in zip(names, xs, ys, strict=True)
            ],
            PALETTE[0],
        )
        handles: list[Any] = [_marker(PALETTE[0], f"models (n = {len(xs):,})")]
        if len(xs) >= 2 and np.ptp(xs) > 0 and _finite(r):
            increasing = r >= 0
            line_x, line_y = _isotonic(xs, ys, increasing=increasing)
            (line,) = ax.plot(
                line_x,
                line_y,
                "-",
                color=PALETTE[1],
                lw=0.9,
                label=f"monotone (isotonic) fit, {'increasing' if increasing else 'decreasing'}"
                f" like {symbol}",
            )
            handles.append(line)
        else:
            handles.append(_marker("none", f"no line: {symbol} undefined", marker=""))
        if len(xs):
            _pad_limits(ax, xs, ys)
            chosen = _named_points([float(v) for v in ys])
            _name_points(
                ax,
                [float(xs[i]) for i in chosen],
                [float(ys[i]) for i in chosen],
                [names[i] for i in chosen],
                height_inches=1.9,
            )
        ax.set_xlabel(_wrap(x_label, 55))
        ax.set_ylabel(_wrap(_axis_label(outcome), 42))
        ax.grid(True)
        value = f"{r:+.3f}" if _finite(r) else "undefined"
        interval = (
            f" [{outcome.ci_low:+.2f}, {outcome.ci_high:+.2f}]"
            if _finite(outcome.ci_low) and _finite(outcome.ci_high)
            else ""
        )
        named = (
            ""
            if len(xs) <= MAX_POINT_NAMES
            else f"; named: the {POINT_EXTREMES} highest and lowest"
        )
        ax.set_title(
            _wrap(f"{plain(audit_of_class.model_class)} models: {plain(outcome.name)}", 55)
            + f"\n{symbol} = {value}{interval}, n = {outcome.n}{named}"
            + _suffix(result),
            loc="left",
        )
        fig.legend(handles=handles, loc="outside lower left", ncols=1)
    return fig


def _pad_limits(ax: Axes, xs: FloatArray, ys: FloatArray) -> None:
    """Axis limits around the points with room for names (before :func:`_name_points`)."""
    for values, setter, share in ((xs, ax.set_xlim, 0.06), (ys, ax.set_ylim, 0.08)):
        low, high = float(np.min(values)), float(np.max(values))
        pad = share * (high - low) if high > low else max(abs(low) * 0.1, 0.5)
        setter(low - pad, high + pad)


# -- the overview: forest plot by area ----------------------------------------------------


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
    symbol = _symbol(result)
    band = ax.axvspan(
        -threshold,
        threshold,
        color=BAND_COLOUR,
        lw=0,
        zorder=0,
        label=f"low: |{symbol}| < {threshold:.2f}",
    )
    ax.axvline(0, color="#909090", lw=0.5, zorder=1)
    inverse = ax.axvline(
        -threshold,
        color="#404040",
        lw=0.6,
        ls=":",
        zorder=1,
        label=f"inverse: {symbol} ≤ {-threshold:.2f}",
    )
    handles: list[Any] = [band, inverse]
    for position, audit_of_class in enumerate(classes):
        high = audit_of_class.mean_capability_correlation
        if not _finite(high):
            continue
        which = f" ({plain(audit_of_class.model_class)})" if len(classes) > 1 else ""
        handles.append(
            ax.axvline(
                high,
                color=PALETTE[position % len(PALETTE)],
                lw=0.6,
                ls="--",
                zorder=1,
                label=f"high{which}: {symbol} ≥ {high:.3f}",
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


_FOREST_X_LABEL = (
    "capabilities correlation ({symbol})\nof each benchmark, its scores oriented so higher is safer"
)


def _legend_height(classes: Sequence[ClassAudit]) -> float:
    """Inches a forest's legend takes: two columns of the markers and decision lines."""
    entries = 2 + len(classes) + (len(classes) if len(classes) > 1 else 0)
    return 0.11 * math.ceil(entries / 2)


_HIGH_NOTE = "high = the mean pairwise correlation among the capability benchmarks"


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
    classes = _classes(result, model_class)
    threshold = _threshold(result, low_threshold)
    order: list[tuple[str, list[str]]] = []
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
    lookup = [{b.id: b for b in c.benchmarks} for c in classes]
    if sum(len(ids) for _, ids in order) > MAX_FOREST_ROWS:
        return _forest_overview(result, classes, threshold, order, names, lookup)
    rows: list[tuple[str, str | None]] = []
    for area, ids in order:
        rows.append((area, None))
        rows.extend((area, benchmark_id) for benchmark_id in ids)
    n_rows = max(len(rows), 1)
    offsets = np.linspace(-0.18, 0.18, len(classes)) if len(classes) > 1 else np.zeros(1)
    listed = [benchmark_id for _, benchmark_id in rows if benchmark_id is not None]
    short = dict(zip(listed, _short_labels([names[b] for b in listed]), strict=True))
    labels: list[str] = []
    header_rows: list[int] = []
    for row, (area, benchmark_id) in enumerate(rows):
        if benchmark_id is None:
            labels.append(plain(area))
            header_rows.append(row)
            continue
        labels.append(plain(short[benchmark_id]))
    with _style():
        fig = _new_figure(
            1.0 + 0.12 * n_rows + _legend_height(classes),
            width=_width_for_labels(labels, font_size=6, plot_width=1.8),
        )
        ax = fig.add_subplot()
        lines = _decision_lines(ax, result, classes, threshold)
        markers: list[Any] = []
        y_positions = np.arange(n_rows)[::-1]
        for position, audit_of_class in enumerate(classes):
            colour = PALETTE[position % len(PALETTE)]
            xs: list[float] = []
            ys: list[float] = []
            tips: list[str] = []
            intervals: list[tuple[float, float, float]] = []
            for row, (_, benchmark_id) in enumerate(rows):
                if benchmark_id is None or benchmark_id not in lookup[position]:
                    continue
                outcome: BenchmarkResult = lookup[position][benchmark_id]
                r = outcome.capabilities_correlation
                if not _finite(r):
                    continue
                y = float(y_positions[row] + offsets[position])
                xs.append(r)
                ys.append(y)
                tip = f"{outcome.name} ({audit_of_class.model_class}): {r:+.3f}, n = {outcome.n}"
                if _finite(outcome.ci_low) and _finite(outcome.ci_high):
                    intervals.append((y, outcome.ci_low, outcome.ci_high))
                    tip += f", interval [{outcome.ci_low:+.3f}, {outcome.ci_high:+.3f}]"
                if outcome.verdict:
                    tip += f", {outcome.verdict}"
                tips.append(tip)
            for y, low, high in intervals:
                ax.hlines(y, low, high, color=colour, lw=0.8, zorder=2)
            _points(fig, ax, xs, ys, tips, marker="o", ls="none", ms=2.6, color=colour, zorder=3)
            markers.append(_marker(colour, audit_of_class.model_class))
        ax.set_yticks(y_positions, labels)
        for row in header_rows:
            tick = ax.get_yticklabels()[row]
            tick.set_fontweight("bold")
            tick.set_fontsize(6.5)
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(-1.02, 1.02)
        ax.set_ylim(-0.8, n_rows - 0.2)
        ax.set_xlabel(_FOREST_X_LABEL.format(symbol=_symbol(result)))
        ax.grid(axis="x")
        ax.spines["left"].set_visible(False)
        ax.xaxis.set_ticks_position("bottom")
        secondary = ax.secondary_xaxis("top")
        secondary.tick_params(labelsize=6)
        secondary.spines["top"].set_visible(False)
        fig.suptitle(
            f"{_class_phrase(classes)}: capabilities correlation by area"
            + _suffix(result)
            + f"\n{_HIGH_NOTE}",
            x=0.02,
            ha="left",
        )
        _forest_legend(fig, ax, markers, lines, above=LEGEND_ABOVE)
    return fig


def _forest_overview(
    result: AuditResult | ClassAudit,
    classes: list[ClassAudit],
    threshold: float,
    order: list[tuple[str, list[str]]],
    names: dict[str, str],
    lookup: list[dict[str, BenchmarkResult]],
) -> Figure:
    """The forest of a large panel: one strip of points per area, then the highest and
    lowest correlations and the benchmarks with an area of their own, named."""
    n = TOP_BOTTOM

    def mean_r(benchmark_id: str) -> float:
        values = [
            lookup[k][benchmark_id].capabilities_correlation
            for k in range(len(classes))
            if benchmark_id in lookup[k]
            and _finite(lookup[k][benchmark_id].capabilities_correlation)
        ]
        return float(np.mean(values)) if values else math.nan

    every = [b for _, ids in order for b in ids]
    r_of = {b: mean_r(b) for b in every}
    ranked = sorted((b for b in every if _finite(r_of[b])), key=lambda b: r_of[b])
    highest = ranked[-n:][::-1]
    lowest = ranked[:n]
    named = [b for area, ids in order if area not in ("Other", "Capabilities") for b in ids]
    if len(named) > MAX_NAMED_BENCHMARKS:
        named = []
    areas = list(order)
    if len(areas) > MAX_AREA_ROWS:
        by_size = sorted(areas, key=lambda item: -len(item[1]))
        kept = {area for area, _ in by_size[: MAX_AREA_ROWS - 1]}
        pooled = [b for area, ids in areas if area not in kept for b in ids]
        areas = [item for item in areas if item[0] in kept]
        areas.append((f"{len(order) - len(kept)} other areas", pooled))
    # Rows from the top: (label, benchmark ids of a strip, or one named benchmark id).
    rows: list[tuple[str, list[str] | str | None]] = [("Areas (benchmarks)", None)]
    rows += [(f"{area} ({len(ids):,})", ids) for area, ids in areas]
    sections = [(f"Highest {len(highest)}", highest), (f"Lowest {len(lowest)}", lowest)]
    if named:
        sections.append(("Named areas", named))
    listed = [b for _, ids in sections for b in ids]
    short = dict(zip(listed, _short_labels([names[b] for b in listed]), strict=True))
    for header, ids in sections:
        rows.append((header, None))
        rows += [(short[b], b) for b in ids]
    labels = [plain(label) for label, _ in rows]
    n_rows = len(rows)
    offsets = np.linspace(-0.18, 0.18, len(classes)) if len(classes) > 1 else np.zeros(1)
    with _style():
        fig = _new_figure(
            1.0 + 0.12 * n_rows + _legend_height(classes),
            width=_width_for_labels(labels, font_size=6, plot_width=1.8),
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
            for row, (_, member) in enumerate(rows):
                base = float(y_positions[row] + offsets[position])
                if isinstance(member, list):
                    values = [
                        lookup[position][b].capabilities_correlation
                        for b in member
                        if b in lookup[position]
                    ]
                    finite = [v for v in values if _finite(v)]
                    # Spread within the row by a low-discrepancy sequence (reproducible).
                    spread = [((i * 0.6180339887) % 1.0 - 0.5) * 0.6 for i in range(len(finite))]
                    strip_x += finite
                    strip_y += [base + d / max(len(classes), 1) for d in spread]
                elif isinstance(member, str) and member in lookup[position]:
                    outcome = lookup[position][member]
                    r = outcome.capabilities_correlation
                    if not _finite(r):
                        continue
                    if _finite(outcome.ci_low) and _finite(outcome.ci_high):
                        ax.hlines(base, outcome.ci_low, outcome.ci_high, color=colour, lw=0.8)
                    xs.append(r)
                    ys.append(base)
                    tips.append(
                        f"{outcome.name} ({audit_of_class.model_class}): {r:+.3f}, n = {outcome.n}"
                    )
            ax.plot(
                strip_x, strip_y, ls="none", marker="o", ms=1.2, alpha=0.35, mew=0, color=colour
            )
            _points(fig, ax, xs, ys, tips, marker="o", ls="none", ms=2.6, color=colour, zorder=3)
            markers.append(_marker(colour, audit_of_class.model_class))
        ax.set_yticks(y_positions, labels)
        for row, (_, member) in enumerate(rows):
            if member is None:
                tick = ax.get_yticklabels()[row]
                tick.set_fontweight("bold")
                tick.set_fontsize(6.5)
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(-1.02, 1.02)
        ax.set_ylim(-0.8, n_rows - 0.2)
        ax.set_xlabel(_FOREST_X_LABEL.format(symbol=_symbol(result)))
        ax.grid(axis="x")
        ax.spines["left"].set_visible(False)
        fig.suptitle(
            f"{_class_phrase(classes)}: capabilities correlation of {len(every):,} benchmarks"
            + _suffix(result)
            + f"\n{_HIGH_NOTE}",
            x=0.02,
            ha="left",
        )
        _forest_legend(fig, ax, markers, lines, above=2.0)
    return fig


# -- capabilities correlation against compute correlation ---------------------------------


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
    audit_of_class = _pick_class(result, model_class)
    threshold = _threshold(result, low_threshold)
    groups = grouped_benchmarks(audit_of_class)
    missing = sum(
        1
        for b in audit_of_class.benchmarks
        if not (_finite(b.capabilities_correlation) and _finite(b.compute_correlation))
    )
    many = len(audit_of_class.benchmarks) > MAX_TOOLTIP_POINTS
    with _style():
        fig = _new_figure(3.6)
        ax = fig.add_subplot()
        ax.axvspan(-threshold, threshold, color=BAND_COLOUR, lw=0, zorder=0)
        ax.plot([-1, 1], [-1, 1], ls="--", color="#909090", lw=0.5, zorder=1)
        ax.axhline(0, color="#C0C0C0", lw=0.4, zorder=1)
        colour_index = 0
        for area, members in groups:
            points = [
                (b.capabilities_correlation, b.compute_correlation, b.name)
                for b in members
                if _finite(b.capabilities_correlation) and _finite(b.compute_correlation)
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
            _points(
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
        ax.set_xlabel(f"capabilities correlation ({_symbol(result)})")
        ax.set_ylabel(f"compute correlation ({_symbol(result)} with {_compute_label(result)})")
        ax.grid(True)
        title = f"Capabilities vs compute, {plain(audit_of_class.model_class)} models"
        if missing:
            title += f"\n{missing} benchmark{'s' if missing > 1 else ''} without both values"
        ax.set_title(title + _suffix(result), loc="left")
        if ax.get_legend_handles_labels()[0]:
            fig.legend(loc="outside lower center", ncols=2, markerscale=1.2)
    return fig


# -- one entry point and saving -----------------------------------------------------------


def make_figure(
    kind: str,
    result: AuditResult | ClassAudit,
    *,
    model_class: str | None = None,
    benchmark: str | None = None,
) -> Figure:
    """Draw one figure by name (see :data:`FIGURE_KINDS`).

    ``scatter`` needs ``benchmark``; every other figure takes the result alone.
    ``score_compute`` raises :class:`InputError` when no model has a compute figure.
    """
    if kind == "scores":
        return scores_figure(result, model_class=model_class)
    if kind == "forest":
        return forest_figure(result, model_class=model_class)
    if kind == "scree":
        return scree_figure(result, model_class=model_class)
    if kind == "heatmap":
        return heatmap_figure(result, model_class=model_class)
    if kind == "compute":
        return compute_figure(result, model_class=model_class)
    if kind == "loadings":
        return loadings_figure(result, model_class=model_class)
    if kind == "score_compute":
        return score_compute_figure(result, model_class=model_class)
    if kind == "scatter":
        if benchmark is None:
            raise InputError("The scatter figure needs a benchmark; name it with --benchmark ID.")
        return scatter_figure(result, benchmark, model_class=model_class)
    raise InputError(
        f"There is no figure '{kind}'{suggestion(kind, FIGURE_KINDS)}; the figures are "
        f"{', '.join(FIGURE_KINDS)}."
    )


def standard_figures(result: AuditResult, *, class_forests: bool = True) -> dict[str, Figure]:
    """The standard set, by file stem: scores, loadings, forest and (when the panel has
    compute figures) score against compute, of all classes; then per class the scree,
    heatmap, forest and compute figures.

    ``class_forests=False`` leaves out the per-class forests (the HTML report shows the
    forest of all classes only).
    """
    figures: dict[str, Figure] = {
        "capability_scores": scores_figure(result),
        "loadings": loadings_figure(result),
        "forest": forest_figure(result),
    }
    if has_compute(result):
        figures["score_compute"] = score_compute_figure(result)
    stems = class_stems(result.class_names)
    for audit_of_class in result.classes:
        stem = stems[audit_of_class.model_class]
        if class_forests and len(result.classes) > 1:
            figures[f"forest_{stem}"] = forest_figure(
                result, model_class=audit_of_class.model_class
            )
        figures[f"scree_{stem}"] = scree_figure(result, model_class=audit_of_class.model_class)
        figures[f"heatmap_{stem}"] = heatmap_figure(result, model_class=audit_of_class.model_class)
        figures[f"compute_{stem}"] = compute_figure(result, model_class=audit_of_class.model_class)
    return figures


def figure_files(
    result: AuditResult, *, formats: Sequence[str] = ("png", "pdf")
) -> dict[str, bytes]:
    """The standard figures rendered, by relative path (``figures/<stem>.<format>``)."""
    files: dict[str, bytes] = {}
    for stem, fig in standard_figures(result).items():
        for fmt in formats:
            files[f"figures/{stem}.{fmt}"] = figure_bytes(fig, fmt, salt=stem)
    return files


def _safe_stem(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
    return cleaned or "class"


def class_stems(names: Sequence[str]) -> dict[str, str]:
    """A file-name and HTML-id safe stem per model class, distinct even when two names
    clean to the same text (``"chat model"`` and ``"chat_model"``: the second gets ``-2``)."""
    stems: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        stem = base = _safe_stem(name)
        number = 2
        while stem in taken:
            stem, number = f"{base}-{number}", number + 1
        taken.add(stem)
        stems[name] = stem
    return stems


def figure_format(path: Path | str) -> str:
    """The file format implied by a path's suffix; raises :class:`InputError` otherwise."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FIGURE_FORMATS:
        raise InputError(
            f"Cannot tell the figure format of '{path}'; end the file name in .png, .svg or .pdf."
        )
    return suffix


def figure_bytes(fig: Figure, fmt: str, *, salt: str = "safetywashing") -> bytes:
    """The figure rendered as PNG, SVG or PDF, reproducibly (no dates, fixed ids).

    Parameters
    ----------
    fig : Figure
    fmt : {"png", "svg", "pdf"}
    salt : str
        Seed of the SVG element ids; give each figure of one HTML page its own, so ids
        never collide.
    """
    if fmt not in FIGURE_FORMATS:
        raise InputError(f"Unknown figure format '{fmt}'; use png, svg or pdf.")
    metadata: dict[str, Any] = {
        "png": {"Software": None},
        "svg": {"Date": None, "Creator": None},
        "pdf": {"CreationDate": None, "Creator": None, "Producer": None},
    }[fmt]
    buffer = io.BytesIO()
    extra: dict[str, Any] = {}
    if fmt == "png":
        # The size rules keep figures small; this bounds the raster whatever they miss.
        extra["dpi"] = min(STYLE["savefig.dpi"], MAX_PIXELS / max(fig.get_size_inches()))
    with _style(**{"svg.hashsalt": salt}):
        fig.savefig(buffer, format=fmt, metadata=metadata, **extra)
    if fmt != "svg":
        return buffer.getvalue()
    return _with_titles(buffer.getvalue().decode("utf-8"), tooltips(fig), salt).encode("utf-8")


def _with_titles(svg: str, tips: dict[str, str], salt: str) -> str:
    """Give each tooltip point group a page-unique id and a <title> (XML-escaped)."""
    from xml.sax.saxutils import escape

    prefix = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in salt)
    for gid, tip in tips.items():
        svg = svg.replace(
            f'<g id="{gid}">',
            f'<g id="{prefix}-{gid}" class="sw-point"><title>{escape(tip)}</title>',
            1,
        )
    return svg


def save_figure(fig: Figure, path: Path | str, *, force: bool = True) -> Path:
    """Write a figure to ``path``; the suffix (.png, .svg, .pdf) chooses the format.

    The file is written atomically; with ``force=False`` an existing file is an error.
    """
    from safetywashing.io.writers import check_writable, write_atomic

    target = Path(path)
    fmt = figure_format(target)
    check_writable([target], force=force)
    write_atomic(target, figure_bytes(fig, fmt, salt=target.stem), force=force)
    return target


def figures_svg(figures: dict[str, Figure]) -> dict[str, str]:
    """Each figure as inline SVG markup (no XML prolog), ids salted by its name."""
    return {name: inline_svg(figure_bytes(fig, "svg", salt=name)) for name, fig in figures.items()}


def inline_svg(svg: bytes) -> str:
    """SVG document bytes as an element to place inside HTML."""
    text = svg.decode("utf-8")
    start = text.find("<svg")
    text = text[start:] if start >= 0 else text
    # The RDF metadata block names external vocabularies by URL; a page has no use for it.
    begin, end = text.find("<metadata>"), text.find("</metadata>")
    if 0 <= begin < end:
        text = text[:begin] + text[end + len("</metadata>") :]
    return text


def axes_of(fig: Figure) -> Sequence[Axes]:
    """The figure's axes (for tests and callers who restyle)."""
    return list(fig.axes)
