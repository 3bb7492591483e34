"""Checking a new benchmark against a panel: its capabilities and compute correlation.

:func:`check` joins a new benchmark's scores to the panel's models by name and reports
its capabilities and compute correlations, and where it ranks among the panel's
benchmarks. Uncertainty hook: :func:`check` accepts ``interval``, any callable that
takes a :class:`CheckData` (the matched models' capability block, capability scores,
the new scores and FLOP) and returns an :class:`Interval`; without it the interval
fields stay NaN and the verdict empty.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from safetywashing.core.decision import PAPER_THRESHOLD, DecisionRule
from safetywashing.core.document import envelope, finite
from safetywashing.core.errors import InputError
from safetywashing.core.result import Result
from safetywashing.io.tables.names import MatchReport, match_names
from safetywashing.io.tables.new_scores import NewScores
from safetywashing.panels.model import Panel, PanelBenchmark
from safetywashing.stats.correlation import CorrelationMethod, correlation
from safetywashing.stats.fisher import FISHER_VARIANCE, correlation_interval
from safetywashing.uncertainty.result import UncertaintySettings

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]

CHECK_KIND = "safetywashing-check"
MIN_MATCHED = 5


@dataclass(frozen=True)
class CheckData:
    """What an interval estimator receives: the matched models only, aligned.

    Attributes
    ----------
    capability_block : ndarray of shape (n, k)
        Raw capability scores of the matched models (imputed cells filled), so that a
        bootstrap can refit standardization and PC1 inside every resample.
    capability_scores : ndarray of shape (n,)
    scores : ndarray of shape (n,)
        The new benchmark's scores.
    flop : ndarray of shape (n,)
    method : str
        The correlation method.
    loadings : ndarray of shape (k,)
        The panel class's PC1 loadings (to align the sign of a refitted PC1).
    """

    capability_block: FloatArray
    capability_scores: FloatArray
    scores: FloatArray
    flop: FloatArray
    method: CorrelationMethod
    loadings: FloatArray = field(default_factory=lambda: np.zeros(0))


@dataclass(frozen=True)
class Interval:
    """An interval estimate of the capabilities correlation, from an estimator hook."""

    ci_low: float
    ci_high: float
    p_value: float = math.nan
    verdict: str = ""
    method: str = ""
    confidence: float = math.nan


IntervalEstimator = Callable[[CheckData], Interval]


@dataclass(frozen=True)
class Neighbour:
    """A panel benchmark next to the new one in the ranking."""

    id: str
    name: str
    capabilities_correlation: float


@dataclass(frozen=True, eq=False, repr=False)
class CheckResult(Result):
    """A new benchmark checked against a panel class.

    Attributes
    ----------
    benchmark : str
    panel : str
        The panel's label.
    model_class : str
    n : int
        Matched models with both a new score and a capability score.
    capabilities_correlation : float
    n_compute : int
    compute_correlation : float
    rank : int
        1 + the number of the panel's safety benchmarks (correlated with the capability
        score) whose capabilities correlation is higher.
    n_ranked : int
        Those panel benchmarks plus the new one.
    above, below : Neighbour or None
        The panel benchmarks just above and below in that ranking.
    mean_capability_correlation : float
        The panel's mean pairwise capability correlation (the paper's yardstick).
    threshold : float
        The decision line (the paper's 0.40).
    ci_low, ci_high, p_value : float
        From the interval hook; NaN when none was given.
    verdict : str
        From the interval hook; empty when none was given (or the hook gives none).
    interval_method : str
        How the interval was computed, in words.
    confidence : float
        The interval's confidence level; NaN without an interval.
    matching : MatchReport
    n_matched : int
        Input names placed on a panel model.
    panel_models : int
        Models in the panel class.
    sources : tuple of (str, str)
        The new scores' file and hash.
    """

    benchmark: str
    panel: str
    model_class: str
    n: int
    capabilities_correlation: float
    n_compute: int
    compute_correlation: float
    rank: int
    n_ranked: int
    above: Neighbour | None
    below: Neighbour | None
    mean_capability_correlation: float
    threshold: float
    matching: MatchReport
    n_matched: int
    panel_models: int
    sources: tuple[tuple[str, str], ...] = ()
    ci_low: float = math.nan
    ci_high: float = math.nan
    p_value: float = math.nan
    verdict: str = ""
    interval_method: str = ""
    method: str = "spearman"
    confidence: float = math.nan

    @property
    def rule(self) -> DecisionRule:
        """The decision rule of the reading."""
        return DecisionRule(self.threshold)

    @property
    def reading(self) -> str:
        """The paper's reading of the capabilities correlation under :attr:`rule`.

        "inverse", "low", "moderate" or "high" (at least the panel class's mean pairwise
        capability correlation); "n/a" when the correlation is undefined.
        """
        return self.rule.reading(
            self.capabilities_correlation, high=self.mean_capability_correlation
        )

    def summary_lines(self) -> list[str]:
        """The correlation, n and the rank among the panel's benchmarks."""
        return [
            f"{self.benchmark} against '{self.panel}' ({self.model_class}): "
            f"r={self.capabilities_correlation:+.3f} (n={self.n}), rank {self.rank} of "
            f"{self.n_ranked}",
            f"compute r={self.compute_correlation:+.3f} (n={self.n_compute}); "
            f"{self.n_matched} of {self.panel_models} panel models matched",
        ]

    def to_frame(self) -> pd.DataFrame:
        """The check as a one-row table."""
        import pandas as pd

        record = {**self.to_dict(), "reading": self.reading}
        keep = [
            "benchmark", "panel", "model_class", "n", "capabilities_correlation", "reading",
            "ci_low", "ci_high", "confidence", "p_value", "verdict", "n_compute",
            "compute_correlation", "rank", "n_ranked", "n_matched", "panel_models",
        ]  # fmt: skip
        return pd.DataFrame([{key: record[key] for key in keep}])

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON document of the check (NaN as null)."""

        def neighbour(item: Neighbour | None) -> dict[str, Any] | None:
            if item is None:
                return None
            return {
                "id": item.id,
                "name": item.name,
                "capabilities_correlation": finite(item.capabilities_correlation),
            }

        document = envelope(
            CHECK_KIND,
            config={"method": self.method, "threshold": self.threshold},
            sources=self.sources,
        )
        document.update(
            {
                "benchmark": self.benchmark,
                "panel": self.panel,
                "model_class": self.model_class,
                "n": self.n,
                "capabilities_correlation": finite(self.capabilities_correlation),
                "n_compute": self.n_compute,
                "compute_correlation": finite(self.compute_correlation),
                "rank": self.rank,
                "n_ranked": self.n_ranked,
                "above": neighbour(self.above),
                "below": neighbour(self.below),
                "mean_capability_correlation": finite(self.mean_capability_correlation),
                "low_threshold": self.threshold,
                "ci_low": finite(self.ci_low),
                "ci_high": finite(self.ci_high),
                "p_value": finite(self.p_value),
                "verdict": self.verdict or None,
                "interval_method": self.interval_method or None,
                "confidence": finite(self.confidence),
                "n_matched": self.n_matched,
                "panel_models": self.panel_models,
                "matching": self.matching.to_dict(),
            }
        )
        return document


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
