"""Accuracy of the capability-block imputation on the paper's data.

Hides 10%, 20% and 30% of the capability cells of the paper's chat and base files at
random (10 seeds each by default), audits with rank-1 iterative-PCA imputation, and
compares with the full-data audit: Spearman of the capability scores (masked vs full)
and the absolute change of every non-capability benchmark's capabilities correlation.
Complete-case (``--impute none``) is measured side by side in the same run.

Then the curve behind the default ``--min-observed``: for thresholds 1 to 8 (of 12), at
20% and 30% hidden, the median over masks of the median absolute change and the fewest
models left with a capability score. The default (a quarter, rounded up: 3) sits at the
end of the flat part, before models start being dropped.

Run: ``uv run python benchmarks/bench_imputation.py [--seeds 10] [--datasets DIR]``.
The issue's targets at 20%: median Spearman >= 0.97, median absolute change <= 0.03.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from safetywashing.core.errors import InputError
from safetywashing.io.tables.readers import read_scores
from safetywashing.robustness.validation import masking_runs

FRACTIONS = (0.10, 0.20, 0.30)
THRESHOLDS = (1, 2, 3, 4, 5, 6, 7, 8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    default = Path(
        os.environ.get(
            "SAFETYWASHING_DATASETS",
            Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets",
        )
    )
    parser.add_argument("--datasets", type=Path, default=default)
    args = parser.parse_args()
    folder = args.datasets / "safetywashing-paper"
    seeds = list(range(args.seeds))
    print(f"{args.seeds} seeds per rate; Spearman and changes: median [min or max] over seeds")
    header = (
        f"{'file':<6} {'impute':<6} {'rate':>5} {'masked':>6} {'scored':>6} "
        f"{'spearman med [min]':>19} {'|dr| med of seeds [max]':>24} {'s/audit':>8}"
    )
    print(header)
    for kind in ("chat", "base"):
        table = read_scores(folder / f"benchmarks_{kind}_models.csv")
        for impute in ("pca", "none"):
            for fraction in FRACTIONS:
                start = time.perf_counter()
                try:
                    chosen = masking_runs(table, [fraction], seeds, preset="paper", impute=impute)
                except InputError as error:
                    print(f"{kind:<6} {impute:<6} {fraction:>5.0%} fails on some seed: {error}")
                    continue
                per_audit = (time.perf_counter() - start) / (len(chosen) + 1)
                spearman = np.array([r.score_spearman for r in chosen])
                change = np.array([r.median_abs_change for r in chosen])
                scored = np.median([r.n_scored for r in chosen])
                print(
                    f"{kind:<6} {impute:<6} {fraction:>5.0%} {chosen[0].n_masked:>6} "
                    f"{scored:>6.0f} {np.median(spearman):>11.4f} [{spearman.min():.4f}] "
                    f"{np.median(change):>15.4f} [{change.max():.4f}] {per_audit:>8.3f}"
                )
    print("\n--min-observed curve (imputation): median |dr| of seeds [max], fewest scored")
    print(f"{'file':<6} {'rate':>5} " + " ".join(f"{t:>16}" for t in THRESHOLDS))
    for kind in ("chat", "base"):
        table = read_scores(folder / f"benchmarks_{kind}_models.csv")
        for fraction in (0.20, 0.30):
            cells = []
            for threshold in THRESHOLDS:
                runs = masking_runs(
                    table, [fraction], seeds, preset="paper", min_observed=threshold
                )
                change = np.array([r.median_abs_change for r in runs])
                fewest = min(r.n_scored for r in runs)
                cells.append(f"{np.median(change):.4f} [{fewest:>2}]")
            print(f"{kind:<6} {fraction:>5.0%} " + " ".join(f"{c:>16}" for c in cells))


if __name__ == "__main__":
    main()
