"""How the audit scales with the panel: the CLI against a straightforward pandas + scipy.

Generates synthetic wide panels into a temporary folder (a latent capability factor,
12 capability benchmarks, the other columns safety benchmarks with planted loadings, a
FLOP column, and 10% missing cells outside the capability block), then runs for each
size, as whole fresh processes side by side and interleaved:

- the CLI: ``safetywashing audit PANEL --capabilities ... --format json``;
- the reference: the same method written the obvious way with pandas and scipy
  (``pandas.read_csv``, ``scipy.stats.spearmanr`` of the complete capability block,
  ``numpy.linalg.eigh``, then ``scipy.stats.spearmanr`` per benchmark over its
  pairwise-complete models), printing JSON too (``bench_scale.py reference ...``).

It prints per size the median wall time of each side, the ratio CLI / reference
(target <= 0.5), the peak resident set size of each run (``os.wait4``'s resource usage
of that one child; panels are generated and outputs compared in child processes too,
because a child started by vfork reports at least its parent's peak), and the largest
difference between the two sides' capabilities correlations. At the end it fits the
cost exponents of the CLI in models (at 100 benchmarks) and in benchmarks (at 1,000
models) by least squares in log-log, on the sizes whose wall time is over twice the
start-up time of the same command on a 30 x 20 panel, both on the wall time above that
start-up and on the whole wall time (goal <= 1.1 each). The 10,000 x 1,000 panel also
runs from Parquet, and its CSV -> JSON wall time is checked against the 5 s target.

Usage::

    uv run python benchmarks/bench_scale.py [--repeat 5] [--sizes 1000x100,10000x1000]
        [--keep DIR] [--skip-reference-above 0]

The default sizes are the issue's table plus 30,000 and 100,000 models x 100 and
10,000 x 1,000.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_SIZES = "1000x100,3000x100,10000x100,30000x100,100000x100,1000x1000,1000x3000,10000x1000"
N_CAPABILITY = 12
GAP = 0.10
STARTUP_SIZE = (30, 20)


# -- panels ------------------------------------------------------------------------------


def capability_ids() -> list[str]:
    """Names of the capability columns of every generated panel."""
    return [f"cap_{k:02d}" for k in range(N_CAPABILITY)]


def generate(models: int, benchmarks: int, folder: Path, *, seed: int = 0) -> Path:
    """Write a synthetic wide panel as CSV (and the same as Parquet) and return the CSV.

    One latent capability per model; capability benchmarks load 0.6-0.9 on it, safety
    benchmarks load anywhere in [-0.8, 0.8]; a FLOP column grows with capability; 10% of
    the cells outside the capability block (FLOP included) are missing.
    """
    import pandas as pd

    csv_path = folder / f"panel_{models}x{benchmarks}.csv"
    if csv_path.exists():
        return csv_path
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal(models)
    n_safety = benchmarks - N_CAPABILITY
    loadings = np.concatenate(
        [rng.uniform(0.6, 0.9, N_CAPABILITY), rng.uniform(-0.8, 0.8, n_safety)]
    )
    noise = rng.standard_normal((models, benchmarks)) * np.sqrt(1.0 - loadings**2)
    scores = 0.5 + 0.15 * (latent[:, None] * loadings + noise)
    scores[:, N_CAPABILITY:][rng.random((models, n_safety)) < GAP] = np.nan
    flop = 10.0 ** (22.0 + latent + 0.3 * rng.standard_normal(models))
    flop[rng.random(models) < GAP] = np.nan
    names = capability_ids() + [f"safety_{k:05d}" for k in range(n_safety)]
    frame = pd.DataFrame(np.round(scores, 5), columns=names)
    frame.insert(0, "FLOP", flop)
    frame.insert(0, "model", [f"org-{i % 97}/model-{i:06d}" for i in range(models)])
    frame.to_csv(csv_path, index=False, float_format="%.6g")
    frame.to_parquet(csv_path.with_suffix(".parquet"), index=False)
    return csv_path


def generate_in_child(models: int, benchmarks: int, folder: Path) -> Path:
    """:func:`generate` in a fresh interpreter, so that this process stays small."""
    command = [sys.executable, __file__, "generate", str(models), str(benchmarks), str(folder)]
    subprocess.run(command, check=True)
    return folder / f"panel_{models}x{benchmarks}.csv"


# -- the reference implementation --------------------------------------------------------


def reference(path: Path, capabilities: list[str]) -> None:
    """The method written the straightforward pandas + scipy way; JSON on stdout."""
    import pandas as pd
    from scipy import stats

    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    frame = frame.set_index("model")
    flop = frame.pop("FLOP")
    z = (frame - frame.mean()) / frame.std(ddof=0)
    block = z[capabilities].dropna()
    rho = stats.spearmanr(block.to_numpy()).statistic
    eigenvalues, eigenvectors = np.linalg.eigh(rho)
    pc1 = eigenvectors[:, -1]
    if np.corrcoef(block.to_numpy() @ pc1, block.mean(axis=1))[0, 1] < 0:
        pc1 = -pc1
    score = pd.Series(block.to_numpy() @ pc1, index=block.index)
    results = {}
    for column in frame.columns:
        pair = pd.concat([score, frame[column]], axis=1).dropna()
        r = stats.spearmanr(pair.iloc[:, 0], pair.iloc[:, 1]).statistic
        n = len(pair)
        pair = pd.concat([flop, frame[column]], axis=1).dropna()
        f = stats.spearmanr(pair.iloc[:, 0], pair.iloc[:, 1]).statistic
        results[column] = {
            "n": n,
            "capabilities_correlation": None if math.isnan(r) else float(r),
            "compute_correlation": None if math.isnan(f) else float(f),
        }
    json.dump(
        {
            "variance_explained": float(eigenvalues[-1] / len(capabilities)),
            "capability_scores": dict(zip(score.index, score.tolist(), strict=True)),
            "benchmarks": results,
        },
        sys.stdout,
    )


# -- measuring ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One whole process: wall seconds, peak RSS in bytes, and its stdout file."""

    seconds: float
    peak_rss: int
    output: Path


def run(command: list[str], output: Path) -> Run:
    """Run ``command`` with stdout to ``output``; wall time and the child's own peak RSS."""
    with output.open("wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr}")
    return Run(seconds, usage.ru_maxrss * 1024, output)


def cli_command(path: Path) -> list[str]:
    """The audit command on a generated panel, printing JSON.

    ``--max-file-size`` lifts the default 64 MB bound on a scores file (the 10,000 x
    1,000 CSV is 72 MB) and ``--max-columns`` the default 5,000 columns (for panels of
    1,000 x 10,000 and wider).
    """
    return [
        sys.executable, "-m", "safetywashing.cli.app", "audit", str(path),
        "--capabilities", ",".join(capability_ids()), "--format", "json",
        "--max-file-size", "1024", "--max-columns", "100000",
    ]  # fmt: skip


def reference_command(path: Path) -> list[str]:
    """The reference implementation in a fresh interpreter."""
    return [sys.executable, __file__, "reference", str(path)]


def agreement_in_child(cli_output: Path, reference_output: Path) -> float:
    """:func:`agreement` in a fresh interpreter: parsing the outputs of a large panel
    would raise this process's peak, which later children started by vfork report."""
    command = [sys.executable, __file__, "agree", str(cli_output), str(reference_output)]
    return float(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def agreement(cli_output: Path, reference_output: Path) -> float:
    """Largest difference between the two sides' capabilities correlations."""
    cli = json.loads(cli_output.read_text())
    ref = json.loads(reference_output.read_text())["benchmarks"]
    (audit_class,) = cli["classes"].values()
    worst = 0.0
    for benchmark, result in audit_class["benchmarks"].items():
        mine = result["capabilities_correlation"]
        theirs = ref[benchmark]["capabilities_correlation"]
        if (mine is None) != (theirs is None):
            return math.inf
        if mine is not None:
            worst = max(worst, abs(mine - theirs))
    return worst


def megabytes(n_bytes: float) -> str:
    """Bytes as MB for the table."""
    return f"{n_bytes / 1e6:,.0f} MB"


def fit_exponent(sizes: list[int], seconds: list[float]) -> float:
    """Slope of log(seconds) on log(size), by least squares."""
    slope, _ = np.polyfit(np.log(sizes), np.log(seconds), 1)
    return float(slope)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default=DEFAULT_SIZES)
    parser.add_argument("--keep", type=Path, help="generate the panels here and keep them")
    parser.add_argument(
        "--skip-reference-above",
        type=float,
        default=0.0,
        help="run the reference once only at sizes with more cells than this (0: never)",
    )
    args = parser.parse_args()
    sizes = [tuple(int(p) for p in size.split("x")) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        small = generate_in_child(*STARTUP_SIZE, folder)
        startup = statistics.median(
            run(cli_command(small), folder / "startup.json").seconds for _ in range(args.repeat)
        )
        print(f"CLI start-up on a {STARTUP_SIZE[0]} x {STARTUP_SIZE[1]} panel: {startup:.2f} s")
        header = (
            f"| {'models x benchmarks':>20} | CLI / ref wall | {'CLI wall':>9} | "
            f"{'ref wall':>9} | CLI peak RSS | ref peak RSS | largest r diff |"
        )
        print(header)
        print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
        cli_wall: dict[tuple[int, int], float] = {}
        failures: list[str] = []
        for models, benchmarks in sizes:
            path = generate_in_child(models, benchmarks, folder)
            cli_runs: list[Run] = []
            ref_runs: list[Run] = []
            ref_repeat = (
                1
                if args.skip_reference_above and models * benchmarks > args.skip_reference_above
                else args.repeat
            )
            for k in range(args.repeat):
                cli_runs.append(run(cli_command(path), folder / "cli.json"))
                if k < ref_repeat:
                    ref_runs.append(run(reference_command(path), folder / "ref.json"))
            diff = agreement_in_child(folder / "cli.json", folder / "ref.json")
            cli_s = statistics.median(r.seconds for r in cli_runs)
            ref_s = statistics.median(r.seconds for r in ref_runs)
            cli_rss = max(r.peak_rss for r in cli_runs)
            ref_rss = max(r.peak_rss for r in ref_runs)
            cli_wall[(models, benchmarks)] = cli_s
            print(
                f"| {f'{models:,} x {benchmarks:,}':>20} | {cli_s / ref_s:14.2f} | "
                f"{cli_s:7.2f} s | {ref_s:7.2f} s | {megabytes(cli_rss):>12} | "
                f"{megabytes(ref_rss):>12} | {diff:14.1e} |",
                flush=True,
            )
            if cli_s / ref_s > 0.5:
                failures.append(f"{models} x {benchmarks}: wall ratio {cli_s / ref_s:.2f} > 0.5")
            if cli_rss > ref_rss:
                failures.append(f"{models} x {benchmarks}: peak RSS above the reference's")
            if diff > 1e-9:
                failures.append(f"{models} x {benchmarks}: the two sides disagree by {diff:.1e}")
            if (models, benchmarks) == (10_000, 1_000):
                parquet = path.with_suffix(".parquet")
                pq = [run(cli_command(parquet), folder / "pq.json") for _ in range(args.repeat)]
                pq_s = statistics.median(r.seconds for r in pq)
                print(
                    f"  10,000 x 1,000: CSV -> JSON {cli_s:.2f} s (target <= 5 s), Parquet -> "
                    f"JSON {pq_s:.2f} s, peak RSS {megabytes(max(r.peak_rss for r in pq))}"
                )
                if cli_s > 5.0:
                    failures.append(f"10,000 x 1,000 CSV -> JSON {cli_s:.2f} s > 5 s")
                if pq_s > cli_s * 1.05:
                    failures.append("Parquet input slower than CSV")
        for axis, fixed, vary in (("models", 100, 0), ("benchmarks", 1_000, 1)):
            points = sorted(
                (size[vary], seconds)
                for size, seconds in cli_wall.items()
                if size[1 - vary] == fixed
            )
            if len(points) < 2:
                continue
            # Points dominated by start-up say nothing about the slope (and, on a loaded
            # machine, can fall below the start-up time); fit on the others, or on the two
            # largest sizes when fewer than two are left.
            above_startup = [p for p in points if p[1] > 2 * startup]
            points = above_startup if len(above_startup) >= 2 else points[-2:]
            xs = [p[0] for p in points]
            raw = fit_exponent(xs, [p[1] for p in points])
            net = fit_exponent(xs, [max(p[1] - startup, 1e-3) for p in points])
            print(
                f"cost exponent in {axis} (at {fixed:,} {'benchmarks' if vary == 0 else 'models'}, "
                f"{xs[0]:,}..{xs[-1]:,}): {net:.2f} above start-up ({raw:.2f} whole wall); "
                "goal <= 1.1"
            )
            if net > 1.1:
                failures.append(f"exponent in {axis} {net:.2f} > 1.1")
        print("all targets met" if not failures else "missed: " + "; ".join(failures))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "reference":
        reference(Path(sys.argv[2]), capability_ids())
    elif len(sys.argv) == 4 and sys.argv[1] == "agree":
        print(agreement(Path(sys.argv[2]), Path(sys.argv[3])))
    elif len(sys.argv) == 5 and sys.argv[1] == "generate":
        generate(int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
    else:
        main()
