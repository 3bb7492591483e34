"""One entry point for every figure, the standard set, and figures as files.

Rendering is reproducible: no dates in any format, SVG element ids seeded by a salt,
and each point's hover text (see :mod:`~safetywashing.report.figures.points`) written
into the SVG as a ``<title>``. A PNG's longer side is capped at :data:`MAX_PIXELS`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safetywashing.audit.result import AuditResult, ClassAudit
from safetywashing.core.errors import InputError, suggestion
from safetywashing.report.figures.compute import compute_figure
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
    FIGURE_FORMATS,
    FIGURE_KINDS,
    MAX_PIXELS,
    STYLE,
    figure_style,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


# The figures drawn from the result alone, by kind (``scatter`` also needs a benchmark).
_BY_RESULT: dict[str, Callable[..., Figure]] = {
    "scores": scores_figure,
    "scree": scree_figure,
    "heatmap": heatmap_figure,
    "loadings": loadings_figure,
    "forest": forest_figure,
    "compute": compute_figure,
    "score_compute": score_compute_figure,
}


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
    drawer = _BY_RESULT.get(kind)
    if drawer is not None:
        return drawer(result, model_class=model_class)
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


def _id_safe(name: str) -> str:
    """``name`` with every character but letters, digits, ``-`` and ``_`` made ``_``."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)


def class_stems(names: Sequence[str]) -> dict[str, str]:
    """A file-name and HTML-id safe stem per model class, distinct even when two names
    clean to the same text (``"chat model"`` and ``"chat_model"``: the second gets ``-2``)."""
    stems: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        stem = base = _id_safe(name) or "class"
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
    with figure_style(**{"svg.hashsalt": salt}):
        fig.savefig(buffer, format=fmt, metadata=metadata, **extra)
    if fmt != "svg":
        return buffer.getvalue()
    return _with_titles(buffer.getvalue().decode("utf-8"), tooltips(fig), salt).encode("utf-8")


def _with_titles(svg: str, tips: dict[str, str], salt: str) -> str:
    """Give each tooltip point group a page-unique id and a <title> (XML-escaped)."""
    from xml.sax.saxutils import escape

    prefix = _id_safe(salt)
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
