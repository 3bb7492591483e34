"""Time ``safetywashing audit`` end to end on the paper's data, and the core computation.

Usage: ``uv run python benchmarks/bench_audit.py [--datasets DIR] [--repeat N]``.

Prints, for the paper's chat and base files with ``--preset paper --format json``, the
median wall time of the whole command (a fresh interpreter each time, start-up
included) per file, for both classes (two commands, and one command given both files),
and the in-process time of the method itself (read + audit + JSON). Target: both
classes to JSON in <= 0.8 s wall.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
FILES = ("benchmarks_chat_models.csv", "benchmarks_base_models.csv")


def command_seconds(paths: list[Path], repeat: int) -> float:
    """Median wall time of the audit command run in a fresh interpreter."""
    command = [
        sys.executable, "-m", "safetywashing.cli.app", "audit", *map(str, paths),
        "--preset", "paper", "--format", "json",
    ]  # fmt: skip
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def interpreter_seconds(repeat: int) -> float:
    """Median wall time of a bare interpreter start, for comparison."""
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def core_seconds(path: Path, repeat: int) -> float:
    """Median in-process time of read + audit + JSON (imports already done)."""
    from safetywashing.audit.compute import audit
    from safetywashing.io.tables.readers import read_scores
    from safetywashing.report.tables import to_json

    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        to_json(audit(read_scores(path), preset="paper"))
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--datasets",
        type=Path,
        default=Path(os.environ.get("SAFETYWASHING_DATASETS", DEFAULT_DATASETS)),
    )
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    folder = args.datasets / "safetywashing-paper"
    bare = interpreter_seconds(args.repeat)
    print(f"bare interpreter start: {bare:.3f} s (median of {args.repeat})")
    total = 0.0
    for name in FILES:
        seconds = command_seconds([folder / name], args.repeat)
        total += seconds
        core = core_seconds(folder / name, args.repeat)
        print(
            f"{name}: command {seconds:.3f} s wall (median of {args.repeat}); "
            f"core read+audit+json {1000 * core:.1f} ms"
        )
    together = command_seconds([folder / name for name in FILES], args.repeat)
    for label, seconds in (("one command per class", total), ("one command, both files", together)):
        verdict = "meets" if seconds <= 0.8 else "misses"
        print(f"both classes to JSON, {label}: {seconds:.3f} s wall; target <= 0.8 s: {verdict}")


if __name__ == "__main__":
    main()
