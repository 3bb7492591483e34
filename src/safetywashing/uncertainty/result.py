"""Results of the uncertainty analysis: per-class intervals, p-values and verdicts.

:class:`UncertaintyResult` is what :func:`~safetywashing.uncertainty.compute.bootstrap_audit`
returns; :meth:`UncertaintyResult.apply` fills the audit's per-benchmark intervals and
verdicts and attaches the result itself to the audit (``AuditResult.uncertainty``), where
the reports read its fields. Its settings live in :mod:`safetywashing.uncertainty.settings`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from safetywashing.audit.result import AuditResult, BenchmarkResult, ClassAudit
from safetywashing.core.decision import DecisionRule
from safetywashing.core.document import finite, finite_list
from safetywashing.core.errors import InputError
from safetywashing.core.result import ByClass, Result, position
from safetywashing.stats.intervals import IntervalKind
from safetywashing.stats.multiple import Adjustment
from safetywashing.uncertainty.settings import (
    DEGENERATE_FLAG,
    PERMUTATION_RULE,
    UncertaintySettings,
)

# Where benchmarks/bench_distributed.py still imports it from (it lives in settings).

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEGENERATE_FLAG",
    "PERMUTATION_RULE",
    "ClassUncertainty",
    "UncertaintyResult",
    "UncertaintySettings",
]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False, repr=False)
class ClassUncertainty(Result):
    """Bootstrap and permutation results of one model class."""

    model_class: str
    #: Aligned with every per-benchmark array (the audit's benchmark order).
    benchmark_ids: tuple[str, ...]
    #: ndarray of shape (J,): Full-data capabilities correlations.
    estimate: FloatArray
    #: ndarray of shape (2, J): percentile, bca: Interval ends (low, high) of each kind. The BCa
    #: interval is NaN when it was not asked for and its jackknife would have cost more than a
    #: quarter of the bootstrap (:func:`~safetywashing.uncertainty.settings.needs_jackknife`).
    percentile: FloatArray
    bca: FloatArray
    #: ndarray of shape (J,): p_value, p_bh, p_by, p_holm: Permutation p-values and their adjusted
    #: values, adjusted within each test family (capability benchmarks are in none and get NaN).
    p_value: FloatArray
    p_bh: FloatArray
    p_by: FloatArray
    p_holm: FloatArray
    #: Per benchmark: ``"capability score"`` (tested against the capability score), ``"reference"``
    #: (a calibration benchmark tested against its own reference column: a family of its own), or
    #: ``""`` (a capability benchmark: not tested).
    test_family: tuple[str, ...]
    #: Permutations behind each p-value in this class.
    permutations: int
    #: Empty where the estimate is undefined or fewer than the minimum of valid resamples
    #: (:func:`~safetywashing.uncertainty.settings.minimum_valid`) gave a replicate.
    verdicts: tuple[str, ...]
    #: ndarray of shape (2, J): Percentile interval of each compute correlation.
    compute_interval: FloatArray
    #: ndarray of shape (3,): Estimate, low, high (percentile) of the top eigenvalue share.
    variance_explained: FloatArray
    #: ndarray of shape (3,): Estimate, low, high (percentile) of the capability score vs FLOP.
    score_compute: FloatArray
    #: Resamples that gave a capability score (others had a constant capability column or fewer than
    #: 3 distinct models and are left out).
    n_valid: int
    #: Models (or families) resampled.
    n_units: int
    #: ndarray of shape (J,): Share of resamples in which the benchmark's correlation was defined;
    #: the interval is conditional on these (the others were degenerate: fewer than 3 distinct
    #: models, a constant column). NaN where the estimate is undefined.
    valid_share: FloatArray
    #: ndarray of shape (J,): Bootstrap TOST p-value that the correlation lies inside the lines
    #: (distinct).
    p_equivalence: FloatArray
    #: ndarray of shape (J,): For an inconclusive benchmark, the models with which its interval
    #: would decide (entangled, inverse or distinct, as the estimate points) with 80% chance, if the
    #: estimate were the truth (Fisher-z approximation, :mod:`safetywashing.stats.fisher`); NaN
    #: otherwise or beyond reach.
    models_needed: FloatArray
    #: Factor the cluster bootstrap's deviations were widened by (1 without clusters).
    cluster_scale: float = 1.0
    #: ndarray of shape (B, J) or None: Bootstrap replicates of the capabilities correlations, when
    #: kept.
    replicates: FloatArray | None = None

    def adjusted(self, method: Adjustment) -> FloatArray:
        """Adjusted p-values (J,) of one method."""
        return {"bh": self.p_bh, "by": self.p_by, "holm": self.p_holm}[method]

    @property
    def degenerate_share(self) -> FloatArray:
        """Share of resamples (J,) without a defined correlation (NaN: no estimate)."""
        return np.asarray(1.0 - self.valid_share, dtype=np.float64)

    def degenerate(self, benchmark_id: str) -> float:
        """Share of resamples without a defined correlation for one benchmark (NaN: none)."""
        return float(self.degenerate_share[self.index(benchmark_id)])

    def flagged(self) -> list[str]:
        """Benchmarks whose interval rests on fewer than 95% of the resamples."""
        share = self.degenerate_share
        return [b for j, b in enumerate(self.benchmark_ids) if share[j] > DEGENERATE_FLAG]

    def interval(self, kind: IntervalKind) -> FloatArray:
        """Interval ends (2, J) of one kind."""
        return self.percentile if kind == "percentile" else self.bca

    def index(self, benchmark_id: str) -> int:
        """Position of a benchmark in the per-benchmark arrays."""
        return position(
            "benchmark",
            benchmark_id,
            self.benchmark_ids,
            where=f"the {self.model_class} uncertainty",
        )

    def summary_lines(self) -> list[str]:
        """What was resampled, how many resamples counted, and what was decided."""
        counts = {v: self.verdicts.count(v) for v in ("entangled", "inverse", "distinct")}
        undecided = [j for j, v in enumerate(self.verdicts) if v == "inconclusive"]
        needed = self.models_needed[undecided] if undecided else np.array([])
        needed = needed[np.isfinite(needed)]
        line = (
            f"{self.model_class}: {len(self.benchmark_ids)} benchmarks, {self.n_units} units "
            f"resampled, {self.n_valid} valid resamples, {self.permutations} permutations; "
            + ", ".join(f"{n} {v}" for v, n in counts.items())
            + f", {len(undecided)} inconclusive"
        )
        if needed.size:
            line += f" (median {np.median(needed):.0f} models would decide one with 80% power)"
        return [line]

    def to_frame(self) -> pd.DataFrame:
        """One row per benchmark: estimate, both intervals, p-values, verdict."""
        import pandas as pd

        return pd.DataFrame(
            {
                "model_class": self.model_class,
                "benchmark": list(self.benchmark_ids),
                "estimate": self.estimate,
                "percentile_low": self.percentile[0],
                "percentile_high": self.percentile[1],
                "bca_low": self.bca[0],
                "bca_high": self.bca[1],
                "p_value": self.p_value,
                "p_bh": self.p_bh,
                "p_by": self.p_by,
                "p_holm": self.p_holm,
                "test_family": list(self.test_family),
                "verdict": list(self.verdicts),
                "p_equivalence": self.p_equivalence,
                "models_needed": self.models_needed,
                "degenerate_share": self.degenerate_share,
                "flag": [
                    "degenerate resamples" if d > DEGENERATE_FLAG else ""
                    for d in self.degenerate_share
                ],
                "compute_low": self.compute_interval[0],
                "compute_high": self.compute_interval[1],
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN as None)."""
        return {
            "n_valid_resamples": self.n_valid,
            "n_resampled_units": self.n_units,
            "permutations": self.permutations,
            "cluster_scale": self.cluster_scale,
            "variance_explained": _triple(self.variance_explained),
            "score_compute_correlation": _triple(self.score_compute),
            "benchmarks": {
                benchmark: {
                    "percentile": _pair(self.percentile[:, j]),
                    "bca": _pair(self.bca[:, j]),
                    "p_value": finite(self.p_value[j]),
                    "p_bh": finite(self.p_bh[j]),
                    "p_by": finite(self.p_by[j]),
                    "p_holm": finite(self.p_holm[j]),
                    "test_family": self.test_family[j] or None,
                    "p_equivalence": finite(self.p_equivalence[j]),
                    "models_needed": finite(self.models_needed[j]),
                    "degenerate_share": finite(self.degenerate_share[j]),
                    "compute_interval": _pair(self.compute_interval[:, j]),
                }
                for j, benchmark in enumerate(self.benchmark_ids)
            },
        }


@dataclass(frozen=True, eq=False, repr=False)
class UncertaintyResult(ByClass[ClassUncertainty]):
    """Uncertainty of every class of an audit."""

    settings: UncertaintySettings
    classes: tuple[ClassUncertainty, ...]
    #: The audit these uncertainties belong to (the verdicts use its rule).
    audit: AuditResult
    #: What the analysis could not do as asked (too few permutations or clusters, degenerate
    #: resamples), one sentence each; :meth:`apply` adds them to the audit's.
    warnings: tuple[str, ...] = ()

    lookup_where = "this uncertainty"

    @property
    def rule(self) -> DecisionRule:
        """The decision rule behind the verdicts: the audit's (see the settings)."""
        return self.settings.rule

    def summary_lines(self) -> list[str]:
        """Settings and a line per class."""
        s = self.settings
        permutations = "sized" if s.permutations is None else str(s.permutations)
        return [
            f"{s.n_resamples} resamples, {100 * s.confidence:g}% {s.interval} intervals, "
            f"{permutations} permutations ({s.adjustment} at alpha {s.alpha:g}), seed {s.seed}",
            *(line for c in self.classes for line in c.summary_lines()),
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: settings and per-class details."""
        return {
            "settings": self.settings.to_dict(),
            "warnings": list(self.warnings),
            "classes": {c.model_class: c.to_dict() for c in self.classes},
        }

    def apply(self, result: AuditResult | None = None) -> AuditResult:
        """The audit with ``ci_low``, ``ci_high``, ``p_value``, ``p_adjusted``, ``verdict``.

        The audit's ``uncertainty`` is this result, which its JSON document writes.

        Parameters
        ----------
        result : AuditResult, optional
            The audit these uncertainties were computed for (the default); another
            audit is refused.
        """
        if result is None:
            result = self.audit
        elif result is not self.audit:
            raise InputError(
                "These uncertainties were computed for another audit",
                param="result",
                remedy="call apply() without an argument, or bootstrap this audit",
            )
        classes: list[ClassAudit] = []
        for audit_of_class in result.classes:
            found = self[audit_of_class.model_class]
            low, high = found.interval(self.settings.interval)
            adjusted = found.adjusted(self.settings.adjustment)
            benchmarks: list[BenchmarkResult] = []
            for j, b in enumerate(audit_of_class.benchmarks):
                benchmarks.append(
                    replace(
                        b,
                        ci_low=float(low[j]),
                        ci_high=float(high[j]),
                        p_value=float(found.p_value[j]),
                        p_adjusted=float(adjusted[j]),
                        verdict=found.verdicts[j],
                    )
                )
            classes.append(replace(audit_of_class, benchmarks=tuple(benchmarks)))
        return replace(
            result,
            classes=tuple(classes),
            uncertainty=self,
            warnings=(*result.warnings, *self.warnings),
        )


def _pair(values: FloatArray) -> list[float | None]:
    return finite_list(values)


def _triple(values: FloatArray) -> dict[str, float | None]:
    return {"estimate": finite(values[0]), "low": finite(values[1]), "high": finite(values[2])}
