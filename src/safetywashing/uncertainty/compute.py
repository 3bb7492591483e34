"""Uncertainty of an audit: bootstrap intervals, permutation p-values, verdicts.

The bootstrap resamples *models* with replacement (or whole model families, when asked)
and refits the whole pipeline inside every resample: standardization, the capability
PC1 of the same matrix as the point estimate (its sign aligned to the full-data PC1),
the capability scores, and every benchmark's capabilities and compute correlation. The
batched kernels live in :mod:`safetywashing.stats.bootstrap`; the chunks that run them
on a scheduler in :mod:`safetywashing.uncertainty.engine`. Capability cells that the
audit imputed are held at their imputed values (the imputation is not refit). Every
array comes from the audit's result (:class:`~safetywashing.audit.result.PreparedClass`), and
the verdicts use the audit's decision rule.

Only the Spearman correlation is bootstrapped (the paper's and the default method).

Decisions: the verdict reads the interval against the lines; beside it stand a bootstrap
equivalence test (TOST) for "distinct", and, for an inconclusive benchmark, the number of
models that would decide it with 80% power if its estimate were the truth. Permutation
p-values are adjusted within two families: benchmarks tested against the capability
score, and calibration benchmarks tested against their own reference column. By default
the permutations are as many as the adjustment needs to be able to reject at ``alpha``.

With ``cluster="family"``, whole families are resampled and the replicates' deviations
are widened by ``sqrt(G / (G - 1))`` in Fisher's z scale (the usual small-G correction,
see :func:`~safetywashing.stats.intervals.expand_replicates` and
:mod:`safetywashing.uncertainty.units`). An interval needs
:func:`~safetywashing.uncertainty.settings.minimum_valid` non-degenerate resamples (5 in
each tail); below that no interval and no verdict are given.
"""

from __future__ import annotations

import math
import sys
import warnings
import zlib
from collections.abc import Sequence
from dataclasses import replace
from types import FrameType
from typing import Any

import numpy as np
import numpy.typing as npt

from safetywashing.audit.compute import AuditInput, audit, require_spearman, resolve_audit
from safetywashing.audit.result import AuditResult, ClassAudit
from safetywashing.core.errors import InputWarning
from safetywashing.core.limits import MAX_RESAMPLES
from safetywashing.core.parallel import Scheduler, SchedulerSpec, connected, resolve_scheduler
from safetywashing.core.progress import ProgressCallback, report_to
from safetywashing.stats.fisher import models_to_decide
from safetywashing.stats.intervals import (
    IntervalKind,
    bca_interval,
    equivalence_pvalue,
    expand_replicates,
    percentile_interval,
)
from safetywashing.stats.multiple import (
    Adjustment,
    adjust,
    permutations_needed,
    smallest_adjusted,
)
from safetywashing.uncertainty.engine import (
    BootstrapJob,
    class_plan,
    class_pvalues,
    default_chunk,
    run_bootstrap,
    run_jackknife,
    run_resamples,
)
from safetywashing.uncertainty.result import ClassUncertainty, UncertaintyResult
from safetywashing.uncertainty.settings import (
    CLUSTERS,
    DECISION_POWER,
    DEFAULT_RESAMPLES,
    DEGENERATE_FLAG,
    Cluster,
    UncertaintySettings,
    check_count,
    minimum_valid,
    needs_jackknife,
)
from safetywashing.uncertainty.units import (
    MIN_BOOTSTRAP_MODELS,
    among,
    require_complete_basis,
    require_models,
    resampled_units,
)

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "CLUSTERS",
    "DEFAULT_RESAMPLES",
    "MIN_BOOTSTRAP_MODELS",
    "BootstrapJob",
    "ClassUncertainty",
    "UncertaintyResult",
    "UncertaintySettings",
    "audit_with_uncertainty",
    "bootstrap_audit",
    "bootstrap_with",
    "check_count",
    "class_plan",
    "default_chunk",
    "run_bootstrap",
]


def bootstrap_audit(
    source: AuditResult | AuditInput,
    /,
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence: float = 0.95,
    seed: int | None = None,
    interval: IntervalKind = "percentile",
    cluster: Cluster | None = None,
    permutations: int | None = None,
    adjustment: Adjustment = "bh",
    alpha: float = 0.05,
    chunk_size: int | None = None,
    progress: ProgressCallback | None = None,
    keep_replicates: bool = False,
    scheduler: SchedulerSpec = None,
    workers: int | None = None,
    **audit_options: Any,
) -> UncertaintyResult:
    """Bootstrap intervals, permutation p-values and verdicts for an audit.

    Parameters
    ----------
    source : AuditResult, ScoreTable, pandas.DataFrame or path
        A finished audit, or data to audit first with ``audit_options``.
    n_resamples : int, default 2000
    confidence : float, default 0.95
    seed : int, optional
        Root seed; drawn from entropy (and recorded) when not given.
    interval : {"percentile", "bca"}, default "percentile"
        Which interval fills ``ci_low``/``ci_high`` and decides the verdict. The BCa
        interval needs a jackknife (one refit per model or family); with the percentile
        interval it is given beside it only while that costs at most a quarter of the
        bootstrap (:func:`~safetywashing.uncertainty.settings.needs_jackknife`), NaN
        otherwise.
    cluster : {"family"}, optional
        Resample whole model families instead of models (at least 4 families; the
        intervals get the small-G widening ``sqrt(G / (G - 1))``).
    permutations : int, optional
        Permutations per p-value; 0 computes none. By default as many as the
        adjustment needs to reject at ``alpha`` (and at least ``n_resamples``); an
        explicit count too small for that draws a warning.
    adjustment : {"bh", "by", "holm"}, default "bh"
        Benjamini-Hochberg, Benjamini-Yekutieli or Holm, within each test family.
    alpha : float, default 0.05
        Level of the tests: sizes the permutations, reads the equivalence test.
    chunk_size : int, optional
        Resamples per batch (memory); results do not depend on it.
    progress : callable, optional
        ``progress(stage, done, total)`` as resamples finish.
    keep_replicates : bool, default False
        Keep the (B, J) bootstrap replicates in the result.
    scheduler : str or distributed.Client, optional
        Where the chunks of resamples and permutations run: ``"local"`` (the default:
        threads, one per core), ``"serial"``, ``"threads"``, ``"processes"``,
        ``"dask://HOST:PORT"`` or a Dask client (see :mod:`safetywashing.core.parallel`).
        The result is the same bytes whichever runs it.
    workers : int, optional
        Local threads or processes (one per core by default).
    **audit_options
        Settings of :func:`safetywashing.audit.compute.audit`, when ``source`` is data.

    Returns
    -------
    UncertaintyResult
        Verdicts use the audit's decision rule (``threshold`` of its configuration).

    Examples
    --------
    >>> from safetywashing.datasets import load_demo_panel
    >>> found = bootstrap_audit(load_demo_panel(), n_resamples=200, seed=1)
    >>> chat = found["chat"]
    >>> bool(chat.percentile[0, 0] <= chat.estimate[0] <= chat.percentile[1, 0])
    True
    """
    runner = resolve_scheduler(scheduler, workers)
    result = resolve_audit(source, audit_options)
    settings = UncertaintySettings.drawn(
        seed,
        rule=result.rule,
        n_resamples=n_resamples,
        confidence=confidence,
        interval=interval,
        cluster=cluster,
        permutations=permutations,
        adjustment=adjustment,
        alpha=alpha,
    )
    return bootstrap_with(
        result,
        settings,
        runner,
        chunk_size=chunk_size,
        progress=progress,
        keep_replicates=keep_replicates,
    )


def bootstrap_with(
    result: AuditResult,
    settings: UncertaintySettings,
    scheduler: Scheduler,
    *,
    chunk_size: int | None = None,
    progress: ProgressCallback | None = None,
    keep_replicates: bool = False,
) -> UncertaintyResult:
    """:func:`bootstrap_audit` of a finished audit with checked settings and scheduler.

    For callers that turned their own input into :class:`UncertaintySettings` and a
    :class:`~safetywashing.core.parallel.Scheduler` already (the command line, the
    power analysis), so that nothing is parsed, checked or resolved twice. The verdicts
    use the audit's rule (recorded in the result's settings).

    Parameters
    ----------
    result : AuditResult
    settings : UncertaintySettings
    scheduler : Scheduler
        From :func:`~safetywashing.core.parallel.resolve_scheduler`.
    chunk_size, progress, keep_replicates
        As for :func:`bootstrap_audit`.

    Raises
    ------
    InputError
        When the audit cannot be refit: a correlation other than Spearman, z-scores
        over more models than those with a capability score, too few models or
        families in a class.
    """
    require_spearman(result, "the bootstrap")
    require_complete_basis(result, "The bootstrap")
    if settings.rule != result.rule:  # the verdicts are the audit's
        settings = replace(settings, rule=result.rule)
    notes: list[str] = []
    with connected(scheduler) as live:
        classes = tuple(
            _class_uncertainty(c, settings, chunk_size, progress, keep_replicates, notes, live)
            for c in result.classes
        )
    _warn(notes)
    return UncertaintyResult(
        settings=settings, classes=classes, audit=result, warnings=tuple(notes)
    )


def _warn(notes: Sequence[str]) -> None:
    """Each note as an :class:`InputWarning`, attributed to the first caller outside here.

    (:func:`bootstrap_audit` and :func:`bootstrap_with` both warn for their caller.)
    """
    level = 2
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        level, frame = level + 1, frame.f_back
    for note in notes:
        warnings.warn(note, InputWarning, stacklevel=level)


def audit_with_uncertainty(
    data: AuditInput, *, uncertainty: dict[str, Any] | None = None, **audit_options: Any
) -> AuditResult:
    """Run the audit and fill its intervals, p-values and verdicts.

    Parameters
    ----------
    data : ScoreTable, pandas.DataFrame or path
    uncertainty : dict, optional
        Keyword arguments of :func:`bootstrap_audit`.
    **audit_options
        Keyword arguments of :func:`safetywashing.audit.compute.audit`.
    """
    result = audit(data, **audit_options)
    return bootstrap_audit(result, **(uncertainty or {})).apply()


def _class_uncertainty(
    audit_of_class: ClassAudit,
    settings: UncertaintySettings,
    chunk_size: int | None,
    progress: ProgressCallback | None,
    keep_replicates: bool,
    notes: list[str],
    runner: Scheduler,
) -> ClassUncertainty:
    name = audit_of_class.model_class
    rule = settings.rule
    require_models(audit_of_class)
    data = audit_of_class.prepared
    clusters, scale = resampled_units(audit_of_class, settings.cluster, notes)
    plan = class_plan(audit_of_class)
    # Each class gets its own stream under the root seed.
    class_seed = np.random.SeedSequence(
        entropy=settings.seed, spawn_key=(zlib.crc32(name.encode()),)
    )
    full = plan.evaluate(np.ones((1, plan.n_models)))
    draws = run_resamples(
        plan,
        settings.n_resamples,
        class_seed,
        runner,
        clusters=clusters,
        chunk_size=chunk_size,
        on_chunk=report_to(progress, f"bootstrap ({name})"),
    )
    estimate = full["capabilities"][0]
    replicates = expand_replicates(draws["capabilities"], estimate, scale)
    compute_draws = expand_replicates(draws["compute"], full["compute"][0], scale)
    score_draws = expand_replicates(draws["score_compute"], full["score_compute"][:1], scale)
    # An interval needs an estimate (e.g. not a benchmark with 2 models) and enough
    # non-degenerate resamples; the rest get none, and no verdict.
    valid = np.isfinite(replicates).sum(axis=0)
    valid_share = np.where(np.isnan(estimate), np.nan, valid / settings.n_resamples)
    enough = minimum_valid(settings.confidence)
    no_interval = np.isnan(estimate) | (valid < enough)
    percentile = np.vstack(percentile_interval(replicates, settings.confidence))
    percentile[:, no_interval] = np.nan
    bca = np.full_like(percentile, np.nan)
    n_units = plan.n_models if clusters is None else int(clusters.max()) + 1
    if needs_jackknife(settings.interval, n_units, settings.n_resamples):
        jack = run_jackknife(
            plan,
            runner,
            clusters=clusters,
            chunk_size=chunk_size,
            on_chunk=report_to(progress, f"jackknife ({name})"),
        )
        bca = np.vstack(
            bca_interval(replicates, estimate, jack["capabilities"], settings.confidence)
        )
        bca[:, no_interval] = np.nan
    compute_interval = np.vstack(percentile_interval(compute_draws, settings.confidence))
    compute_interval[
        :, np.isnan(full["compute"][0]) | (np.isfinite(compute_draws).sum(axis=0) < enough)
    ] = np.nan
    # The class's own intervals follow the benchmarks' rule: none from too few resamples.
    share = draws["variance_explained"][:, None]
    share_ci = percentile_interval(share, settings.confidence)
    if np.isfinite(share).sum() < enough:
        share_ci = (np.full(1, np.nan), np.full(1, np.nan))
    score_ci = percentile_interval(score_draws[:, None], settings.confidence)
    if math.isnan(float(full["score_compute"][0])) or np.isfinite(score_draws).sum() < enough:
        score_ci = (np.full(1, np.nan), np.full(1, np.nan))
    chosen = percentile if settings.interval == "percentile" else bca
    verdicts = tuple(
        rule.verdict(float(chosen[0, j]), float(chosen[1, j])) for j in range(estimate.size)
    )
    p_equivalence = equivalence_pvalue(replicates, rule.threshold)
    p_equivalence[no_interval] = np.nan
    models_needed = np.array(
        [
            models_to_decide(
                float(estimate[j]),
                threshold=rule.threshold,
                confidence=settings.confidence,
                power=DECISION_POWER,
            )
            if verdicts[j] == "inconclusive"
            else math.nan
            for j in range(estimate.size)
        ]
    )
    ids = [b.id for b in audit_of_class.benchmarks]
    _note_short_intervals(notes, settings, ids, estimate, valid, valid_share, no_interval, name)
    family = tuple(
        "" if b.role == "capability" else ("capability score" if ref is None else "reference")
        for b, ref in zip(audit_of_class.benchmarks, data.references, strict=True)
    )
    permutations = _permutation_count(settings, family, among(name), notes)
    p_value = np.full(estimate.size, np.nan)
    if permutations > 0:
        p_value = class_pvalues(
            audit_of_class,
            permutations,
            class_seed,
            runner,
            report_to(progress, f"permutations ({name})"),
        )
    adjusted = {method: np.full(estimate.size, np.nan) for method in ("bh", "by", "holm")}
    for member in ("capability score", "reference"):
        inside = np.array([f == member for f in family])
        for method, values in adjusted.items():
            values[inside] = adjust(p_value[inside], method)  # type: ignore[arg-type]
    return ClassUncertainty(
        model_class=name,
        benchmark_ids=tuple(ids),
        estimate=estimate,
        percentile=percentile,
        bca=bca,
        p_value=p_value,
        p_bh=adjusted["bh"],
        p_by=adjusted["by"],
        p_holm=adjusted["holm"],
        test_family=family,
        permutations=permutations,
        verdicts=verdicts,
        compute_interval=compute_interval,
        variance_explained=np.array(
            [full["variance_explained"][0], share_ci[0][0], share_ci[1][0]]
        ),
        score_compute=np.array([full["score_compute"][0], score_ci[0][0], score_ci[1][0]]),
        n_valid=int(np.asarray(draws["valid"], dtype=bool).sum()),
        n_units=n_units,
        valid_share=valid_share,
        p_equivalence=p_equivalence,
        models_needed=models_needed,
        cluster_scale=scale,
        replicates=replicates if keep_replicates else None,
    )


def _note_short_intervals(
    notes: list[str],
    settings: UncertaintySettings,
    ids: list[str],
    estimate: FloatArray,
    valid: npt.NDArray[np.int64],
    valid_share: FloatArray,
    no_interval: npt.NDArray[np.bool_],
    name: str,
) -> None:
    """Warn of intervals left out for want of resamples, and of degenerate resamples."""
    enough = minimum_valid(settings.confidence)
    if settings.n_resamples < enough:
        notes.append(
            f"n_resamples={settings.n_resamples} gives no intervals or verdicts{among(name)}: "
            f"an interval needs {enough} valid resamples (5 in each tail at "
            f"{100 * settings.confidence:g}%)."
        )
    else:
        short = [
            f"{ids[j]} ({int(valid[j])} of {settings.n_resamples})"
            for j in np.flatnonzero(~np.isnan(estimate) & (valid < enough))
        ]
        if short:
            notes.append(
                f"No interval or verdict for {_names(short)}{among(name)}: too few resamples "
                f"gave a defined correlation (the count beside each name), and an interval "
                f"needs {enough} (5 in each tail at {100 * settings.confidence:g}%); more "
                "resamples give one."
            )
    flagged = [
        f"{ids[j]} ({100 * (1 - valid_share[j]):.1f}%)"
        for j in np.flatnonzero(valid_share < 1.0 - DEGENERATE_FLAG)
        if not no_interval[j]
    ]
    if flagged:
        notes.append(
            f"Degenerate resamples (fewer than 3 distinct models or a constant column) left "
            f"out{among(name)}: {_names(flagged)}; their intervals are conditional on the rest."
        )


def _names(items: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _permutation_count(
    settings: UncertaintySettings, family: tuple[str, ...], among: str, notes: list[str]
) -> int:
    """The permutations of one class: as asked, or sized to the largest test family."""
    sizes = [family.count(member) for member in ("capability score", "reference")]
    largest = max(sizes)
    method = settings.adjustment
    if settings.permutations is None:
        needed = permutations_needed(largest, settings.alpha, method)
        if needed > MAX_RESAMPLES:
            drawn = max(settings.n_resamples, MAX_RESAMPLES)
            written = f"{needed:,}" if needed < 10**12 else f"about {needed:.1e}"
            notes.append(
                f"alpha={settings.alpha:g} with {method} over {largest} tests{among} would "
                f"need {written} permutations, more than the {MAX_RESAMPLES:,} allowed; "
                f"{drawn:,} were drawn, so no adjusted p-value can be below "
                f"{smallest_adjusted(drawn, largest, method):.3g} (raise alpha, or give "
                "fewer tests)."
            )
            return drawn
        return max(settings.n_resamples, needed)
    count = settings.permutations
    if count > 0 and largest > 0:
        floor = smallest_adjusted(count, largest, method)
        if floor > settings.alpha:
            notes.append(
                f"permutations={count} cannot reject at alpha={settings.alpha:g}{among}: "
                f"with {method} over {largest} tests the smallest adjusted p-value is "
                f"{floor:.3g}; leave permutations out to get "
                f"{permutations_needed(largest, settings.alpha, method)}."
            )
    return count
