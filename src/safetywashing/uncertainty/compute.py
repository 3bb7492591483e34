"""Uncertainty of an audit: bootstrap intervals, permutation p-values, verdicts.

The bootstrap resamples *models* with replacement (or whole model families, when asked)
and refits the whole pipeline inside every resample: standardization, the capability
PC1 of the same matrix as the point estimate (its sign aligned to the full-data PC1),
the capability scores, and every benchmark's capabilities and compute correlation. The
batched kernels live in :mod:`safetywashing.stats.bootstrap`. Capability cells that the
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
see :func:`~safetywashing.stats.intervals.expand_replicates`); fewer than
:data:`MIN_CLUSTERS` families are refused and fewer than :data:`WARN_CLUSTERS` draw a
warning. An interval needs :func:`minimum_valid` non-degenerate resamples (5 in each
tail); below that no interval and no verdict are given.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from safetywashing.audit.compute import AuditInput, audit, require_spearman, resolve_audit
from safetywashing.audit.prepared import PreparedClass
from safetywashing.audit.result import AuditResult, ClassAudit
from safetywashing.core.errors import InputError, InputWarning
from safetywashing.core.parallel import (
    Scheduler,
    SchedulerSpec,
    connected,
    resolve_scheduler,
    run_chunks,
)
from safetywashing.core.progress import ProgressCallback, report_to
from safetywashing.core.table import DEFAULT_CLASS
from safetywashing.stats.bootstrap import (
    BootstrapPlan,
    draw_counts,
    jackknife_counts,
    make_plan,
)
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
from safetywashing.stats.permutation import (
    permutation_blocks,
    permutation_counts,
    pvalues_from_counts,
)
from safetywashing.uncertainty.result import (
    CLUSTERS,
    DECISION_POWER,
    DEFAULT_RESAMPLES,
    DEGENERATE_FLAG,
    MIN_CLUSTERS,
    WARN_CLUSTERS,
    ClassUncertainty,
    UncertaintyResult,
    UncertaintySettings,
    check_count,
    minimum_valid,
    require_complete_basis,
    root_seed,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MIN_BOOTSTRAP_MODELS = 5
#: The smallest chunk a parallel run cuts (smaller ones cost more in overhead than they gain).
MIN_CHUNK = 64

__all__ = [
    "CLUSTERS",
    "DEFAULT_RESAMPLES",
    "MIN_BOOTSTRAP_MODELS",
    "MIN_CLUSTERS",
    "BootstrapJob",
    "ClassUncertainty",
    "PermutationJob",
    "UncertaintyResult",
    "UncertaintySettings",
    "audit_with_uncertainty",
    "bootstrap_audit",
    "bootstrap_chunk",
    "check_count",
    "chunk_for",
    "class_plan",
    "cluster_ids",
    "default_chunk",
    "minimum_valid",
    "permutation_chunk",
    "resolve_audit",
    "run_bootstrap",
]


def cluster_ids(families: Sequence[str], model_ids: Sequence[str], model_class: str) -> IntArray:
    """Number model families 0..G-1; every model must have one."""
    kind = "" if model_class == DEFAULT_CLASS else f"{model_class} "
    for model, family in zip(model_ids, families, strict=True):
        if not family:
            raise InputError(
                f"Resampling by family needs a family for every model, but {kind}"
                f"model '{model}' has none",
                param=("cluster", "family_column"),
                remedy="add a family column (family_column) or drop cluster='family'",
            )
    names = sorted(set(families))
    return np.array([names.index(f) for f in families], dtype=np.int64)


# -- the analysis ----------------------------------------------------------------------------


def default_chunk(plan: BootstrapPlan) -> int:
    """Resamples per batch: about 4 million cells of the widest intermediate array."""
    width = plan.n_models * max(plan.n_targets, plan.capability.shape[1], 1)
    return int(max(64, min(4096, 4_000_000 // width)))


def class_plan(audit_of_class: ClassAudit) -> BootstrapPlan:
    """The bootstrap plan of one class's audit: its prepared arrays and reference loadings."""
    data = audit_of_class.prepared
    return make_plan(
        data.capability,
        data.targets,
        reference_loadings=audit_of_class.loadings,
        kind=data.matrix,  # type: ignore[arg-type]
        references=data.references,
        flop=data.flop,
    )


def chunk_for(plan: BootstrapPlan, n_resamples: int, scheduler: Scheduler) -> int:
    """Resamples per chunk: :func:`default_chunk`, cut finer so every worker gets work.

    Several chunks per worker even out unequal workers; the results do not depend on it.
    """
    chunk = default_chunk(plan)
    if scheduler.kind == "serial":
        return chunk
    return int(max(MIN_CHUNK, min(chunk, -(-n_resamples // scheduler.tasks_wanted))))


@dataclass(frozen=True)
class BootstrapJob:
    """What every chunk of a bootstrap reads (sent once to each worker)."""

    plan: BootstrapPlan
    seed: np.random.SeedSequence
    clusters: IntArray | None


def bootstrap_chunk(job: BootstrapJob, resamples: tuple[int, int]) -> dict[str, FloatArray]:
    """Evaluate resamples ``start`` to ``stop - 1`` of ``job`` (one task of a scheduler)."""
    start, stop = resamples
    counts = draw_counts(job.seed, start, stop, n_models=job.plan.n_models, clusters=job.clusters)
    return job.plan.evaluate(counts)


def run_bootstrap(
    plan: BootstrapPlan,
    n_resamples: int,
    seed: np.random.SeedSequence,
    *,
    clusters: IntArray | None = None,
    chunk_size: int | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
    scheduler: SchedulerSpec = "serial",
) -> dict[str, FloatArray]:
    """Evaluate ``plan`` on ``n_resamples`` resamples, in chunks; stacked outputs.

    The counts of resample ``b`` depend only on ``seed`` and ``b``, and every output
    row only on its counts, so the result is the same bytes for any ``chunk_size`` and
    any ``scheduler`` (see :mod:`safetywashing.core.parallel`).
    """
    width = max(plan.n_targets, plan.capability.shape[1], 1)
    runner = resolve_scheduler(scheduler).for_work(n_resamples * plan.n_models * width)
    chunk = chunk_size or chunk_for(plan, n_resamples, runner)
    ranges = [(start, min(n_resamples, start + chunk)) for start in range(0, n_resamples, chunk)]
    if on_chunk is not None:
        on_chunk(0, n_resamples)
    done = 0

    def finished(count: int) -> None:
        nonlocal done
        done = min(n_resamples, done + chunk)
        if on_chunk is not None:
            on_chunk(done if count < len(ranges) else n_resamples, n_resamples)

    parts = run_chunks(
        runner, bootstrap_chunk, BootstrapJob(plan, seed, clusters), ranges, on_done=finished
    )
    outputs: dict[str, FloatArray] = {}
    for (start, stop), part in zip(ranges, parts, strict=True):
        for key, value in part.items():
            if key not in outputs:
                outputs[key] = np.empty((n_resamples, *np.shape(value)[1:]), dtype=np.float64)
            outputs[key][start:stop] = value
    return outputs


def bootstrap_audit(
    source: AuditResult | AuditInput,
    /,
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence: float = 0.95,
    seed: int | None = None,
    interval: IntervalKind = "percentile",
    cluster: str | None = None,
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
        Which interval fills ``ci_low``/``ci_high`` and decides the verdict.
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
    require_spearman(result, "the bootstrap")
    require_complete_basis(result, "The bootstrap")
    root = root_seed(seed)
    settings = UncertaintySettings(
        n_resamples=n_resamples,
        confidence=confidence,
        seed=int(root.entropy) if seed is None else int(seed),  # type: ignore[arg-type]
        interval=interval,
        cluster=cluster,
        permutations=permutations,
        adjustment=adjustment,
        threshold=result.config.threshold,
        alpha=alpha,
    )
    notes: list[str] = []
    with connected(runner) as live:
        classes = tuple(
            _class_uncertainty(
                c, settings, root, chunk_size, progress, keep_replicates, notes, live
            )
            for c in result.classes
        )
    for note in notes:
        warnings.warn(note, InputWarning, stacklevel=2)
    return UncertaintyResult(
        settings=settings, classes=classes, audit=result, warnings=tuple(notes)
    )


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
    root: np.random.SeedSequence,
    chunk_size: int | None,
    progress: ProgressCallback | None,
    keep_replicates: bool,
    notes: list[str],
    runner: Scheduler,
) -> ClassUncertainty:
    name = audit_of_class.model_class
    among = "" if name == DEFAULT_CLASS else f" among the {name} models"
    n_scored = len(audit_of_class.capability_model_ids)
    if n_scored < MIN_BOOTSTRAP_MODELS:
        raise InputError(
            f"The bootstrap needs at least {MIN_BOOTSTRAP_MODELS} models with a capability "
            f"score{'' if name == DEFAULT_CLASS else f' among the {name} models'}; only {n_scored} "
            f"ha{'s' if n_scored == 1 else 've'} one",
            param="n_resamples",
            remedy="add models or do without the bootstrap",
        )
    data = audit_of_class.prepared
    clusters = (
        cluster_ids(data.families, audit_of_class.model_ids, name)
        if settings.cluster == "family"
        else None
    )
    scale = 1.0
    if clusters is not None:
        groups = int(clusters.max()) + 1
        if groups < MIN_CLUSTERS:
            raise InputError(
                f"Resampling by family needs at least {MIN_CLUSTERS} model families{among}; "
                f"there are {groups}",
                param="cluster",
                remedy="drop cluster='family'",
            )
        if groups < WARN_CLUSTERS:
            measured = (
                " (a 95% percentile interval covered about 90% with 4 families, and with "
                "6 families that were in fact independent)"
                if groups <= 6
                else ""
            )
            notes.append(
                f"Resampling by family{among} with only {groups} families: the intervals "
                f"are widened by sqrt(G/(G-1)) = {math.sqrt(groups / (groups - 1)):.3f}, "
                f"but cluster-bootstrap coverage is approximate below {WARN_CLUSTERS} "
                f"families{measured}; see benchmarks/validate_coverage.py."
            )
        scale = math.sqrt(groups / (groups - 1))
    plan = class_plan(audit_of_class)
    # Each class gets its own stream under the root seed.
    class_seed = np.random.SeedSequence(
        entropy=root.entropy, spawn_key=(zlib.crc32(name.encode()),)
    )
    full = plan.evaluate(np.ones((1, plan.n_models)))
    draws = run_bootstrap(
        plan,
        settings.n_resamples,
        class_seed,
        clusters=clusters,
        chunk_size=chunk_size,
        on_chunk=report_to(progress, f"bootstrap ({name})"),
        scheduler=runner,
    )
    jack = plan.evaluate(jackknife_counts(plan.n_models, clusters))
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
    bca = np.vstack(bca_interval(replicates, estimate, jack["capabilities"], settings.confidence))
    bca[:, no_interval] = np.nan
    compute_interval = np.vstack(percentile_interval(compute_draws, settings.confidence))
    compute_interval[
        :, np.isnan(full["compute"][0]) | (np.isfinite(compute_draws).sum(axis=0) < enough)
    ] = np.nan
    share = draws["variance_explained"][:, None]
    share_ci = percentile_interval(share, settings.confidence)
    score_ci = percentile_interval(score_draws[:, None], settings.confidence)
    if math.isnan(float(full["score_compute"][0])):
        score_ci = (np.full(1, np.nan), np.full(1, np.nan))
    chosen = percentile if settings.interval == "percentile" else bca
    rule = settings.rule
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
    if settings.n_resamples < enough:
        notes.append(
            f"n_resamples={settings.n_resamples} gives no intervals or verdicts{among}: an "
            f"interval needs {enough} valid resamples (5 in each tail at "
            f"{100 * settings.confidence:g}%)."
        )
    else:
        short = [
            f"{ids[j]} ({int(valid[j])} of {settings.n_resamples})"
            for j in np.flatnonzero(~np.isnan(estimate) & (valid < enough))
        ]
        if short:
            notes.append(
                f"No interval or verdict for {_names(short)}{among}: too few resamples gave "
                f"a defined correlation (the count beside each name), and an interval needs "
                f"{enough} (5 in each tail at {100 * settings.confidence:g}%); more resamples "
                "give one."
            )
    flagged = [
        f"{ids[j]} ({100 * (1 - valid_share[j]):.1f}%)"
        for j in np.flatnonzero(valid_share < 1.0 - DEGENERATE_FLAG)
        if not no_interval[j]
    ]
    if flagged:
        notes.append(
            f"Degenerate resamples (fewer than 3 distinct models or a constant column) left "
            f"out{among}: {_names(flagged)}; their intervals are conditional on the rest."
        )
    family = tuple(
        "" if b.role == "capability" else ("capability score" if ref is None else "reference")
        for b, ref in zip(audit_of_class.benchmarks, data.references, strict=True)
    )
    permutations = _permutation_count(settings, family, among, notes)
    p_value = np.full(estimate.size, np.nan)
    if permutations > 0:
        p_value = _pvalues(
            audit_of_class,
            data,
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
        n_units=plan.n_models if clusters is None else int(clusters.max()) + 1,
        valid_share=valid_share,
        p_equivalence=p_equivalence,
        models_needed=models_needed,
        cluster_scale=scale,
        replicates=replicates if keep_replicates else None,
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
        return max(settings.n_resamples, permutations_needed(largest, settings.alpha, method))
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


@dataclass(frozen=True)
class PermutationJob:
    """What every chunk of a permutation test reads (sent once to each worker).

    One test per reference: the benchmarks read against the capability score share one,
    and each calibration benchmark has its own reference column.
    """

    references: tuple[FloatArray, ...]
    values: tuple[FloatArray, ...]
    n_permutations: int
    seed: np.random.SeedSequence


def permutation_chunk(
    job: PermutationJob, task: tuple[int, int, int]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Exceedance counts of test ``test``, permutation blocks ``first`` to ``last - 1``."""
    test, first, last = task
    return permutation_counts(
        job.references[test],
        job.values[test],
        job.n_permutations,
        job.seed,
        tag=1,
        blocks=range(first, last),
    )


def _pvalues(
    audit_of_class: ClassAudit,
    data: PreparedClass,
    permutations: int,
    seed: np.random.SeedSequence,
    runner: Scheduler,
    on_chunk: Callable[[int, int], None],
) -> FloatArray:
    p = np.full(len(audit_of_class.benchmarks), np.nan)
    groups: dict[bytes, list[int]] = {}
    for j, ref in enumerate(data.references):
        key = b"score" if ref is None else ref.tobytes()
        groups.setdefault(key, []).append(j)
    members_of = list(groups.values())
    job = PermutationJob(
        references=tuple(
            np.asarray(
                audit_of_class.capability_scores
                if data.references[m[0]] is None
                else data.references[m[0]],
                dtype=np.float64,
            )
            for m in members_of
        ),
        values=tuple(np.ascontiguousarray(data.targets[:, m]) for m in members_of),
        n_permutations=permutations,
        seed=seed,
    )
    blocks = permutation_blocks(permutations)
    runner = runner.for_work(permutations * data.targets.size)
    # Counts of disjoint block ranges add up, so the ranges can run anywhere.
    step = max(1, -(-blocks // runner.tasks_wanted))
    tasks = [
        (test, b, min(blocks, b + step))
        for test in range(len(members_of))
        for b in range(0, blocks, step)
    ]
    on_chunk(0, len(tasks))
    parts = run_chunks(
        runner, permutation_chunk, job, tasks, on_done=lambda n: on_chunk(n, len(tasks))
    )
    for test, members in enumerate(members_of):
        mine = [part for task, part in zip(tasks, parts, strict=True) if task[0] == test]
        exceed = np.sum([part[0] for part in mine], axis=0)
        p[members] = pvalues_from_counts(exceed, mine[0][1], permutations)
    return p
