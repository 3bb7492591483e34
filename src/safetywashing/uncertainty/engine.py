"""The bootstrap, its jackknife and the permutation tests of one class, cut into chunks.

The counts of resample ``b`` depend only on the seed and ``b`` (those of the jackknife's
row ``i`` only on ``i``), and every output row only on its counts; the exceedance counts
of disjoint permutation blocks add up. So the
chunks can run anywhere (:mod:`safetywashing.core.parallel`) and the result is the same
bytes for any chunk size and any scheduler. The kernels are those of
:mod:`safetywashing.stats.bootstrap` and :mod:`safetywashing.stats.permutation`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from safetywashing.audit.result import ClassAudit
from safetywashing.core.parallel import (
    SERIAL,
    Scheduler,
    SchedulerSpec,
    resolve_scheduler,
    run_chunks,
)
from safetywashing.stats.bootstrap import BootstrapPlan, draw_counts, jackknife_counts, make_plan
from safetywashing.stats.permutation import (
    PermutationPlan,
    permutation_blocks,
    permutation_plan,
    pvalues_from_counts,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Job = TypeVar("Job")

#: The smallest chunk a parallel run cuts (smaller ones cost more in overhead than they gain).
MIN_CHUNK = 64

__all__ = [
    "MIN_CHUNK",
    "BootstrapJob",
    "JackknifeJob",
    "PermutationJob",
    "bootstrap_chunk",
    "chunk_for",
    "class_plan",
    "class_pvalues",
    "default_chunk",
    "jackknife_chunk",
    "permutation_chunk",
    "run_bootstrap",
    "run_jackknife",
    "run_resamples",
]


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


def run_resamples(
    plan: BootstrapPlan,
    n_resamples: int,
    seed: np.random.SeedSequence,
    scheduler: Scheduler,
    *,
    clusters: IntArray | None = None,
    chunk_size: int | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> dict[str, FloatArray]:
    """Evaluate ``plan`` on ``n_resamples`` resamples, in chunks run by ``scheduler``.

    The outputs of the chunks are stacked in resample order (see the module's note).
    """
    job = BootstrapJob(plan, seed, clusters)
    return _stacked(plan, n_resamples, scheduler, bootstrap_chunk, job, chunk_size, on_chunk)


@dataclass(frozen=True)
class JackknifeJob:
    """What every chunk of a jackknife reads: the plan and the resampled units."""

    plan: BootstrapPlan
    clusters: IntArray | None


def jackknife_chunk(job: JackknifeJob, units: tuple[int, int]) -> dict[str, FloatArray]:
    """The refits without unit ``start``, ..., without unit ``stop - 1`` (one task)."""
    start, stop = units
    counts = jackknife_counts(job.plan.n_models, job.clusters, start=start, stop=stop)
    return job.plan.evaluate(counts)


def run_jackknife(
    plan: BootstrapPlan,
    scheduler: Scheduler,
    *,
    clusters: IntArray | None = None,
    chunk_size: int | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> dict[str, FloatArray]:
    """The leave-one-unit-out refits of ``plan`` (BCa's acceleration), in chunks.

    Each row depends only on its counts, so the chunks run anywhere, as the bootstrap's.
    """
    units = plan.n_models if clusters is None else int(clusters.max()) + 1
    job = JackknifeJob(plan, clusters)
    return _stacked(plan, units, scheduler, jackknife_chunk, job, chunk_size, on_chunk)


def _stacked(
    plan: BootstrapPlan,
    rows: int,
    scheduler: Scheduler,
    function: Callable[[Job, tuple[int, int]], dict[str, FloatArray]],
    job: Job,
    chunk_size: int | None,
    on_chunk: Callable[[int, int], None] | None,
) -> dict[str, FloatArray]:
    """``function`` on chunks of ``rows`` rows of refits, their outputs stacked in order."""
    width = max(plan.n_targets, plan.capability.shape[1], 1)
    runner = scheduler.for_work(rows * plan.n_models * width)
    chunk = chunk_size or chunk_for(plan, rows, runner)
    ranges = [(start, min(rows, start + chunk)) for start in range(0, rows, chunk)]
    if on_chunk is not None:
        on_chunk(0, rows)
    done = 0

    def finished(count: int) -> None:
        nonlocal done
        done = min(rows, done + chunk)
        if on_chunk is not None:
            on_chunk(done if count < len(ranges) else rows, rows)

    parts = run_chunks(runner, function, job, ranges, on_done=finished)
    outputs: dict[str, FloatArray] = {}
    for (start, stop), part in zip(ranges, parts, strict=True):
        for key, value in part.items():
            if key not in outputs:
                outputs[key] = np.empty((rows, *np.shape(value)[1:]), dtype=np.float64)
            outputs[key][start:stop] = value
    return outputs


def run_bootstrap(
    plan: BootstrapPlan,
    n_resamples: int,
    seed: np.random.SeedSequence,
    *,
    clusters: IntArray | None = None,
    chunk_size: int | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
    scheduler: SchedulerSpec = SERIAL,
) -> dict[str, FloatArray]:
    """:func:`run_resamples` on a scheduler given by name or client (in place by default)."""
    return run_resamples(
        plan,
        n_resamples,
        seed,
        resolve_scheduler(scheduler),
        clusters=clusters,
        chunk_size=chunk_size,
        on_chunk=on_chunk,
    )


@dataclass(frozen=True)
class PermutationJob:
    """What every chunk of a class's permutation tests reads (sent once to each worker).

    One test per reference (the benchmarks read against the capability score share one,
    and each calibration benchmark has its own reference column), all in one plan so
    that every pattern of every test with the same number of models shares one draw.
    """

    plan: PermutationPlan
    n_permutations: int
    seed: np.random.SeedSequence


def permutation_chunk(job: PermutationJob, blocks: tuple[int, int]) -> list[IntArray]:
    """Exceedance counts of every test over permutation blocks ``first`` to ``last - 1``."""
    first, last = blocks
    return job.plan.counts(job.n_permutations, job.seed, tag=1, blocks=range(first, last))


def class_pvalues(
    audit_of_class: ClassAudit,
    permutations: int,
    seed: np.random.SeedSequence,
    scheduler: Scheduler,
    on_chunk: Callable[[int, int], None],
) -> FloatArray:
    """Permutation p-value of every benchmark of a class, against its own reference.

    Chunks of permutation blocks run on ``scheduler``; their counts add up (see
    :mod:`safetywashing.stats.permutation`), so the p-values are the same bytes for any
    scheduler and chunking.
    """
    data = audit_of_class.prepared
    p = np.full(len(audit_of_class.benchmarks), np.nan)
    groups: dict[bytes, list[int]] = {}
    for j, ref in enumerate(data.references):
        key = b"score" if ref is None else ref.tobytes()
        groups.setdefault(key, []).append(j)
    members_of = list(groups.values())
    tests: list[tuple[FloatArray, FloatArray]] = []
    for members in members_of:
        reference = data.references[members[0]]
        against = audit_of_class.capability_scores if reference is None else reference
        tests.append((np.asarray(against, dtype=np.float64), data.targets[:, members]))
    plan = permutation_plan(tests)
    blocks = permutation_blocks(permutations)
    runner = scheduler.for_work(permutations * data.targets.size)
    step = max(1, -(-blocks // runner.tasks_wanted))
    tasks = [(b, min(blocks, b + step)) for b in range(0, blocks, step)]
    on_chunk(0, len(tasks))
    parts = run_chunks(
        runner,
        permutation_chunk,
        PermutationJob(plan, permutations, seed),
        tasks,
        on_done=lambda n: on_chunk(n, len(tasks)),
    )
    for test, members in enumerate(members_of):
        exceed = np.sum([part[test] for part in parts], axis=0)
        p[members] = pvalues_from_counts(exceed, plan.defined[test], permutations)
    return p
