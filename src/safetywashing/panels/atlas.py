"""One benchmark across many settings: its capabilities correlation in every panel.

The paper closes by asking that the capabilities correlation be measured across a wide
range of scenarios. :func:`atlas` checks one benchmark against several reference panels
(each model class separately), puts the correlations side by side with their n and
intervals, and pools them with a DerSimonian-Laird random-effects model on Fisher's z
(:func:`~safetywashing.stats.meta.meta_correlation`): the pooled correlation, the
between-setting variance tau^2 and the share of variability due to it, I^2, and a
sentence on whether the reading is stable across settings.

A setting is either the new benchmark's scores checked against a panel class
(:func:`~safetywashing.panels.check.check`), or a benchmark the panel already holds
(e.g. TruthfulQA, which the paper's panels and ObsScaling's carry), read from it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from safetywashing.core.decision import PAPER_THRESHOLD, DecisionRule
from safetywashing.core.errors import InputError, name_list, suggestion
from safetywashing.io.tables.new_scores import NewScores
from safetywashing.panels.check import check, closed_form_method
from safetywashing.panels.model import Panel, PanelBenchmark
from safetywashing.panels.result import (
    ATLAS_KIND,
    AtlasResult,
    AtlasSetting,
    CheckResult,
    IntervalEstimator,
    SkippedSetting,
)
from safetywashing.stats.fisher import correlation_interval
from safetywashing.stats.meta import meta_correlation

__all__ = [
    "ATLAS_KIND",
    "MIN_SETTING_MODELS",
    "AtlasResult",
    "AtlasSetting",
    "SkippedSetting",
    "atlas",
]

#: Fewest models a setting needs to enter the pooled estimate (Fisher's z needs n > 3).
MIN_SETTING_MODELS = 5


def atlas(
    panels: Sequence[Panel],
    *,
    new: NewScores | None = None,
    panel_benchmarks: Sequence[str] = (),
    aliases: dict[str, str] | None = None,
    threshold: float = PAPER_THRESHOLD,
    confidence: float = 0.95,
    interval: IntervalEstimator | None = None,
) -> AtlasResult:
    """One benchmark's capabilities correlation in every class of every panel, pooled.

    Parameters
    ----------
    panels : sequence of Panel
    new : NewScores, optional
        The benchmark's scores, checked against every panel class.
    panel_benchmarks : sequence of str, optional
        Instead of ``new``: the benchmark's names in the panels (the first one a panel
        class holds is used, case-insensitive), e.g. ``["truthfulqa_mc1", "TruthfulQA"]``.
    aliases : dict, optional
        Name in the new scores -> panel model id.
    threshold : float, default 0.40
    confidence : float, default 0.95
        Level of the per-setting Fisher intervals and of the pooled interval.
    interval : callable, optional
        An interval hook for the checks (e.g. a bootstrap); settings then carry its
        interval instead of Fisher's.

    Returns
    -------
    AtlasResult

    Examples
    --------
    >>> from safetywashing.panels import resolve_panel
    >>> panels = [resolve_panel(name) for name in ("paper-chat", "paper-base")]
    >>> found = atlas(panels, panel_benchmarks=["truthfulqa_mc1"])
    >>> [s.label for s in found.settings]
    ['paper-chat', 'paper-base']
    """
    DecisionRule(threshold)
    if (new is None) == (not panel_benchmarks):
        raise InputError(
            "Give either the new benchmark's scores or its names in the panels",
            param=("new", "panel_benchmarks"),
        )
    if new is None:
        _check_held(panels, panel_benchmarks)
    settings: list[AtlasSetting] = []
    skipped: list[SkippedSetting] = []
    for panel in panels:
        for panel_class in panel.classes:
            name = panel_class.model_class
            if new is not None:
                try:
                    found = check(
                        new,
                        panel,
                        model_class=name,
                        aliases=aliases,
                        threshold=threshold,
                        interval=interval,
                        confidence=confidence,
                    )
                except InputError as error:
                    skipped.append(SkippedSetting(panel.label, name, str(error)))
                    continue
                interval_of = (found.ci_low, found.ci_high, found.interval_method)
                settings.append(_setting(panel, name, "new scores", found, interval_of))
                continue
            wanted = [b.lower() for b in panel_benchmarks]
            held = next(
                (b for choice in wanted for b in panel_class.benchmarks if b.id.lower() == choice),
                None,
            )
            if held is None:
                skipped.append(
                    SkippedSetting(panel.label, name, "the panel holds none of these benchmarks")
                )
                continue
            if held.n < MIN_SETTING_MODELS or math.isnan(held.capabilities_correlation):
                skipped.append(
                    SkippedSetting(panel.label, name, f"only {held.n} models have {held.id}")
                )
                continue
            low, high = correlation_interval(held.capabilities_correlation, held.n, confidence)
            closed_form = (low, high, closed_form_method("spearman", confidence))
            settings.append(_setting(panel, name, f"panel benchmark {held.id}", held, closed_form))
    pooled = [
        s for s in settings if s.n >= MIN_SETTING_MODELS and abs(s.capabilities_correlation) < 1
    ]
    meta = (
        meta_correlation(
            [s.capabilities_correlation for s in pooled],
            [s.n for s in pooled],
            confidence=confidence,
        )
        if len(pooled) >= 2
        else None
    )
    benchmark = new.benchmark if new is not None else panel_benchmarks[0]
    return AtlasResult(
        benchmark=benchmark,
        settings=tuple(pooled),
        skipped=tuple(skipped),
        meta=meta,
        threshold=threshold,
        confidence=confidence,
        sources=((new.source, new.sha256),) if new is not None else (),
    )


def _check_held(panels: Sequence[Panel], names: Sequence[str]) -> None:
    """Refuse benchmark names that no class of any panel holds (a misspelling)."""
    held = {b.id for panel in panels for c in panel.classes for b in c.benchmarks}
    if {b.lower() for b in held} & {name.lower() for name in names}:
        return
    raise InputError(
        f"No panel holds the benchmark {name_list(list(names))}"
        f"{suggestion(names[0], sorted(held))}; give a benchmark of the panels",
        param="panel_benchmarks",
    )


def _setting(
    panel: Panel,
    model_class: str,
    source: str,
    measured: CheckResult | PanelBenchmark,
    interval: tuple[float, float, str],
) -> AtlasSetting:
    """A setting from what was measured in it (a check, or a benchmark the panel holds)
    and its interval (low, high, method)."""
    low, high, method = interval
    return AtlasSetting(
        panel=panel.label,
        model_class=model_class,
        source=source,
        n=measured.n,
        capabilities_correlation=measured.capabilities_correlation,
        ci_low=low,
        ci_high=high,
        interval_method=method,
        n_compute=measured.n_compute,
        compute_correlation=measured.compute_correlation,
    )
