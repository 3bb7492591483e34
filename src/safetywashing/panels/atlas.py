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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from safetywashing.core.decision import PAPER_THRESHOLD, DecisionRule
from safetywashing.core.document import envelope, finite
from safetywashing.core.errors import InputError
from safetywashing.core.result import Result
from safetywashing.io.tables.new_scores import NewScores
from safetywashing.panels.check import IntervalEstimator, check, closed_form_method
from safetywashing.panels.model import Panel
from safetywashing.stats.fisher import correlation_interval
from safetywashing.stats.meta import CorrelationMeta, meta_correlation

if TYPE_CHECKING:
    import pandas as pd

ATLAS_KIND = "safetywashing-atlas"
#: Fewest models a setting needs to enter the pooled estimate (Fisher's z needs n > 3).
MIN_SETTING_MODELS = 5


@dataclass(frozen=True)
class AtlasSetting:
    """The benchmark's capabilities correlation in one setting (a panel class).

    Attributes
    ----------
    panel, model_class : str
    source : str
        ``"new scores"`` or ``"panel benchmark <id>"``.
    n : int
    capabilities_correlation : float
    ci_low, ci_high : float
        The bootstrap interval when one was asked for, else Fisher's z interval.
    interval_method : str
    n_compute : int
    compute_correlation : float
    """

    panel: str
    model_class: str
    source: str
    n: int
    capabilities_correlation: float
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
    """One benchmark across settings, with a random-effects summary.

    Attributes
    ----------
    benchmark : str
    settings : tuple of AtlasSetting
    skipped : tuple of SkippedSetting
    meta : CorrelationMeta or None
        The pooled correlation (None with fewer than two settings).
    threshold : float
        The decision line of the readings.
    confidence : float
    sources : tuple of (str, str)
    """

    benchmark: str
    settings: tuple[AtlasSetting, ...]
    skipped: tuple[SkippedSetting, ...]
    meta: CorrelationMeta | None
    threshold: float = PAPER_THRESHOLD
    confidence: float = 0.95
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
                settings.append(
                    AtlasSetting(
                        panel=panel.label,
                        model_class=name,
                        source="new scores",
                        n=found.n,
                        capabilities_correlation=found.capabilities_correlation,
                        ci_low=found.ci_low,
                        ci_high=found.ci_high,
                        interval_method=found.interval_method,
                        n_compute=found.n_compute,
                        compute_correlation=found.compute_correlation,
                    )
                )
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
            settings.append(
                AtlasSetting(
                    panel=panel.label,
                    model_class=name,
                    source=f"panel benchmark {held.id}",
                    n=held.n,
                    capabilities_correlation=held.capabilities_correlation,
                    ci_low=low,
                    ci_high=high,
                    interval_method=closed_form_method("spearman", confidence),
                    n_compute=held.n_compute,
                    compute_correlation=held.compute_correlation,
                )
            )
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
