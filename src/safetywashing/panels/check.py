"""Checking a new benchmark against a panel: its capabilities and compute correlation.

:func:`check` joins a new benchmark's scores to the panel's models by name and reports
its capabilities and compute correlations, and where it ranks among the panel's
benchmarks. Uncertainty hook: :func:`check` accepts ``interval``, any callable that
takes a :class:`CheckData` (the matched models' capability block, capability scores,
the new scores and FLOP) and returns an :class:`Interval`; without it the interval is
Fisher's z in closed form. The result types live in :mod:`safetywashing.panels.result`.
"""

from __future__ import annotations

import math

import numpy as np

from safetywashing.core.decision import PAPER_THRESHOLD, DecisionRule
from safetywashing.core.errors import InputError
from safetywashing.io.tables.names import match_names
from safetywashing.io.tables.new_scores import NewScores
from safetywashing.panels.model import Panel, PanelBenchmark
from safetywashing.panels.result import (
    CHECK_KIND,
    CheckData,
    CheckResult,
    Interval,
    IntervalEstimator,
    Neighbour,
)
from safetywashing.stats.correlation import CorrelationMethod, correlation
from safetywashing.stats.fisher import FISHER_VARIANCE, correlation_interval
from safetywashing.uncertainty.settings import UncertaintySettings

__all__ = [
    "CHECK_KIND",
    "MIN_MATCHED",
    "CheckData",
    "CheckResult",
    "Interval",
    "IntervalEstimator",
    "Neighbour",
    "check",
    "closed_form_method",
]

MIN_MATCHED = 5


def closed_form_method(method: str, confidence: float) -> str:
    """How a closed-form interval of :func:`check` (and of the atlas) is made, in words.

    Examples
    --------
    >>> closed_form_method("spearman", 0.95)
    '95% Fisher-z interval (closed form, variance 1.06 / (n - 3) for Spearman; no resampling)'
    """
    factor, offset = FISHER_VARIANCE[method]
    return (
        f"{100 * confidence:g}% Fisher-z interval (closed form, variance {factor:g} / "
        f"(n - {offset}) for {method.capitalize()}; no resampling)"
    )


def check(
    new: NewScores,
    panel: Panel,
    *,
    model_class: str | None = None,
    aliases: dict[str, str] | None = None,
    method: CorrelationMethod = "spearman",
    threshold: float = PAPER_THRESHOLD,
    interval: IntervalEstimator | None = None,
    confidence: float = 0.95,
) -> CheckResult:
    """Check a new benchmark against a panel.

    Parameters
    ----------
    new : NewScores
        From :func:`read_new_scores`.
    panel : Panel
    model_class : str, optional
        The panel class to use; by default the class that matches most of the names.
    aliases : dict, optional
        Name as written in the new file -> panel model id.
    method : {"spearman", "pearson", "kendall"}, default "spearman"
    threshold : float, default 0.40
        The decision line of the reading.
    interval : callable, optional
        Interval estimator hook (e.g. a bootstrap): receives :class:`CheckData`. Without
        one, the interval is Fisher's z in closed form (:func:`closed_form_method`), with
        no p-value and no verdict.
    confidence : float, default 0.95
        The level of that closed-form interval (a hook sets its own).

    Returns
    -------
    CheckResult

    Raises
    ------
    InputError
        No models, no name matching the panel, fewer than 5 matched models with scores,
        or two names of the file matching the same panel model with different scores;
        a confidence outside (0, 1).
    """
    DecisionRule(threshold)
    UncertaintySettings(confidence=confidence)  # its one sentence for a bad level
    if not new.models:
        raise InputError(f"{new.source} has no scores; add one row per model (model, score).")
    reports = {}
    for panel_class in panel.classes:
        if model_class is not None and panel_class.model_class != model_class:
            continue
        reports[panel_class.model_class] = match_names(
            new.models,
            panel_class.model_ids,
            panel_names=[m.name for m in panel_class.models],
            aliases=aliases,
        )
    if model_class is not None and not reports:
        panel[model_class]  # raises the error naming the classes
    chosen = max(reports, key=lambda name: len(reports[name].matches))
    report = reports[chosen]
    panel_class = panel[chosen]
    if not report.matches:
        example = report.unmatched[0]
        raise InputError(
            f"None of the {len(new.models)} models in {new.source} matches a model of the "
            f"panel '{panel.label}' ({chosen}: e.g. '{example.name}' is closest to "
            f"{', '.join(repr(c) for c in example.closest)}); check the names or map them "
            "with --aliases."
        )
    scores = np.full(len(panel_class.models), np.nan)
    placed: dict[str, str] = {}
    position = {model: i for i, model in enumerate(panel_class.model_ids)}
    by_name = dict(zip(new.models, new.scores, strict=True))
    for match in report.matches:
        value = float(by_name[match.name])
        row = position[match.panel_id]
        if match.panel_id in placed and not (
            scores[row] == value or (math.isnan(scores[row]) and math.isnan(value))
        ):
            raise InputError(
                f"{new.source}: '{placed[match.panel_id]}' and '{match.name}' both name the "
                f"panel model '{match.panel_id}' but have different scores "
                f"({scores[row]:g} and {value:g}); keep one row per model."
            )
        placed[match.panel_id] = match.name
        scores[row] = value
    capability = np.array([m.capability_score for m in panel_class.models])
    flop = np.array([m.flop for m in panel_class.models])
    both = ~np.isnan(scores) & ~np.isnan(capability)
    n_both = int(both.sum())
    if n_both < MIN_MATCHED:
        raise InputError(
            f"Only {n_both} model{'s' if n_both != 1 else ''} of {new.source} "
            f"match{'' if n_both != 1 else 'es'} the panel '{panel.label}' ({chosen}) with a "
            f"score; a capabilities correlation needs at least {MIN_MATCHED}, so add scores "
            "for more of the panel's models or map names with --aliases."
        )
    r, n = correlation(capability, scores, method)
    r_compute, n_compute = correlation(flop, scores, method)
    # Ranked among the panel's safety benchmarks: capability benchmarks are the score's
    # own inputs, and calibration rows are correlated with their task, not the score.
    ranked = [
        b
        for b in panel_class.benchmarks
        if b.role == "safety"
        and b.correlated_with == "capability score"
        and not math.isnan(b.capabilities_correlation)
    ]
    ranked.sort(key=lambda b: -b.capabilities_correlation)
    higher = [b for b in ranked if b.capabilities_correlation > r]
    lower = [b for b in ranked if b.capabilities_correlation <= r]
    above = higher[-1] if higher else None
    below = lower[0] if lower else None
    if interval is None:
        low, high = correlation_interval(r, n, confidence, method)
        ci = Interval(
            low, high, method=closed_form_method(method, confidence), confidence=confidence
        )
    else:
        block = np.array([m.capability_values for m in panel_class.models], dtype=np.float64)
        ci = interval(
            CheckData(
                capability_block=block[both],
                capability_scores=capability[both],
                scores=scores[both],
                flop=flop[both],
                method=method,
                loadings=np.asarray(panel_class.loadings, dtype=np.float64),
            )
        )
    return CheckResult(
        benchmark=new.benchmark,
        panel=panel.label,
        model_class=chosen,
        n=n,
        capabilities_correlation=r,
        n_compute=n_compute,
        compute_correlation=r_compute,
        rank=len(higher) + 1,
        n_ranked=len(ranked) + 1,
        above=_neighbour(above),
        below=_neighbour(below),
        mean_capability_correlation=panel_class.mean_capability_correlation,
        threshold=threshold,
        matching=report,
        n_matched=len(placed),
        panel_models=len(panel_class.models),
        sources=((new.source, new.sha256),),
        ci_low=ci.ci_low,
        ci_high=ci.ci_high,
        p_value=ci.p_value,
        verdict=ci.verdict,
        interval_method=ci.method,
        method=method,
        confidence=ci.confidence,
    )


def _neighbour(item: PanelBenchmark | None) -> Neighbour | None:
    if item is None:
        return None
    return Neighbour(item.id, item.name, item.capabilities_correlation)
