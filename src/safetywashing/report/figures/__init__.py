"""Publication figures of an audit (matplotlib, Agg, no pyplot).

Every function takes finished results and returns a :class:`matplotlib.figure.Figure`;
nothing here recomputes a statistic. :func:`scatter_figure` plots a benchmark's scores
from the audit's prepared data (a figure of data needs the data); the correlation in its
title is the audit's, and its line is a monotone fit
(:func:`safetywashing.stats.isotonic.isotonic_fit`).

Figures are drawn on ``matplotlib.figure.Figure`` directly, which uses the Agg canvas and
never touches a GUI backend or pyplot's global state. matplotlib is imported inside the
functions, so importing this package costs nothing on the audit path.

One module per kind of figure:

- :mod:`~safetywashing.report.figures.style`: the shared style, size rules, labels and
  which classes to draw;
- :mod:`~safetywashing.report.figures.points`: points with hover texts, names beside
  points;
- :mod:`~safetywashing.report.figures.structure`: capability scores, scree, heatmap,
  loadings;
- :mod:`~safetywashing.report.figures.scatter`: one benchmark against the capability
  score, the capability score against compute;
- :mod:`~safetywashing.report.figures.forest`: the overview by safety area;
- :mod:`~safetywashing.report.figures.compute`: capabilities against compute
  correlation;
- :mod:`~safetywashing.report.figures.files`: :func:`make_figure`, the standard set and
  rendering to PNG, SVG and PDF.

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

from safetywashing.report.figures.compute import compute_figure
from safetywashing.report.figures.files import (
    axes_of,
    class_stems,
    figure_bytes,
    figure_files,
    figure_format,
    figures_svg,
    inline_svg,
    make_figure,
    save_figure,
    standard_figures,
)
from safetywashing.report.figures.forest import forest_figure
from safetywashing.report.figures.points import tooltips
from safetywashing.report.figures.scatter import has_compute, scatter_figure, score_compute_figure
from safetywashing.report.figures.structure import (
    heatmap_figure,
    loadings_figure,
    scores_figure,
    scree_figure,
)
from safetywashing.report.figures.style import (
    AREA_PALETTE,
    BAND_COLOUR,
    COLUMN_WIDTH,
    FIGURE_FORMATS,
    FIGURE_KINDS,
    LEGEND_ABOVE,
    MAX_AREA_ROWS,
    MAX_FOREST_ROWS,
    MAX_HEATMAP_LABELS,
    MAX_HEATMAP_SIDE,
    MAX_HEATMAP_VALUES,
    MAX_LOADING_BARS,
    MAX_NAMED_BENCHMARKS,
    MAX_NAMED_MODELS,
    MAX_PIXELS,
    MAX_POINT_NAMES,
    MAX_SCREE_BARS,
    MAX_TOOLTIP_POINTS,
    PALETTE,
    POINT_EXTREMES,
    STYLE,
    TOP_BOTTOM,
    plain,
)

__all__ = [
    "AREA_PALETTE",
    "BAND_COLOUR",
    "COLUMN_WIDTH",
    "FIGURE_FORMATS",
    "FIGURE_KINDS",
    "LEGEND_ABOVE",
    "MAX_AREA_ROWS",
    "MAX_FOREST_ROWS",
    "MAX_HEATMAP_LABELS",
    "MAX_HEATMAP_SIDE",
    "MAX_HEATMAP_VALUES",
    "MAX_LOADING_BARS",
    "MAX_NAMED_BENCHMARKS",
    "MAX_NAMED_MODELS",
    "MAX_PIXELS",
    "MAX_POINT_NAMES",
    "MAX_SCREE_BARS",
    "MAX_TOOLTIP_POINTS",
    "PALETTE",
    "POINT_EXTREMES",
    "STYLE",
    "TOP_BOTTOM",
    "axes_of",
    "class_stems",
    "compute_figure",
    "figure_bytes",
    "figure_files",
    "figure_format",
    "figures_svg",
    "forest_figure",
    "has_compute",
    "heatmap_figure",
    "inline_svg",
    "loadings_figure",
    "make_figure",
    "plain",
    "save_figure",
    "scatter_figure",
    "score_compute_figure",
    "scores_figure",
    "scree_figure",
    "standard_figures",
    "tooltips",
]
