"""Results of the robustness checks: readings under other reasonable choices."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from safetywashing.audit.result import AuditResult
from safetywashing.core.document import envelope, finite, finite_list
from safetywashing.core.result import ByClass, Result, position

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]
VariantKind = Literal["capability", "measure", "family"]
ROBUSTNESS_KIND = "safetywashing-robustness"


@dataclass(frozen=True, eq=False, repr=False)
class ClassRobustness(Result):
    """Robustness of one class's audit."""

    model_class: str
    benchmark_ids: tuple[str, ...]
    #: ndarray of shape (J,): The audit's capabilities correlations.
    estimate: FloatArray
    #: Variant labels, e.g. ``"without mmlu"``, ``"measure: mean z-score"``, ``"without family
    #: Llama"``.
    variants: tuple[str, ...]
    #: tuple of {"capability", "measure", "family"}: Aligned with ``variants``: leave one capability
    #: benchmark out, an alternative capability measure, or leave one model family out.
    variant_kinds: tuple[VariantKind, ...]
    #: Aligned with ``variants``: what each variant computes, in words.
    descriptions: tuple[str, ...]
    #: ndarray of shape (V, J): Capabilities correlation of every benchmark under every variant.
    correlations: FloatArray
    #: ndarray of shape (V,): Top eigenvalue share under each variant (NaN for non-PCA measures).
    variance_explained: FloatArray
    #: Benchmarks whose zone changes under at least one variant.
    flagged: tuple[str, ...]
    #: ndarray of shape (J,): Spearman partial correlation with FLOP given the capability score
    #: (given the reference column, for a benchmark that has one).
    partial_compute: FloatArray
    #: ndarray of shape (J,): Spearman partial correlation with the capability score (or the
    #: reference column) given FLOP.
    partial_capability: FloatArray
    model_ids: tuple[str, ...]
    #: ndarray of shape (n, J_s): Residual (capability-adjusted) scores of the safety benchmarks.
    adjusted: FloatArray
    adjusted_benchmarks: tuple[str, ...]
    #: ndarray of shape (n,): Mean residual over the safety benchmarks a model has.
    adjusted_mean: FloatArray

    def rows_of(self, kind: VariantKind) -> list[int]:
        """Positions of the variants of one kind."""
        return [i for i, k in enumerate(self.variant_kinds) if k == kind]

    def range_of(self, kind: VariantKind) -> tuple[FloatArray, FloatArray]:
        """Min and max (J,) of each correlation over the variants of one kind."""
        rows = self.rows_of(kind)
        if not rows:
            nan = np.full(len(self.benchmark_ids), np.nan)
            return nan, nan.copy()
        block = self.correlations[rows]
        with np.errstate(invalid="ignore"):
            return np.nanmin(block, axis=0), np.nanmax(block, axis=0)

    def ranking(self) -> list[tuple[str, float]]:
        """Models by mean capability-adjusted safety, highest first (undefined last)."""
        pairs = list(zip(self.model_ids, self.adjusted_mean.tolist(), strict=True))
        return sorted(pairs, key=lambda p: (math.isnan(p[1]), -p[1] if not math.isnan(p[1]) else 0))

    def index(self, benchmark_id: str) -> int:
        """Position of a benchmark in the per-benchmark arrays."""
        return position(
            "benchmark",
            benchmark_id,
            self.benchmark_ids,
            where=f"the {self.model_class} robustness",
        )

    def variant(self, label: str) -> FloatArray:
        """Capabilities correlations (J,) under one variant."""
        row = position("variant", label, self.variants, where=f"the {self.model_class} robustness")
        return np.asarray(self.correlations[row], dtype=np.float64)

    def summary_lines(self) -> list[str]:
        """Counts of variants and flagged benchmarks."""
        return [
            f"{self.model_class}: {len(self.variants)} variants, {len(self.benchmark_ids)} "
            f"benchmarks, {len(self.flagged)} flagged"
        ]

    def to_frame(self) -> pd.DataFrame:
        """One row per benchmark: estimate, range of each kind of variant, partials, flag."""
        import pandas as pd

        ranges = {kind: self.range_of(kind) for kind in ("capability", "measure", "family")}
        return pd.DataFrame(
            {
                "model_class": self.model_class,
                "benchmark": list(self.benchmark_ids),
                "estimate": self.estimate,
                "leave_one_out_low": ranges["capability"][0],
                "leave_one_out_high": ranges["capability"][1],
                "measures_low": ranges["measure"][0],
                "measures_high": ranges["measure"][1],
                "families_low": ranges["family"][0],
                "families_high": ranges["family"][1],
                "partial_compute_given_capability": self.partial_compute,
                "partial_capability_given_compute": self.partial_capability,
                "flagged": [b in set(self.flagged) for b in self.benchmark_ids],
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN as None)."""
        loco_low, loco_high = self.range_of("capability")
        rows = self.rows_of("capability")
        shares = self.variance_explained[rows] if rows else np.array([np.nan])
        return {
            "variants": list(self.variants),
            "variant_descriptions": dict(zip(self.variants, self.descriptions, strict=True)),
            "variance_explained": dict(
                zip(self.variants, finite_list(self.variance_explained), strict=True)
            ),
            "leave_one_capability_out_variance_explained": {
                "min": finite(float(np.nanmin(shares)) if np.isfinite(shares).any() else math.nan),
                "max": finite(float(np.nanmax(shares)) if np.isfinite(shares).any() else math.nan),
            },
            "flagged": list(self.flagged),
            "benchmarks": {
                b: {
                    "estimate": finite(self.estimate[j]),
                    "leave_one_capability_out": [finite(loco_low[j]), finite(loco_high[j])],
                    "variants": dict(
                        zip(self.variants, finite_list(self.correlations[:, j]), strict=True)
                    ),
                    "partial_compute_given_capability": finite(self.partial_compute[j]),
                    "partial_capability_given_compute": finite(self.partial_capability[j]),
                }
                for j, b in enumerate(self.benchmark_ids)
            },
            "adjusted_scores": {
                model: {
                    "mean": finite(self.adjusted_mean[i]),
                    "benchmarks": dict(
                        zip(self.adjusted_benchmarks, finite_list(self.adjusted[i]), strict=True)
                    ),
                }
                for i, model in enumerate(self.model_ids)
            },
            "ranking": [model for model, _ in self.ranking()],
        }


@dataclass(frozen=True, eq=False, repr=False)
class RobustnessResult(ByClass[ClassRobustness]):
    """Robustness of every class of an audit."""

    #: The audit's decision line: zones are split at -threshold and +threshold.
    threshold: float
    classes: tuple[ClassRobustness, ...]
    #: The audit whose readings were checked.
    audit: AuditResult

    lookup_where = "this robustness"

    def summary_lines(self) -> list[str]:
        """The line and a headline per class."""
        return [
            f"zones at ±{self.threshold:.2f}",
            *(line for c in self.classes for line in c.summary_lines()),
        ]

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON document (envelope, threshold, per-class results)."""
        document = envelope(
            ROBUSTNESS_KIND,
            config=self.audit.config.to_dict(),
            sources=self.audit.sources,
            version=self.audit.version,
        )
        document["threshold"] = self.threshold
        document["classes"] = {c.model_class: c.to_dict() for c in self.classes}
        return document
