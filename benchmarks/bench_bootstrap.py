"""Speed and memory of the batched bootstrap against the straightforward loop.

Runs both sides in one process on the paper's chat file (26 models, every benchmark,
whole pipeline refit per resample) and prints:

- wall time of 10,000 batched resamples (best of 3);
- the straightforward loop's time per resample, measured on a subset and extrapolated
  to 10,000 (said so in the output), and the ratio;
- the largest difference between the two on the same resamples;
- peak traced memory of 100,000 batched resamples (tracemalloc) and the process's
  peak resident set size.

Usage: ``uv run python benchmarks/bench_bootstrap.py [--loop-resamples 200]``
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's tests/


from safetywashing.audit.compute import audit
from safetywashing.io.tables.readers import read_scores
from safetywashing.stats.bootstrap import draw_counts, make_plan
from safetywashing.uncertainty.compute import default_chunk, run_bootstrap

DATASETS = Path(
    os.environ.get(
        "SAFETYWASHING_DATASETS", Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets"
    )
)


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's tests/
    from tests.reference import bootstrap_loop

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop-resamples", type=int, default=200)
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument("--memory-resamples", type=int, default=100_000)
    args = parser.parse_args()

    path = DATASETS / "safetywashing-paper" / "benchmarks_chat_models.csv"
    table = read_scores(path)
    result = audit(table, preset="paper")
    chat = result["chat"]
    data = chat.prepared
    plan = make_plan(
        data.capability,
        data.targets,
        reference_loadings=chat.loadings,
        references=data.references,
        flop=data.flop,
    )
    n, k = data.capability.shape
    print(
        f"data: {path.name}: {n} models, {k} capability benchmarks, "
        f"{data.targets.shape[1]} benchmarks (capabilities and compute correlations)"
    )
    seed = np.random.SeedSequence(20240731)

    run_bootstrap(plan, 500, seed)  # warm-up
    times = []
    for _ in range(3):
        start = time.perf_counter()
        run_bootstrap(plan, args.resamples, seed)
        times.append(time.perf_counter() - start)
    batched = min(times)
    print(
        f"batched: {args.resamples:,} resamples in {batched:.3f} s wall "
        f"(best of 3; runs {', '.join(f'{t:.3f}' for t in times)}; chunk {default_chunk(plan)})"
    )

    counts = draw_counts(seed, 0, args.loop_resamples, n_models=n)
    start = time.perf_counter()
    loop = bootstrap_loop(
        data.capability,
        data.targets,
        counts,
        reference_loadings=chat.loadings,
        references=data.references,
    )
    per_resample = (time.perf_counter() - start) / args.loop_resamples
    extrapolated = per_resample * args.resamples
    print(
        f"loop: {1000 * per_resample:.2f} ms per resample, measured on {args.loop_resamples} "
        f"resamples and extrapolated to {args.resamples:,}: {extrapolated:.1f} s"
    )
    print(
        f"speed-up: {extrapolated / batched:.0f}x (target >= 200x); "
        f"1 s target {'met' if batched <= 1.0 else 'NOT met'}"
    )
    fast = plan.evaluate(counts)["capabilities"]
    both = np.isfinite(fast) & np.isfinite(loop)
    same_nan = bool(np.array_equal(np.isnan(fast), np.isnan(loop)))
    print(
        f"agreement on the same {args.loop_resamples} resamples: max |difference| "
        f"{np.max(np.abs(fast[both] - loop[both])):.2e}; same undefined cells: {same_nan}"
    )

    tracemalloc.start()
    start = time.perf_counter()
    run_bootstrap(plan, args.memory_resamples, seed)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"memory: {args.memory_resamples:,} resamples in {elapsed:.1f} s; peak traced "
        f"{peak / 2**20:.0f} MiB; peak resident set {rss:.0f} MiB (target < 1 GB)"
    )


if __name__ == "__main__":
    main()
