"""The bootstrap and the permutation tests of one class, cut into chunks for a scheduler.

The counts of resample ``b`` depend only on the seed and ``b``, and every output row
only on its counts; the exceedance counts of disjoint permutation blocks add up. So the
chunks can run anywhere (:mod:`safetywashing.core.parallel`) and the result is the same
bytes for any chunk size and any scheduler. The kernels are those of
:mod:`safetywashing.stats.bootstrap` and :mod:`safetywashing.stats.permutation`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
from safetywashing.stats.bootstrap import BootstrapPlan, draw_counts, make_plan
from safetywashing.stats.permutation import (
    permutation_blocks,
    permutation_counts,
    pvalues_from_counts,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: The smallest chunk a parallel run cuts (smaller ones cost more in overhead than they gain).
MIN_CHUNK = 64

__all__ = [
    "MIN_CHUNK",
    "BootstrapJob",
    "PermutationJob",
    "bootstrap_chunk",
    "chunk_for",
    "class_plan",
    "class_pvalues",
    "default_chunk",
    "permutation_chunk",
    "run_bootstrap",
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
    width = max(plan.n_targets, plan.capability.shape[1], 1)
    runner = scheduler.for_work(n_resamples * plan.n_models * width)
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


def class_pvalues(
    audit_of_class: ClassAudit,
    permutations: int,
    seed: np.random.SeedSequence,
    scheduler: Scheduler,
    on_chunk: Callable[[int, int], None],
) -> FloatArray:
    """Permutation p-value of every benchmark of a class, against its own reference."""
    data = audit_of_class.prepared
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
    runner = scheduler.for_work(permutations * data.targets.size)
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
