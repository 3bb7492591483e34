"""The typed results of checking a benchmark against reference panels.

- :class:`CheckResult`: one new benchmark against one panel class (from
  :func:`~safetywashing.panels.check.check`), with :class:`Neighbour` and the interval an
  :data:`IntervalEstimator` (fed :class:`CheckData`) returns as an :class:`Interval`;
- :class:`AtlasResult`: one benchmark across settings (from
  :func:`~safetywashing.panels.atlas.atlas`), each an :class:`AtlasSetting` or a
  :class:`SkippedSetting`, pooled by a random-effects meta-analysis.

Reports read these types; they import nothing that computes.
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
from safetywashing.core.result import Result
from safetywashing.io.tables.names import MatchReport
from safetywashing.stats.correlation import CorrelationMethod
from safetywashing.stats.meta import CorrelationMeta

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]

CHECK_KIND = "safetywashing-check"
ATLAS_KIND = "safetywashing-atlas"


# -- one benchmark against one panel class ------------------------------------------------


@dataclass(frozen=True)
class CheckData:
    """What an interval estimator receives: the matched models only, aligned."""

    #: ndarray of shape (n, k): Raw capability scores of the matched models (imputed cells filled),
    #: so that a bootstrap can refit standardization and PC1 inside every resample.
    capability_block: FloatArray
    #: ndarray of shape (n,)
    capability_scores: FloatArray
    #: ndarray of shape (n,): The new benchmark's scores.
    scores: FloatArray
    #: ndarray of shape (n,)
    flop: FloatArray
    #: The correlation method.
    method: CorrelationMethod
    #: ndarray of shape (k,): The panel class's PC1 loadings (to align the sign of a refitted PC1).
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
    """A new benchmark checked against a panel class."""

    benchmark: str
    #: The panel's label.
    panel: str
    model_class: str
    #: Matched models with both a new score and a capability score.
    n: int
    capabilities_correlation: float
    n_compute: int
    compute_correlation: float
    #: 1 + the number of the panel's safety benchmarks (correlated with the capability score) whose
    #: capabilities correlation is higher.
    rank: int
    #: Those panel benchmarks plus the new one.
    n_ranked: int
    #: above, below: The panel benchmarks just above and below in that ranking.
    above: Neighbour | None
    below: Neighbour | None
    #: The panel's mean pairwise capability correlation (the paper's yardstick).
    mean_capability_correlation: float
    #: The decision line (the paper's 0.40).
    threshold: float
    matching: MatchReport
    #: Input names placed on a panel model.
    n_matched: int
    #: Models in the panel class.
    panel_models: int
    #: tuple of (str, str): The new scores' file and hash.
    sources: tuple[tuple[str, str], ...] = ()
    #: ci_low, ci_high, p_value: From the interval hook; NaN when none was given.
    ci_low: float = math.nan
    ci_high: float = math.nan
    p_value: float = math.nan
    #: From the interval hook; empty when none was given (or the hook gives none).
    verdict: str = ""
    #: How the interval was computed, in words.
    interval_method: str = ""
    method: str = "spearman"
    #: The interval's confidence level; NaN without an interval.
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


# -- one benchmark across settings ------------------------------------------------------


@dataclass(frozen=True)
class AtlasSetting:
    """The benchmark's capabilities correlation in one setting (a panel class)."""

    panel: str
    model_class: str
    #: ``"new scores"`` or ``"panel benchmark <id>"``.
    source: str
    n: int
    capabilities_correlation: float
    #: ci_low, ci_high: The bootstrap interval when one was asked for, else Fisher's z interval.
    ci_low: float
    ci_high: float
    interval_method: str
    n_compute: int = 0
    compute_correlation: float = math.nan

    @property
    def label(self) -> str:
        """``panel (class)``, or the panel alone when its name already says the class."""
        return (
            self.panel
            if self.panel.endswith(f"-{self.model_class}")
            else f"{self.panel} ({self.model_class})"
        )


@dataclass(frozen=True)
class SkippedSetting:
    """A panel class the benchmark could not be measured in, and why."""

    panel: str
    model_class: str
    reason: str


@dataclass(frozen=True, eq=False, repr=False)
class AtlasResult(Result):
    """One benchmark across settings, with a random-effects summary."""

    benchmark: str
    settings: tuple[AtlasSetting, ...]
    skipped: tuple[SkippedSetting, ...]
    #: The pooled correlation (None with fewer than two settings).
    meta: CorrelationMeta | None
    #: The decision line of the readings.
    threshold: float = PAPER_THRESHOLD
    confidence: float = 0.95
    #: tuple of (str, str)
    sources: tuple[tuple[str, str], ...] = field(default=())

    def zones(self) -> tuple[str, ...]:
        """Each setting's zone at the decision line (entangled, distinct, inverse)."""
        rule = DecisionRule(self.threshold)
        return tuple(rule.zone(s.capabilities_correlation) for s in self.settings)

    def stability(self) -> str:
        """One sentence: does the reading hold across the settings?"""
        k = len(self.settings)
        if k == 0:
            return "The benchmark could not be measured in any setting."
        zones = self.zones()
        line = f"±{self.threshold:.2f}"
        if k == 1:
            return (
                f"Only one setting ({self.settings[0].label}) has enough models; its reading is "
                f"{zones[0]} at {line}, and stability across settings cannot be judged."
            )
        assert self.meta is not None
        i2 = self.meta.i2
        heterogeneity = (
            f"I² = {100 * i2:.0f}%, tau² = {self.meta.tau2:.3f}" if not math.isnan(i2) else ""
        )
        if len(set(zones)) == 1:
            strength = "little" if i2 < 0.25 else "moderate" if i2 < 0.75 else "much"
            return (
                f"The reading is stable across the {k} settings: every one is {zones[0]} at "
                f"{line}, with {strength} heterogeneity beyond sampling error ({heterogeneity})."
            )
        by_zone: dict[str, list[str]] = {}
        for setting, zone in zip(self.settings, zones, strict=True):
            by_zone.setdefault(zone, []).append(setting.label)
        parts = "; ".join(f"{zone} in {', '.join(labels)}" for zone, labels in by_zone.items())
        return (
            f"The reading depends on the setting ({heterogeneity}): {parts}. Report the "
            "setting with the correlation."
        )

    def summary_lines(self) -> list[str]:
        """The pooled correlation and the settings."""
        head = f"{self.benchmark}: {len(self.settings)} settings"
        if self.meta is not None:
            head += (
                f", pooled r={self.meta.r:+.3f} [{self.meta.ci_low:+.3f}, {self.meta.ci_high:+.3f}]"
                f", I²={100 * self.meta.i2:.0f}%"
            )
        return [
            head,
            *(f"{s.label}: r={s.capabilities_correlation:+.3f} (n={s.n})" for s in self.settings),
        ]

    def to_frame(self) -> pd.DataFrame:
        """One row per setting, the pooled estimate last."""
        import pandas as pd

        rows = [
            {
                "setting": s.label,
                "panel": s.panel,
                "model_class": s.model_class,
                "source": s.source,
                "n": s.n,
                "capabilities_correlation": s.capabilities_correlation,
                "ci_low": s.ci_low,
                "ci_high": s.ci_high,
                "weight": float(self.meta.weights[i]) if self.meta is not None else math.nan,
                "zone": zone,
            }
            for i, (s, zone) in enumerate(zip(self.settings, self.zones(), strict=True))
        ]
        if self.meta is not None:
            rows.append(
                {
                    "setting": "random-effects pooled",
                    "panel": "",
                    "model_class": "",
                    "source": "DerSimonian-Laird on Fisher's z",
                    "n": int(sum(s.n for s in self.settings)),
                    "capabilities_correlation": self.meta.r,
                    "ci_low": self.meta.ci_low,
                    "ci_high": self.meta.ci_high,
                    "weight": 1.0,
                    "zone": DecisionRule(self.threshold).zone(self.meta.r),
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON document (NaN as null)."""
        document = envelope(
            ATLAS_KIND,
            config={"threshold": self.threshold, "confidence": self.confidence},
            sources=self.sources,
        )
        document["benchmark"] = self.benchmark
        document["settings"] = [
            {
                "panel": s.panel,
                "model_class": s.model_class,
                "source": s.source,
                "n": s.n,
                "capabilities_correlation": finite(s.capabilities_correlation),
                "ci_low": finite(s.ci_low),
                "ci_high": finite(s.ci_high),
                "interval_method": s.interval_method,
                "n_compute": s.n_compute,
                "compute_correlation": finite(s.compute_correlation),
                "zone": zone,
            }
            for s, zone in zip(self.settings, self.zones(), strict=True)
        ]
        document["skipped"] = [
            {"panel": s.panel, "model_class": s.model_class, "reason": s.reason}
            for s in self.skipped
        ]
        document["pooled"] = (
            {
                key: finite(v) if isinstance(v, float) else v
                for key, v in self.meta.to_dict().items()
            }
            if self.meta is not None
            else None
        )
        document["stability"] = self.stability()
        return document
