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
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from safetywashing.audit.compute import AuditInput, require_spearman, resolve_audit
from safetywashing.audit.result import AuditResult, ClassAudit
from safetywashing.core.decision import DecisionRule
from safetywashing.core.parallel import (
    Scheduler,
    SchedulerSpec,
    connected,
    resolve_scheduler,
    run_chunks,
)
from safetywashing.robustness.result import ClassRobustness, RobustnessResult, VariantKind
from safetywashing.stats.bootstrap import make_plan
from safetywashing.stats.correlation import correlate_columns
from safetywashing.stats.factor import one_factor
from safetywashing.stats.partial import partial_spearman, residual_scores
from safetywashing.stats.pca import capability_component, standardize
from safetywashing.uncertainty.units import require_complete_basis

FloatArray = npt.NDArray[np.float64]

__all__ = ["ClassRobustness", "RefitJob", "RobustnessResult", "refit_variant", "robustness_audit"]


def robustness_audit(
    source: AuditResult | AuditInput,
    /,
    *,
    scheduler: SchedulerSpec = None,
    workers: int | None = None,
    **audit_options: Any,
) -> RobustnessResult:
    """Refit the audit under every variant and flag benchmarks whose reading changes.

    Parameters
    ----------
    source : AuditResult, ScoreTable, pandas.DataFrame or path
        A finished audit, or data to audit first with ``audit_options``.
    scheduler : str or distributed.Client, optional
        Where the refits run (see :mod:`safetywashing.core.parallel`); the same result
        whichever runs them.
    workers : int, optional
        Local threads or processes (one per core by default).
    **audit_options
        Settings of :func:`safetywashing.audit.compute.audit`, when ``source`` is data.

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
    runner = resolve_scheduler(scheduler, workers)
    result = resolve_audit(source, audit_options)
    require_spearman(result, "the robustness variants", plural=True)
    require_complete_basis(result, "The robustness analysis")
    rule = result.rule
    with connected(runner) as live:
        classes = tuple(_class_robustness(c, rule, live) for c in result.classes)
    return RobustnessResult(threshold=rule.threshold, classes=classes, audit=result)


@dataclass(frozen=True)
class RefitJob:
    """What every refit of the capability score reads (sent once to each worker)."""

    z: FloatArray  # z-scores of the complete models' capability block
    raw: FloatArray  # the same block unstandardized
    complete: npt.NDArray[np.bool_]  # (n,) models with a complete capability row
    targets: FloatArray  # (n, J)
    by_score: npt.NDArray[np.bool_]  # (J,) read against the capability score
    estimate: FloatArray  # (J,) the audit's correlations (kept for the others)
    kind: str  # the audit's matrix


#: One refit: ("without", j) leaves capability benchmark j out; ("measure", name) uses
#: another capability measure.
Variant = tuple[str, Any]


def refit_variant(job: RefitJob, variant: Variant) -> tuple[FloatArray, float]:
    """The correlations and top eigenvalue share (NaN if none) of one variant (one task)."""
    what, which = variant
    share = math.nan
    if what == "without":
        keep = [j for j in range(job.z.shape[1]) if j != which]
        component = capability_component(job.z[:, keep], kind=job.kind)  # type: ignore[arg-type]
        scores, share = component.scores, component.eigenvalue_share
    elif which in ("spearman", "pearson"):
        component = capability_component(job.z, kind=which)
        scores, share = component.scores, component.eigenvalue_share
    elif which == "covariance":
        component = capability_component(job.raw - job.raw.mean(axis=0), kind="covariance")
        scores, share = component.scores, component.eigenvalue_share
    elif which == "mean":
        scores = job.z.mean(axis=1)
    else:
        scores = one_factor(job.z).scores
    full = np.full(job.complete.size, np.nan)
    full[job.complete] = scores
    r, _ = correlate_columns(full, job.targets)
    return np.where(job.by_score, r, job.estimate), share


def _class_robustness(
    audit_of_class: ClassAudit, rule: DecisionRule, runner: Scheduler
) -> ClassRobustness:
    data = audit_of_class.prepared
    kind: Any = data.matrix
    capability = data.capability
    complete = np.asarray(~np.isnan(capability).any(axis=1), dtype=bool)
    k = capability.shape[1]
    estimate = np.array([b.capabilities_correlation for b in audit_of_class.benchmarks])
    z, _, _ = standardize(capability[complete])
    job = RefitJob(
        z=z,
        raw=capability[complete],
        complete=complete,
        targets=data.targets,
        by_score=np.array([r is None for r in data.references]),
        estimate=estimate,
        kind=kind,
    )
    names = audit_of_class.capability_benchmarks
    variants: list[Variant] = [("without", drop) for drop in range(k)]
    labels = [f"without {names[drop]}" for drop in range(k)]
    descriptions = [
        f"PC1 of the {kind} matrix of the z-scores without {names[d]}" for d in range(k)
    ]
    kinds: list[VariantKind] = ["capability"] * k
    for other in ("spearman", "pearson"):
        variants.append(("measure", other))
        labels.append(f"measure: PC1 of {other} matrix")
        descriptions.append(f"PC1 of the {other.capitalize()} matrix of the z-scores")
    variants.append(("measure", "covariance"))
    labels.append("measure: PC1 of covariance matrix")
    descriptions.append(
        "PC1 of the covariance matrix of the unstandardized scores (benchmarks with a "
        "wider spread weigh more)"
    )
    variants.append(("measure", "mean"))
    labels.append("measure: mean z-score")
    descriptions.append("the mean z-score over the capability benchmarks")
    variants.append(("measure", "factor"))
    labels.append("measure: one-factor model")
    descriptions.append(
        "one factor fitted by maximum likelihood (scikit-learn's FactorAnalysis "
        "algorithm); scores weight each benchmark by loading / uniqueness"
    )
    kinds += ["measure"] * 5
    refits = run_chunks(
        runner.for_work(len(variants) * data.targets.size * 50), refit_variant, job, variants
    )
    rows: list[FloatArray] = [row for row, _ in refits]
    shares: list[float] = [share for _, share in refits]
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
