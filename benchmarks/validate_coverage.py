"""Coverage of the bootstrap intervals on simulated panels with known truth.

Each panel has 30 models, 12 capability benchmarks and one safety benchmark with a
planted loading on the latent capability; the truth is the simulator's
``true_capabilities_correlation`` (the population Spearman correlation with the
population PC1 score). For each interval type the script prints the share of panels
whose interval contains the truth (target: 93-97% for 95% intervals) and the mean width.

Usage: ``uv run python benchmarks/validate_coverage.py [--panels 1000] [--resamples 1000]``
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from safetywashing.simulate import simulate_panel
from safetywashing.uncertainty import bootstrap_audit


def coverage(
    panels: int, resamples: int, loadings: tuple[float, ...], models: int, seed: int
) -> dict[str, tuple[float, float, int]]:
    """Share of panels covering the truth, mean width, and panels counted per interval."""
    hits = {"percentile": 0, "bca": 0}
    widths: dict[str, list[float]] = {"percentile": [], "bca": []}
    counted = {"percentile": 0, "bca": 0}
    for i in range(panels):
        loading = loadings[i % len(loadings)]
        panel = simulate_panel(n_models=models, safety={"safety": loading}, rng=seed + i)
        truth = panel.true_capabilities_correlation["safety"]
        found = bootstrap_audit(
            panel.table, n_resamples=resamples, seed=seed + i, permutations=0
        ).classes[0]
        position = found.benchmark_ids.index("safety")
        for kind in ("percentile", "bca"):
            low, high = found.interval(kind)[:, position]
            if math.isnan(low) or math.isnan(high):
                continue
            counted[kind] += 1
            hits[kind] += int(low <= truth <= high)
            widths[kind].append(high - low)
    return {
        kind: (hits[kind] / max(counted[kind], 1), float(np.mean(widths[kind])), counted[kind])
        for kind in hits
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panels", type=int, default=1000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--models", type=int, default=30)
    parser.add_argument("--loadings", default="0.0,0.4,0.7")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    loadings = tuple(float(v) for v in args.loadings.split(","))
    start = time.perf_counter()
    result = coverage(args.panels, args.resamples, loadings, args.models, args.seed)
    print(
        f"{args.panels} simulated panels of {args.models} models (planted loadings "
        f"{', '.join(map(str, loadings))} in turn), {args.resamples} resamples each, "
        f"95% intervals, {time.perf_counter() - start:.0f} s"
    )
    for kind, (share, width, counted) in result.items():
        print(
            f"  {kind:10s} coverage {100 * share:.1f}% of {counted} panels; mean width {width:.3f}"
        )


if __name__ == "__main__":
    main()
