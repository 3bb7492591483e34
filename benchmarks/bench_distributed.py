"""The bootstrap on a Dask cluster: speed-up with 1 and 2 local workers, per-task overhead.

Generates one synthetic wide panel (by default 10,000 models x 100 benchmarks, the
generator of ``bench_scale.py``: a latent capability factor, 12 capability benchmarks,
10% gaps outside the capability block), audits it, and runs the same bootstrap (no
permutations, fixed chunks of resamples) side by side, interleaved over ``--repeat``
rounds:

- in this process (``scheduler="serial"``), the baseline;
- on a ``dask.distributed.LocalCluster`` with 1 worker process and with 2 (one thread
  each), started and warmed up (the package imported on every worker) before the rounds.

The workers start with ``safetywashing.core.parallel.WORKER_ENVIRONMENT`` (``--dask-defaults``
keeps Dask's own, whose ``MALLOC_TRIM_THRESHOLD_`` slows numpy's large temporaries).
They run BLAS on one thread each, where the serial run may use every core for a matrix
product; on a two-core machine, 2 workers against the serial run is the fair comparison.

It prints the median wall time of each, the speed-up of each cluster against the
baseline and of 2 workers against 1, checks that every run gave the baseline's bytes,
and measures the fixed costs of the cluster: the per-task overhead (median time per
task of a batch of tasks that do nothing, on 2 workers) and the time to send the plan
(the shared inputs every chunk reads) to the workers. From the measured cost per
resample and these overheads it estimates what a cluster of ``--estimate-workers``
workers would take for ``--estimate-resamples`` resamples of the same panel (the
README quotes it).

Usage::

    uv run python benchmarks/bench_distributed.py [--models 10000] [--benchmarks 100]
        [--resamples 256] [--chunk 32] [--repeat 3]
"""

from __future__ import annotations

import argparse
import logging
import pickle
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import capability_ids, generate

from safetywashing.audit.compute import audit
from safetywashing.core.parallel import WORKER_ENVIRONMENT, resolve_scheduler, run_chunks
from safetywashing.uncertainty.compute import BootstrapJob, class_plan, default_chunk, run_bootstrap
from safetywashing.uncertainty.settings import root_seed


def _nothing(shared: Any, task: int) -> int:
    return task


def plan_of(models: int, benchmarks: int, folder: Path) -> Any:
    """The bootstrap plan of the generated panel's one class, as the audit builds it."""
    path = generate(models, benchmarks, folder)
    result = audit(path, capabilities=capability_ids())
    return class_plan(result.classes[0])


def timed(run: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = run()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--benchmarks", type=int, default=100)
    parser.add_argument("--resamples", type=int, default=256)
    parser.add_argument("--chunk", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=400, help="empty tasks for the overhead")
    parser.add_argument("--estimate-workers", type=int, default=100)
    parser.add_argument("--estimate-resamples", type=int, default=1_000_000)
    parser.add_argument(
        "--dask-defaults",
        action="store_true",
        help="start the workers with Dask's own environment instead of WORKER_ENVIRONMENT",
    )
    args = parser.parse_args()

    import dask
    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="distributed")

    with tempfile.TemporaryDirectory() as folder:
        plan = plan_of(args.models, args.benchmarks, Path(folder))
    seed = root_seed(7)
    plan_bytes = len(pickle.dumps(BootstrapJob(plan, seed, None), protocol=5))
    print(
        f"panel: {args.models:,} models x {args.benchmarks} benchmarks; {plan.kernel} kernel; "
        f"{args.resamples} resamples in chunks of {args.chunk}; plan {plan_bytes / 2**20:.1f} MiB"
    )

    def bootstrap(scheduler: Any) -> dict[str, Any]:
        return run_bootstrap(plan, args.resamples, seed, chunk_size=args.chunk, scheduler=scheduler)

    if not args.dask_defaults:
        dask.config.set({"distributed.nanny.pre-spawn-environ": WORKER_ENVIRONMENT})
    print(f"workers' environment: {'Dask defaults' if args.dask_defaults else WORKER_ENVIRONMENT}")
    clusters = {
        workers: LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        for workers in (1, 2)
    }
    clients = {workers: Client(cluster) for workers, cluster in clusters.items()}
    try:
        # Warm up: the first task on a worker imports the package.
        for client in clients.values():
            run_bootstrap(plan, 2 * args.chunk, seed, chunk_size=args.chunk, scheduler=client)
        times: dict[str, list[float]] = {"serial": [], "1 worker": [], "2 workers": []}
        baseline: dict[str, Any] | None = None
        for round_number in range(args.repeat):
            order = ["serial", "1 worker", "2 workers"]
            if round_number % 2:
                order.reverse()
            for name in order:
                scheduler = "serial" if name == "serial" else clients[int(name[0])]
                seconds, found = timed(lambda s=scheduler: bootstrap(s))
                times[name].append(seconds)
                if baseline is None:
                    baseline = bootstrap("serial") if name != "serial" else found
                for key, value in baseline.items():
                    if not np.array_equal(value, found[key], equal_nan=True):
                        raise SystemExit(f"{name}: {key} differs from the serial run")
        median = {name: statistics.median(values) for name, values in times.items()}
        for name, seconds in median.items():
            print(
                f"{name:>10}: median {seconds:7.2f} s over {args.repeat} "
                f"(min {min(times[name]):.2f}, max {max(times[name]):.2f}); "
                f"speed-up vs serial {median['serial'] / seconds:.2f}"
            )
        print(f"2 workers vs 1 worker: speed-up {median['1 worker'] / median['2 workers']:.2f}")
        print("every run gave the serial run's bytes")

        two = resolve_scheduler(clients[2])
        overhead = []
        for _ in range(args.repeat):
            seconds, _ = timed(lambda: run_chunks(two, _nothing, None, list(range(args.tasks))))
            overhead.append(seconds / args.tasks)
        per_task = statistics.median(overhead)
        print(f"per-task overhead (2 workers, {args.tasks} empty tasks): {1e3 * per_task:.2f} ms")
        scatter = []
        for _ in range(args.repeat):
            seconds, remote = timed(lambda: clients[2].scatter(plan, broadcast=True, hash=False))
            scatter.append(seconds)
            clients[2].cancel([remote])
        send = statistics.median(scatter)
        print(f"sending the plan to 2 workers: {send:.2f} s")

        per_resample = median["1 worker"] / args.resamples
        resamples, workers = args.estimate_resamples, args.estimate_workers
        chunk = default_chunk(plan)
        tasks = -(-resamples // chunk)
        compute = resamples * per_resample / workers
        estimate = compute + tasks * per_task + send
        print(
            f"cost per resample on one worker: {1e3 * per_resample:.1f} ms; estimate for "
            f"{resamples:,} resamples on {workers} such workers in chunks of {chunk:,} "
            f"({tasks} tasks): {compute / 60:.1f} min of compute + {tasks * per_task:.1f} s "
            f"of task overhead + {send:.1f} s to send the plan = about {estimate / 60:.0f} min"
        )
    finally:
        for client in clients.values():
            client.close()
        for cluster in clusters.values():
            cluster.close()


if __name__ == "__main__":
    main()
