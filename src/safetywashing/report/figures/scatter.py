"""Scatter figures of models: one benchmark against the capability score, and the
capability score against compute."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from safetywashing.audit.result import AuditResult, ClassAudit
from safetywashing.core.errors import InputError
from safetywashing.report.figures.points import (
    legend_marker,
    model_points,
    name_chosen_points,
    naming_note,
)
from safetywashing.report.figures.style import (
    PALETTE,
    axis_label,
    class_phrase,
    compute_label,
    drawn_classes,
    figure_style,
    finite,
    new_figure,
    pick_class,
    plain,
    signed,
    symbol,
    synthetic_suffix,
    wrap,
)
from safetywashing.stats.isotonic import isotonic_fit

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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
        to :data:`~safetywashing.report.figures.style.MAX_POINT_NAMES`; beyond, the
        :data:`~safetywashing.report.figures.style.POINT_EXTREMES` highest and lowest
        scores), the audit's score-compute correlation and n in the title, and the
        models left out counted.

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
    classes = drawn_classes(result, model_class)
    label = compute_label(result)
    drawn = [c for c in classes if has_compute(c)]
    if not drawn:
        raise InputError(
            f"No model has a {label} figure, so there is no score-compute figure; add a "
            "FLOP column to the scores (or read a stand-in with --compute-kind)."
        )
    without = [c for c in classes if not has_compute(c)]
    letter = symbol(result)
    with figure_style():
        fig = new_figure(0.5 + 2.5 * len(drawn))
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
            model_points(
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
            name_chosen_points(ax, xs, ys, names, height_inches=1.7)
            ax.set_xlabel(f"log10 {label}")
            ax.set_ylabel("capability score")
            ax.grid(True)
            missing = int(scored.sum() - keep.sum())
            note = (
                f"\n{missing:,} scored model{'s' if missing != 1 else ''} without a "
                f"{label} figure left out"
                if missing
                else ""
            )
            ax.set_title(
                f"{plain(audit_of_class.model_class)} models: {letter} = "
                f"{signed(audit_of_class.score_compute_correlation)}, "
                f"n = {audit_of_class.score_compute_n}{naming_note(len(xs))}{note}",
                loc="left",
            )
        title = f"Capability score against {label}" + synthetic_suffix(result)
        if without:
            title += "\nno " + label + " figures: " + class_phrase(without)
        fig.suptitle(title, x=0.02, ha="left")
    return fig


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
        A point per model, named (up to
        :data:`~safetywashing.report.figures.style.MAX_POINT_NAMES` models; beyond, the
        :data:`~safetywashing.report.figures.style.POINT_EXTREMES` highest and lowest on
        the benchmark); the monotone (isotonic) fit in the direction of the audit's
        correlation, which, like a rank correlation, assumes only that the relation is
        monotone; the audit's correlation and n in the title; the metric and which way is
        safer on the axis.
    """
    audit_of_class = pick_class(result, model_class)
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
        x_label = axis_label(source) if source else plain(outcome.correlated_with)
    both = ~(np.isnan(x) | np.isnan(y))
    xs, ys = x[both], y[both]
    names = [n for n, keep in zip(audit_of_class.model_names, both, strict=True) if keep]
    r = outcome.capabilities_correlation
    letter = symbol(result)
    with figure_style():
        fig = new_figure(3.1)
        ax = fig.add_subplot()
        model_points(
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
        handles: list[Any] = [legend_marker(PALETTE[0], f"models (n = {len(xs):,})")]
        if len(xs) >= 2 and np.ptp(xs) > 0 and finite(r):
            increasing = r >= 0
            line_x, line_y = isotonic_fit(xs, ys, increasing=increasing)
            (line,) = ax.plot(
                line_x,
                line_y,
                "-",
                color=PALETTE[1],
                lw=0.9,
                label=f"monotone (isotonic) fit, {'increasing' if increasing else 'decreasing'}"
                f" like {letter}",
            )
            handles.append(line)
        else:
            handles.append(legend_marker("none", f"no line: {letter} undefined", marker=""))
        name_chosen_points(ax, xs, ys, names, height_inches=1.9)
        ax.set_xlabel(wrap(x_label, 55))
        ax.set_ylabel(wrap(axis_label(outcome), 42))
        ax.grid(True)
        interval = (
            f" [{outcome.ci_low:+.2f}, {outcome.ci_high:+.2f}]"
            if finite(outcome.ci_low) and finite(outcome.ci_high)
            else ""
        )
        ax.set_title(
            wrap(f"{plain(audit_of_class.model_class)} models: {plain(outcome.name)}", 55)
            + f"\n{letter} = {signed(r)}{interval}, n = {outcome.n}{naming_note(len(xs))}"
            + synthetic_suffix(result),
            loc="left",
        )
        fig.legend(handles=handles, loc="outside lower left", ncols=1)
    return fig
