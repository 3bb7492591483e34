"""What every figure shares: the style, the size rules, labels and which classes to draw.

Style: 3.3 inches wide (one paper column), 7-point type, colour-blind safe colours
(Okabe and Ito), the same style in every figure. matplotlib is imported inside the
functions, so importing this module costs nothing on the audit path.
"""

from __future__ import annotations

import math
import textwrap
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from safetywashing.audit.result import AuditResult, BenchmarkResult, ClassAudit
from safetywashing.core.decision import PAPER_THRESHOLD
from safetywashing.core.errors import InputError, suggestion

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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
# Areas: the first six of PALETTE, black, then six more distinct hues.
AREA_PALETTE: Final = (
    *PALETTE[:6],
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


@contextmanager
def figure_style(**extra: Any) -> Iterator[None]:
    """:data:`STYLE` (and ``extra`` settings) in force inside the block."""
    import matplotlib

    settings: Any = {**STYLE, **extra}
    with matplotlib.rc_context(settings):
        yield


def new_figure(height: float, width: float = COLUMN_WIDTH) -> Figure:
    """An empty figure on the Agg canvas (never pyplot), laid out by constraints."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


# -- text ---------------------------------------------------------------------------------


def plain(text: str) -> str:
    """Text safe to hand to matplotlib: ``$`` would start mathtext, so it is escaped."""
    return text.replace("$", r"\$")


def shorten(text: str, limit: int = 48) -> str:
    """``text`` cut to ``limit`` characters in the middle, keeping its start and its end
    (names of one family often differ only at the end: ``..._v1``, ``..._v2``)."""
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return text[:head] + "…" + text[len(text) - (limit - 1 - head) :]


def short_labels(texts: Sequence[str], limit: int = 48) -> list[str]:
    """Tick labels, shortened with :func:`shorten` unless that would make two alike."""
    short = [shorten(text, limit) for text in texts]
    count = Counter(short)
    originals: dict[str, set[str]] = {}
    for text, label in zip(texts, short, strict=True):
        originals.setdefault(label, set()).add(text)
    return [
        label if count[label] == 1 or len(originals[label]) == 1 else text
        for text, label in zip(texts, short, strict=True)
    ]


def width_for_labels(labels: Sequence[str], *, font_size: float, plot_width: float) -> float:
    """Figure width that leaves ``plot_width`` inches of axes beside the longest label.

    An average glyph of DejaVu Sans is about 0.55 em wide.
    """
    longest = max((len(label) for label in labels), default=0)
    return max(COLUMN_WIDTH, 0.55 * font_size / 72 * longest + plot_width + 0.3)


def wrap(text: str, width: int = 60) -> str:
    """``text`` broken into lines of at most ``width`` characters."""
    return "\n".join(textwrap.wrap(text, width)) or text


def finite(value: float) -> bool:
    """Whether a value is a number to draw (neither NaN nor infinite)."""
    return not (math.isnan(value) or math.isinf(value))


def signed(value: float) -> str:
    """A correlation in a title: ``+0.904``, or ``undefined``."""
    return f"{value:+.3f}" if finite(value) else "undefined"


# -- which classes, and what the result says about itself ---------------------------------


def pick_class(result: AuditResult | ClassAudit, model_class: str | None) -> ClassAudit:
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


def drawn_classes(result: AuditResult | ClassAudit, model_class: str | None) -> list[ClassAudit]:
    """Every class of the result, or the one asked for."""
    if isinstance(result, ClassAudit) or model_class is not None:
        return [pick_class(result, model_class)]
    return list(result.classes)


def threshold_of(result: AuditResult | ClassAudit, low_threshold: float | None) -> float:
    """The decision line: the one asked for, else the audit's, else the paper's."""
    if low_threshold is not None:
        return low_threshold
    if isinstance(result, AuditResult):
        return result.config.threshold
    return PAPER_THRESHOLD


def symbol(result: AuditResult | ClassAudit) -> str:
    """The correlation's letter: ρ (Spearman), r (Pearson), τ (Kendall)."""
    if isinstance(result, AuditResult):
        return _SYMBOL.get(result.config.method, "r")
    return "ρ"


def matrix_kind(result: AuditResult | ClassAudit) -> str:
    """Which matrix PC1 was taken from, in words ("correlation" for a bare class)."""
    return result.config.matrix if isinstance(result, AuditResult) else "correlation"


def compute_label(result: AuditResult | ClassAudit) -> str:
    """What the compute figures are ("training FLOP" or a stand-in's name)."""
    return result.compute_label if isinstance(result, AuditResult) else "training FLOP"


def synthetic_suffix(result: AuditResult | ClassAudit) -> str:
    """`` (synthetic)`` for a simulated panel, for titles."""
    return " (synthetic)" if isinstance(result, AuditResult) and result.synthetic else ""


def class_phrase(classes: Sequence[ClassAudit]) -> str:
    """The classes in words: "chat models", "base and chat models", "5 model classes"."""
    names = [plain(c.model_class) for c in classes]
    if len(names) == 1:
        return f"{names[0]} models"
    if len(names) <= 3:
        return f"{', '.join(names[:-1])} and {names[-1]} models"
    return f"{len(names)} model classes"


def metric_words(metric: str) -> str:
    """A metadata metric as words: "Accuracy (↑)" -> "accuracy"; "" for none or N/A."""
    text = metric.replace("(↑)", "").replace("(↓)", "").strip()
    if text.upper() in ("", "N/A", "NA"):
        return ""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return text


def axis_label(outcome: BenchmarkResult) -> str:
    """A benchmark's axis label with its metric and which way is safer, as plotted.

    A lower-is-safer column is drawn negated (as the audit correlates it), so up is safer
    on every safety axis: "Jailbreak success, negated (attack success rate, lower is
    safer)".
    """
    metric = metric_words(outcome.metric)
    if outcome.role == "capability":
        way = "higher is better"
    elif outcome.flipped:
        way = "lower is safer"
    else:
        way = "higher is safer"
    name = plain(outcome.name) + (", negated" if outcome.flipped else "")
    return f"{name} ({plain(metric)}, {way})" if metric else f"{name} ({way})"
