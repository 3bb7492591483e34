"""Robustness of an audit: does a reading survive other reasonable choices?

Three families of variants, each refitting the capability score:

- leave one capability benchmark out (k variants);
- alternative capability measures: PC1 of the Spearman, Pearson and covariance matrices,
  the mean z-score, and a one-factor model;
- leave one model family out (when families are known).

A benchmark is *flagged* when, under some variant, its capabilities correlation falls in
a different zone than the audit's estimate: above ``+t`` (entangled), below ``-t``
(inverse), or between (distinct). The zones are those of the verdict, applied to point
estimates (the variants are not bootstrapped).

Also here: Spearman partial correlations of each benchmark with compute given the
capability score and with the capability score given compute, and capability-adjusted
(residual) safety scores per model with a ranking.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from safetywashing.audit import AuditResult, ClassAudit, audit
from safetywashing.errors import InputError
from safetywashing.stats.bootstrap import make_plan
from safetywashing.stats.correlation import correlate_columns
from safetywashing.stats.factor import one_factor
from safetywashing.stats.partial import partial_spearman, residual_scores
from safetywashing.stats.pca import MATRIX_KINDS, capability_component, standardize
from safetywashing.table import ScoreTable
from safetywashing.uncertainty import class_data, prepared_table

FloatArray = npt.NDArray[np.float64]
VariantKind = Literal["capability", "measure", "family"]


def zone(value: float, threshold: float) -> str:
    """Zone of a point estimate: "entangled", "inverse", "distinct", or "" if undefined."""
    if math.isnan(value):
        return ""
    if value > threshold:
        return "entangled"
    if value < -threshold:
        return "inverse"
    return "distinct"


@dataclass(frozen=True)
class ClassRobustness:
    """Robustness of one class's audit.

    Attributes
    ----------
    model_class : str
    benchmark_ids : tuple of str
    estimate : ndarray of shape (J,)
        The audit's capabilities correlations.
    variants : tuple of str
        Variant labels, e.g. ``"without mmlu"``, ``"measure: mean z-score"``,
        ``"without family Llama"``.
    variant_kinds : tuple of {"capability", "measure", "family"}
        Aligned with ``variants``: leave one capability benchmark out, an alternative
        capability measure, or leave one model family out.
    correlations : ndarray of shape (V, J)
        Capabilities correlation of every benchmark under every variant.
    variance_explained : ndarray of shape (V,)
        Top eigenvalue share under each variant (NaN for non-PCA measures).
    flagged : tuple of str
        Benchmarks whose zone changes under at least one variant.
    partial_compute : ndarray of shape (J,)
        Spearman partial correlation with FLOP given the capability score.
    partial_capability : ndarray of shape (J,)
        Spearman partial correlation with the capability score given FLOP.
    model_ids : tuple of str
    adjusted : ndarray of shape (n, J_s)
        Residual (capability-adjusted) scores of the safety benchmarks.
    adjusted_benchmarks : tuple of str
    adjusted_mean : ndarray of shape (n,)
        Mean residual over the safety benchmarks a model has.
    """

    model_class: str
    benchmark_ids: tuple[str, ...]
    estimate: FloatArray
    variants: tuple[str, ...]
    variant_kinds: tuple[VariantKind, ...]
    correlations: FloatArray
    variance_explained: FloatArray
    flagged: tuple[str, ...]
    partial_compute: FloatArray
    partial_capability: FloatArray
    model_ids: tuple[str, ...]
    adjusted: FloatArray
    adjusted_benchmarks: tuple[str, ...]
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN as None)."""
        loco_low, loco_high = self.range_of("capability")
        rows = self.rows_of("capability")
        shares = self.variance_explained[rows] if rows else np.array([np.nan])
        return {
            "variants": list(self.variants),
            "variance_explained": dict(
                zip(self.variants, _list(self.variance_explained), strict=True)
            ),
            "leave_one_capability_out_variance_explained": {
                "min": _num(float(np.nanmin(shares)) if np.isfinite(shares).any() else math.nan),
                "max": _num(float(np.nanmax(shares)) if np.isfinite(shares).any() else math.nan),
            },
            "flagged": list(self.flagged),
            "benchmarks": {
                b: {
                    "estimate": _num(self.estimate[j]),
                    "leave_one_capability_out": [_num(loco_low[j]), _num(loco_high[j])],
                    "variants": dict(
                        zip(self.variants, _list(self.correlations[:, j]), strict=True)
                    ),
                    "partial_compute_given_capability": _num(self.partial_compute[j]),
                    "partial_capability_given_compute": _num(self.partial_capability[j]),
                }
                for j, b in enumerate(self.benchmark_ids)
            },
            "adjusted_scores": {
                model: {
                    "mean": _num(self.adjusted_mean[i]),
                    "benchmarks": dict(
                        zip(self.adjusted_benchmarks, _list(self.adjusted[i]), strict=True)
                    ),
                }
                for i, model in enumerate(self.model_ids)
            },
            "ranking": [model for model, _ in self.ranking()],
        }


@dataclass(frozen=True)
class RobustnessResult:
    """Robustness of every class of an audit."""

    threshold: float
    classes: tuple[ClassRobustness, ...]

    def __getitem__(self, model_class: str) -> ClassRobustness:
        for item in self.classes:
            if item.model_class == model_class:
                return item
        raise KeyError(model_class)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "threshold": self.threshold,
            "classes": {c.model_class: c.to_dict() for c in self.classes},
        }


def _num(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def _list(values: FloatArray) -> list[float | None]:
    return [_num(v) for v in np.asarray(values, dtype=np.float64).ravel()]


def robustness_audit(
    table: ScoreTable,
    result: AuditResult | None = None,
    *,
    threshold: float = 0.40,
    **audit_options: Any,
) -> RobustnessResult:
    """Refit the audit under every variant and flag benchmarks whose reading changes.

    Parameters
    ----------
    table : ScoreTable
    result : AuditResult, optional
        The audit of ``table``; run with ``audit_options`` when not given.
    threshold : float, default 0.40
        Zone lines at ``-threshold`` and ``+threshold``; in (0, 1].

    Returns
    -------
    RobustnessResult

    Raises
    ------
    InputError
        For a threshold outside (0, 1], or when the audit used a correlation other than
        Spearman (the variants are Spearman correlations and would be compared with
        estimates of another kind).

    Examples
    --------
    >>> from safetywashing.datasets import load_demo_panel
    >>> found = robustness_audit(load_demo_panel())
    >>> found["chat"].variants[0]
    'without syn_knowledge_mc'
    """
    if not (isinstance(threshold, int | float) and 0.0 < threshold <= 1.0):
        raise InputError(
            f"The verdict threshold must be in (0, 1]; got {threshold} "
            "(try --verdict-threshold 0.40)."
        )
    if result is None:
        result = audit(table, **audit_options)
    if result.config.method != "spearman":
        raise InputError(
            f"The robustness variants support the Spearman correlation only; got --method "
            f"{result.config.method} (drop --method or drop --robustness)."
        )
    prepared = prepared_table(table, result)
    return RobustnessResult(
        threshold=threshold,
        classes=tuple(
            _class_robustness(prepared, c, result.config.matrix, threshold) for c in result.classes
        ),
    )


def _class_robustness(
    table: ScoreTable, audit_of_class: ClassAudit, kind: Any, threshold: float
) -> ClassRobustness:
    data = class_data(table, audit_of_class)
    capability = data.capability
    complete = ~np.isnan(capability).any(axis=1)
    k = capability.shape[1]
    estimate = np.array([b.capabilities_correlation for b in audit_of_class.benchmarks])
    by_score = np.array([r is None for r in data.references])
    labels: list[str] = []
    kinds: list[VariantKind] = []
    rows: list[FloatArray] = []
    shares: list[float] = []

    def with_scores(scores: FloatArray) -> FloatArray:
        full = np.full(complete.size, np.nan)
        full[complete] = scores
        r, _ = correlate_columns(full, data.targets)
        return np.where(by_score, r, estimate)

    z, _, _ = standardize(capability[complete])
    for drop in range(k):
        keep = [j for j in range(k) if j != drop]
        component = capability_component(z[:, keep], kind=kind)
        labels.append(f"without {audit_of_class.capability_benchmarks[drop]}")
        kinds.append("capability")
        rows.append(with_scores(component.scores))
        shares.append(component.eigenvalue_share)
    for other in MATRIX_KINDS:
        component = capability_component(z, kind=other)
        labels.append(f"measure: PC1 of {other} matrix")
        kinds.append("measure")
        rows.append(with_scores(component.scores))
        shares.append(component.eigenvalue_share)
    labels.append("measure: mean z-score")
    kinds.append("measure")
    rows.append(with_scores(z.mean(axis=1)))
    shares.append(math.nan)
    labels.append("measure: one-factor model")
    kinds.append("measure")
    rows.append(with_scores(one_factor(z).scores))
    shares.append(math.nan)
    # Each known family is left out in turn; models without a family are never dropped.
    families = sorted({f for f in data.families if f})
    if len(families) >= 2:
        plan = make_plan(
            capability,
            data.targets,
            reference_loadings=audit_of_class.loadings,
            kind=kind,
            references=data.references,
        )
        members = np.array([[f == name for f in data.families] for name in families])
        counts = np.asarray(~members, dtype=np.float64)
        refit = plan.evaluate(counts)
        for i, name in enumerate(families):
            labels.append(f"without family {name}")
            kinds.append("family")
            rows.append(refit["capabilities"][i])
            shares.append(float(refit["variance_explained"][i]))
    correlations = np.vstack(rows)
    flagged = tuple(
        b.id
        for j, b in enumerate(audit_of_class.benchmarks)
        if zone(float(estimate[j]), threshold)
        and any(
            zone(float(v), threshold) not in ("", zone(float(estimate[j]), threshold))
            for v in correlations[:, j]
        )
    )
    scores = audit_of_class.capability_scores
    flop = data.flop
    partial_compute = np.array(
        [partial_spearman(data.targets[:, j], flop, scores)[0] for j in range(estimate.size)]
    )
    partial_capability = np.array(
        [partial_spearman(data.targets[:, j], scores, flop)[0] for j in range(estimate.size)]
    )
    safety = [
        j
        for j, b in enumerate(audit_of_class.benchmarks)
        if b.role == "safety" and data.references[j] is None
    ]
    adjusted = residual_scores(data.targets[:, safety], scores)
    with np.errstate(invalid="ignore"):
        counted = np.isfinite(adjusted).sum(axis=1)
        adjusted_mean = np.where(
            counted > 0, np.nansum(adjusted, axis=1) / np.maximum(counted, 1), np.nan
        )
    return ClassRobustness(
        model_class=audit_of_class.model_class,
        benchmark_ids=tuple(b.id for b in audit_of_class.benchmarks),
        estimate=estimate,
        variants=tuple(labels),
        variant_kinds=tuple(kinds),
        correlations=correlations,
        variance_explained=np.array(shares),
        flagged=flagged,
        partial_compute=partial_compute,
        partial_capability=partial_capability,
        model_ids=audit_of_class.model_ids,
        adjusted=adjusted,
        adjusted_benchmarks=tuple(audit_of_class.benchmarks[j].id for j in safety),
        adjusted_mean=adjusted_mean,
    )
