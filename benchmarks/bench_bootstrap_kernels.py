"""The bootstrap's two kernels side by side, and the sorted one on a leaderboard-sized panel.

``stats/bootstrap.py`` ranks resamples (with ``stats/weighted_ranks.py``) either through
``(n, n * J)`` operators (one matrix product per batch) or from cumulative sums along
each column's sorted order (O(n) per column and resample); ``COUNTS_KERNEL_MAX_MODELS``
and ``OPERATOR_BYTES`` in ``stats/bootstrap.py`` switch between them. This script
measures the first rule and checks the second. It prints:

- per panel size (12 capability benchmarks, 20 targets with gaps, a FLOP column), the
  time per resample of each kernel on the same counts, the operators' size, and whether
  the outputs are byte-identical; the counts kernel is skipped where its operators
  would pass 2 GB;
- 1,000 resamples of 10,000 models x 100 benchmarks with the sorted kernel, in a fresh
  process: wall time and peak RSS (target: within 4 GB).

Usage: ``uv run python benchmarks/bench_bootstrap_kernels.py [--sizes 50,100,...]
[--skip-large]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import numpy as np

import safetywashing.stats.bootstrap as bootstrap
from safetywashing.stats.bootstrap import draw_counts, make_plan


def panel(n: int, n_targets: int, seed: int = 0) -> dict[str, np.ndarray]:
    """A latent-factor panel: capability block, targets with 10% gaps, FLOP."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal(n)
    capability = latent[:, None] * 0.8 + rng.standard_normal((n, 12)) * 0.6
    targets = latent[:, None] * rng.uniform(-0.8, 0.8, n_targets) + rng.standard_normal(
        (n, n_targets)
    )
    targets[rng.random(targets.shape) < 0.1] = np.nan
    flop = latent + rng.standard_normal(n) * 0.3
    return {
        "capability": np.round(capability, 3),
        "targets": np.round(targets, 3),
        "flop": flop,
        "loadings": np.full(12, 1 / np.sqrt(12)),
    }


def plan_for(data: dict[str, np.ndarray], operator_bytes: int) -> bootstrap.BootstrapPlan:
    """A plan with the counts kernel (huge ``operator_bytes``) or the sorted one (0)."""
    bootstrap.COUNTS_KERNEL_MAX_MODELS = 1 << 30 if operator_bytes else 0
    bootstrap.OPERATOR_BYTES = operator_bytes
    return make_plan(
        data["capability"],
        data["targets"],
        reference_loadings=data["loadings"],
        flop=data["flop"],
    )


def per_resample(plan: bootstrap.BootstrapPlan, counts: np.ndarray) -> tuple[float, dict]:
    start = time.perf_counter()
    out = plan.evaluate(counts)
    return (time.perf_counter() - start) / counts.shape[0], out


def large() -> None:
    """1,000 resamples of 10,000 x 100 with whatever kernel the rule picks."""
    data = panel(10_000, 100)
    start = time.perf_counter()
    plan = make_plan(
        data["capability"], data["targets"], reference_loadings=data["loadings"], flop=data["flop"]
    )
    built = time.perf_counter() - start
    seed = np.random.SeedSequence(1)
    for first in range(0, 1_000, 100):
        plan.evaluate(draw_counts(seed, first, first + 100, n_models=10_000))
    evaluated = time.perf_counter() - start - built
    print(f"{plan.kernel} kernel: plan {built:.1f} s, 1,000 resamples {evaluated:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="50,100,200,400,800,1600")
    parser.add_argument("--resamples", type=int, default=100)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    default = (bootstrap.COUNTS_KERNEL_MAX_MODELS, bootstrap.OPERATOR_BYTES)
    print(
        f"switching rule: sorted kernel above {default[0]} models or "
        f"{default[1] / 2**20:.0f} MiB of operators"
    )
    print("| models | operators | counts kernel | sorted kernel | same bytes |")
    for n in (int(size) for size in args.sizes.split(",")):
        data = panel(n, 20)
        operator_bytes = n * n * (20 + 12) * 8 * 2  # targets twice: capability and compute
        counts = draw_counts(np.random.SeedSequence(2), 0, args.resamples, n_models=n)
        sorted_time, sorted_out = per_resample(plan_for(data, 0), counts)
        if operator_bytes < 2 << 30:
            counts_time, counts_out = per_resample(plan_for(data, 1 << 62), counts)
            same = all(counts_out[k].tobytes() == sorted_out[k].tobytes() for k in counts_out)
            counted = f"{1e3 * counts_time:9.2f} ms"
        else:
            counted, same = "   (skipped)", None
        print(
            f"| {n:6,} | {operator_bytes / 2**20:7,.0f} MiB | {counted} | "
            f"{1e3 * sorted_time:9.2f} ms | {same} |",
            flush=True,
        )
    bootstrap.COUNTS_KERNEL_MAX_MODELS, bootstrap.OPERATOR_BYTES = default
    if not args.skip_large:
        process = subprocess.Popen([sys.executable, __file__, "large"])
        _, _, usage = os.wait4(process.pid, 0)
        print(
            f"10,000 x 100, 1,000 resamples: peak RSS {usage.ru_maxrss / 2**20:.2f} GiB "
            "(target <= 4 GiB)"
        )


if __name__ == "__main__":
    if sys.argv[1:] == ["large"]:
        large()
    else:
        main()
