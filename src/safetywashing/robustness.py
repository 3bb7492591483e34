"""Robustness of an audit: does a reading survive other reasonable choices?

Three families of variants, each refitting the capability score:

- leave one capability benchmark out (k variants);
- alternative capability measures: PC1 of the Spearman and Pearson matrices of the
  z-scores, PC1 of the covariance matrix of the unstandardized scores (benchmarks with a
  wider spread weigh more), the mean z-score, and a one-factor model fitted by maximum
  likelihood (scikit-learn's algorithm; its scores weight each benchmark by loading /
  uniqueness);
- leave one model family out (when families are known).

A benchmark is *flagged* when, under some variant, its capabilities correlation falls in
a different zone than the audit's estimate: above ``+t`` (entangled), below ``-t``
(inverse), or between (distinct). The zones are those of the verdict, applied to point
estimates (the variants are not bootstrapped).

Also here: Spearman partial correlations of each benchmark with compute given the
capability score and with the capability score given compute (for a calibration
benchmark: given, and with, its own reference column, the one its headline correlation
uses), and capability-adjusted (residual) safety scores per model with a ranking.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from safetywashing.audit import AuditInput, require_spearman, resolve_audit
from safetywashing.decision import DecisionRule
from safetywashing.results.audit import AuditResult, ClassAudit
from safetywashing.results.robustness import ClassRobustness, RobustnessResult, VariantKind
from safetywashing.results.uncertainty import require_complete_basis
from safetywashing.stats.bootstrap import make_plan
from safetywashing.stats.correlation import correlate_columns
from safetywashing.stats.factor import one_factor
from safetywashing.stats.partial import partial_spearman, residual_scores
from safetywashing.stats.pca import capability_component, standardize

FloatArray = npt.NDArray[np.float64]

__all__ = ["ClassRobustness", "RobustnessResult", "robustness_audit"]


def robustness_audit(source: AuditResult | AuditInput, /, **audit_options: Any) -> RobustnessResult:
    """Refit the audit under every variant and flag benchmarks whose reading changes.

    Parameters
    ----------
    source : AuditResult, ScoreTable, pandas.DataFrame or path
        A finished audit, or data to audit first with ``audit_options``.
    **audit_options
        Settings of :func:`safetywashing.audit.audit`, when ``source`` is data.

    Returns
    -------
    RobustnessResult
        Zones use the audit's decision rule (``threshold`` of its configuration).

    Raises
    ------
    InputError
        When the audit used a correlation other than Spearman (the variants are
        Spearman correlations and would be compared with estimates of another kind).

    Examples
    --------
    >>> from safetywashing.datasets import load_demo_panel
    >>> found = robustness_audit(load_demo_panel())
    >>> found["chat"].variants[0]
    'without syn_knowledge_mc'
    """
    result = resolve_audit(source, audit_options)
    require_spearman(result, "the robustness variants", plural=True)
    require_complete_basis(result, "The robustness analysis")
    rule = result.rule
    return RobustnessResult(
        threshold=rule.threshold,
        classes=tuple(_class_robustness(c, rule) for c in result.classes),
        audit=result,
    )


def _class_robustness(audit_of_class: ClassAudit, rule: DecisionRule) -> ClassRobustness:
    data = audit_of_class.prepared
    kind: Any = data.matrix
    capability = data.capability
    complete = ~np.isnan(capability).any(axis=1)
    k = capability.shape[1]
    estimate = np.array([b.capabilities_correlation for b in audit_of_class.benchmarks])
    by_score = np.array([r is None for r in data.references])
    labels: list[str] = []
    descriptions: list[str] = []
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
        descriptions.append(
            f"PC1 of the {kind} matrix of the z-scores without "
            f"{audit_of_class.capability_benchmarks[drop]}"
        )
        kinds.append("capability")
        rows.append(with_scores(component.scores))
        shares.append(component.eigenvalue_share)
    for other in ("spearman", "pearson"):
        component = capability_component(z, kind=other)
        labels.append(f"measure: PC1 of {other} matrix")
        descriptions.append(f"PC1 of the {other.capitalize()} matrix of the z-scores")
        kinds.append("measure")
        rows.append(with_scores(component.scores))
        shares.append(component.eigenvalue_share)
    raw = capability[complete]
    component = capability_component(raw - raw.mean(axis=0), kind="covariance")
    labels.append("measure: PC1 of covariance matrix")
    descriptions.append(
        "PC1 of the covariance matrix of the unstandardized scores (benchmarks with a "
        "wider spread weigh more)"
    )
    kinds.append("measure")
    rows.append(with_scores(component.scores))
    shares.append(component.eigenvalue_share)
    labels.append("measure: mean z-score")
    descriptions.append("the mean z-score over the capability benchmarks")
    kinds.append("measure")
    rows.append(with_scores(z.mean(axis=1)))
    shares.append(math.nan)
    labels.append("measure: one-factor model")
    descriptions.append(
        "one factor fitted by maximum likelihood (scikit-learn's FactorAnalysis "
        "algorithm); scores weight each benchmark by loading / uniqueness"
    )
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
            descriptions.append(f"PC1 of the {kind} matrix refitted without family {name}")
            kinds.append("family")
            rows.append(refit["capabilities"][i])
            shares.append(float(refit["variance_explained"][i]))
    correlations = np.vstack(rows)
    flagged = tuple(
        b.id
        for j, b in enumerate(audit_of_class.benchmarks)
        if rule.zone(float(estimate[j]))
        and any(
            rule.zone(float(v)) not in ("", rule.zone(float(estimate[j])))
            for v in correlations[:, j]
        )
    )
    scores = audit_of_class.capability_scores
    flop = data.flop
    # A calibration benchmark is read against its own reference column (its headline
    # correlation is), so its partial correlations hold that column fixed too.
    against = [scores if ref is None else ref for ref in data.references]
    partial_compute = np.array(
        [partial_spearman(data.targets[:, j], flop, against[j])[0] for j in range(estimate.size)]
    )
    partial_capability = np.array(
        [partial_spearman(data.targets[:, j], against[j], flop)[0] for j in range(estimate.size)]
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
        descriptions=tuple(descriptions),
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
