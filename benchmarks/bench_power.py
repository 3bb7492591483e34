"""Speed of ``safetywashing power`` and the Fisher-z engine against the audit's own.

Times the README example (``safetywashing power --rho 0.6 --models 20,30,50,100``, 2,000
panels per size, Fisher-z engine) end to end as a subprocess, then reads the same kind of
panels with the audit's bootstrap interval and permutation test (``--bootstrap``) and
prints both engines' rows side by side: power to detect a non-zero correlation, the
chance of each verdict, the mean width and the coverage.

Usage: ``uv run python benchmarks/bench_power.py [--panels 200] [--resamples 500]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from safetywashing.power.compute import power_analysis

README_EXAMPLE = ["power", "--rho", "0.6", "--models", "20,30,50,100", "--seed", "1"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panels", type=int, default=200, help="bootstrap-engine panels")
    parser.add_argument("--resamples", type=int, default=500)
    parser.add_argument("--rho", default="0.0,0.6")
    parser.add_argument("--models", default="20,50")
    args = parser.parse_args()
    command = Path(sys.executable).with_name("safetywashing")
    start = time.perf_counter()
    subprocess.run([str(command), *README_EXAMPLE], check=True, capture_output=True)
    print(f"README example `safetywashing {' '.join(README_EXAMPLE)}`: "
          f"{time.perf_counter() - start:.1f} s (process start to exit)")  # fmt: skip
    sizes = [int(v) for v in args.models.split(",")]
    print(f"\nFisher-z engine (2000 panels) vs the audit's bootstrap ({args.panels} panels, "
          f"{args.resamples} resamples, permutation test):")  # fmt: skip
    print(f"{'rho':>5} {'n':>4} {'engine':>9} {'power':>6} {'P(ent)':>7} {'P(dis)':>7} "
          f"{'P(inc)':>7} {'width':>6} {'cover':>6} {'s':>6}")  # fmt: skip
    for rho in (float(v) for v in args.rho.split(",")):
        for engine, panels in (("fisher", 2000), ("bootstrap", args.panels)):
            start = time.perf_counter()
            found = power_analysis(
                rho=rho, models=sizes, panels=panels, engine=engine,  # type: ignore[arg-type]
                n_resamples=args.resamples, seed=7,
            )  # fmt: skip
            seconds = time.perf_counter() - start
            for row in found.rows:
                v = row.verdicts
                print(f"{rho:>5.2f} {row.n_models:>4} {engine:>9} {row.power:>6.2f} "
                      f"{v['entangled']:>7.2f} {v['distinct']:>7.2f} {v['inconclusive']:>7.2f} "
                      f"{row.mean_width:>6.3f} {row.coverage:>6.2f} {seconds:>6.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
