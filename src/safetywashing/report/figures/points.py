"""Points that carry hover texts, and the names written beside a scatter's points.

A point with a hover text is one artist with an SVG group id (``swpt-N``); the figure
carries the texts by those ids in its :class:`PointTips`, which SVG output turns into
``<title>`` elements (browsers show them as tooltips). The figure holds them itself, so
they live and die with it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from safetywashing.report.figures.style import (
    MAX_POINT_NAMES,
    MAX_TOOLTIP_POINTS,
    POINT_EXTREMES,
    plain,
    shorten,
)

if TYPE_CHECKING:
    import numpy.typing as npt
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    FloatArray = npt.NDArray[np.float64]

POINT_GID_PREFIX: Final = "swpt-"
"""The start of the SVG group id of every point with a hover text."""

# The one attribute of a figure that holds its points' hover texts.
_TIPS_ATTRIBUTE: Final = "safetywashing_point_tips"


@dataclass
class PointTips:
    """The hover texts of one figure's points, by SVG group id, in drawing order."""

    texts: dict[str, str] = field(default_factory=dict)

    def add(self, artist: Any, text: str) -> None:
        """Give ``artist`` the next group id and ``text`` as its hover text."""
        gid = f"{POINT_GID_PREFIX}{len(self.texts)}"
        artist.set_gid(gid)
        self.texts[gid] = text


def point_tips(fig: Figure) -> PointTips:
    """The figure's hover texts, created empty on first use."""
    tips = getattr(fig, _TIPS_ATTRIBUTE, None)
    if not isinstance(tips, PointTips):
        tips = PointTips()
        setattr(fig, _TIPS_ATTRIBUTE, tips)
    return tips


def tooltips(fig: Figure) -> dict[str, str]:
    """Hover texts of a figure's points, keyed by the SVG group id of each point."""
    tips = getattr(fig, _TIPS_ATTRIBUTE, None)
    return dict(tips.texts) if isinstance(tips, PointTips) else {}


def draw_points(
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
    store = point_tips(fig)
    for x, y, tip in zip(xs, ys, tips, strict=True):
        (line,) = ax.plot([x], [y], **style)
        store.add(line, tip)
        style.pop("label", None)


def legend_marker(colour: str, label: str, *, marker: str = "o", size: float = 3.0) -> Any:
    """A legend handle for a series drawn as many artists (one per point)."""
    from matplotlib.lines import Line2D

    return Line2D([], [], marker=marker, ls="none", ms=size, color=colour, label=plain(label))


def model_points(
    fig: Figure, ax: Axes, xs: FloatArray, ys: FloatArray, tips: Sequence[str], colour: str
) -> None:
    """One small dot per model, each with its tooltip."""
    draw_points(
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


# -- names beside the points --------------------------------------------------------------

_LEADER: Final[dict[str, Any]] = {
    "arrowstyle": "-",
    "lw": 0.3,
    "color": "#909090",
    "shrinkA": 0,
    "shrinkB": 1.5,
}


def pad_limits(ax: Axes, xs: FloatArray, ys: FloatArray) -> None:
    """Axis limits around the points with room for names (before :func:`name_points`)."""
    for values, setter, share in ((xs, ax.set_xlim, 0.06), (ys, ax.set_ylim, 0.08)):
        low, high = float(np.min(values)), float(np.max(values))
        pad = share * (high - low) if high > low else max(abs(low) * 0.1, 0.5)
        setter(low - pad, high + pad)


def named_points(ys: Sequence[float]) -> list[int]:
    """Which points a scatter names: all up to :data:`MAX_POINT_NAMES`, else the
    :data:`POINT_EXTREMES` highest and lowest ``ys``."""
    if len(ys) <= MAX_POINT_NAMES:
        return list(range(len(ys)))
    order = np.argsort(np.asarray(ys, dtype=np.float64), kind="stable")
    chosen = [*order[:POINT_EXTREMES], *order[-POINT_EXTREMES:]]
    return sorted(int(i) for i in chosen)


def naming_note(n_points: int) -> str:
    """What a title says of the names when only the extremes are named."""
    if n_points <= MAX_POINT_NAMES:
        return ""
    return f"; named: the {POINT_EXTREMES} highest and lowest"


def name_points(
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
            plain(shorten(names[i], 28)),
            (xs[i], ys[i]),
            xytext=(4 if right else -4, shift),
            textcoords="offset points",
            ha="left" if right else "right",
            va="center",
            fontsize=font_size,
            color="#303030",
            arrowprops=_LEADER if abs(shift) > 1.0 else None,
        )


def name_chosen_points(
    ax: Axes, xs: FloatArray, ys: FloatArray, names: Sequence[str], *, height_inches: float
) -> None:
    """Pad the limits around the points and name those :func:`named_points` picks."""
    if not len(xs):
        return
    pad_limits(ax, xs, ys)
    chosen = named_points([float(v) for v in ys])
    name_points(
        ax,
        [float(xs[i]) for i in chosen],
        [float(ys[i]) for i in chosen],
        [names[i] for i in chosen],
        height_inches=height_inches,
    )
