"""A bootstrap interval for a checked benchmark, plugged into :func:`check` as its hook.

The matched models are resampled with replacement; in every resample the new scores are
correlated (Spearman) with the panel's capability scores of the drawn models. The
capability scores are held at the panel's values (they were fitted on the whole panel,
not on the matched models), so the interval measures the sampling of the matched models,
and its centre is the check's own estimate. The p-value permutes the new scores against
the capability scores; the verdict uses the decision rule.
"""

from __future__ import annotations

import math

import numpy as np

from safetywashing.core.decision import PAPER_THRESHOLD, DecisionRule
from safetywashing.core.errors import InputError
from safetywashing.core.parallel import SERIAL
from safetywashing.panels.check import CheckData, Interval, IntervalEstimator
from safetywashing.stats.bootstrap import make_plan
from safetywashing.stats.intervals import percentile_interval
from safetywashing.stats.permutation import permutation_pvalues
from safetywashing.uncertainty.engine import run_resamples
from safetywashing.uncertainty.settings import DEFAULT_RESAMPLES, UncertaintySettings


def bootstrap_interval(
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence: float = 0.95,
    seed: int | None = None,
    permutations: int | None = None,
    threshold: float = PAPER_THRESHOLD,
) -> IntervalEstimator:
    """An interval hook for :func:`~safetywashing.panels.check.check`.

    Parameters
    ----------
    n_resamples : int, default 2000
    confidence : float, default 0.95
    seed : int, optional
        Drawn from entropy when not given (the interval then varies run to run).
    permutations : int, optional
        Permutations of the p-value; defaults to ``n_resamples``; 0 computes none.
    threshold : float, default 0.40
        The decision line of the verdict.

    Examples
    --------
    >>> from safetywashing import build_panel, load_demo_panel
    >>> from safetywashing.io.tables.new_scores import NewScores
    >>> from safetywashing.panels import check
    >>> panel = build_panel(load_demo_panel(), label="demo")
    >>> chat = panel["chat"]
    >>> new = NewScores("new", chat.model_ids, np.array([m.capability_score for m in chat.models]),
    ...                 "new.csv")
    >>> found = check(new, panel, model_class="chat", interval=bootstrap_interval(seed=1))
    >>> found.ci_low <= found.capabilities_correlation <= found.ci_high
    True
    """
    settings = UncertaintySettings.drawn(
        seed,
        n_resamples=n_resamples,
        confidence=confidence,
        permutations=permutations,
        rule=DecisionRule(threshold),
    )
    return interval_hook(settings)


def interval_hook(settings: UncertaintySettings) -> IntervalEstimator:
    """The hook of :func:`bootstrap_interval` for settings checked already.

    Its ``n_resamples``, ``confidence``, ``seed``, ``permutations`` (by default as many as
    the resamples) and ``rule`` are read; the other settings do not apply to one
    benchmark.
    """
    rule = settings.rule
    resamples = settings.n_resamples
    confidence = settings.confidence
    permuted = resamples if settings.permutations is None else settings.permutations
    root = settings.root

    def estimate(data: CheckData) -> Interval:
        if data.method != "spearman":
            raise InputError(
                f"The check's bootstrap supports the Spearman correlation only; got "
                f"method={data.method!r}",
                param="method",
            )
        plan = make_plan(
            np.asarray(data.capability_block, dtype=np.float64),
            np.asarray(data.scores, dtype=np.float64)[:, None],
            reference_loadings=np.asarray(data.loadings, dtype=np.float64),
            references=[np.asarray(data.capability_scores, dtype=np.float64)],
        )
        draws = run_resamples(plan, resamples, root, SERIAL)
        low, high = (float(v[0]) for v in percentile_interval(draws["capabilities"], confidence))
        p_value = math.nan
        if permuted > 0:
            p_value = float(
                permutation_pvalues(data.capability_scores, data.scores[:, None], permuted, root)[0]
            )
        return Interval(
            ci_low=low,
            ci_high=high,
            p_value=p_value,
            verdict=rule.verdict(low, high),
            method=(
                f"{100 * confidence:g}% percentile bootstrap over the {len(data.scores)} matched "
                f"models ({resamples} resamples; panel capability scores held fixed)"
            ),
            confidence=confidence,
        )

    return estimate
