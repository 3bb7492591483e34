"""Time ``read_scores`` on a large, a medium and a small wide table, each in a fresh process.

Three files: a 10,000 models x 1,000 benchmarks wide CSV (about 80 MB, a leaderboard
export's size), a 2,000 x 200 one (about 3 MB) and the bundled demo panel (30 x 27). The
two generated files are written with a fixed seed into a temporary folder (not timed):
a model id, a class, a training-FLOP column with some gaps, and scores with six
decimals, a tenth of them missing. Each read runs in a new Python process, so that the
import of pyarrow (or pandas) is counted as a user meets it ("cold"); the figure is the
time of the ``read_scores`` call alone, the median of ``--repeat`` processes, with the
process's CPU time beside it (steadier than the wall clock on a shared machine; it adds
up pyarrow's threads).

``--src DIR`` times another source tree (for instance a worktree of an earlier version)
beside this one, the two taking turns, and prints the ratio of the medians; the module that holds
``read_scores`` is found in either layout (``safetywashing.io.tables.readers`` or
``safetywashing.io.readers``).

Run: ``python benchmarks/bench_readers.py [--src /tmp/base/src] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parents[1] / "src"

#: (label, models, benchmarks) of the generated files.
SIZES = (("10,000 x 1,000", 10_000, 1_000), ("2,000 x 200", 2_000, 200))

#: Run in the child: import the reader, time one call, print the seconds as JSON.
CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
try:
    from safetywashing.io.tables.readers import ColumnMap, read_scores
except ImportError:
    from safetywashing.io.readers import ColumnMap, read_scores
path = sys.argv[2]
columns = ColumnMap(max_file_mb=1024.0) if path.endswith(".csv") else ColumnMap()
start, cpu = time.perf_counter(), time.process_time()
table = read_scores(path, columns=columns)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu": cpu, "shape": list(table.values.shape)}))
"""


def write_wide(path: Path, n_models: int, n_benchmarks: int, seed: int = 0) -> Path:
    """Write a plain wide CSV: ``model,type,FLOP,b0,...`` with a tenth of the scores empty."""
    rng = np.random.default_rng(seed)
    scores = np.round(rng.random((n_models, n_benchmarks)), 6)
    missing = rng.random(scores.shape) < 0.1
    flop = 10 ** rng.uniform(20, 25, n_models)
    classes = rng.choice(["base", "chat"], n_models)
    header = ["model", "type", "FLOP", *(f"b{j}" for j in range(n_benchmarks))]
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(header) + "\n")
        for i in range(n_models):
            cells = [repr(float(x)) for x in scores[i]]
            for j in np.flatnonzero(missing[i]):
                cells[j] = ""
            flop_cell = "" if i % 7 == 0 else f"{flop[i]:.3e}"
            handle.write(",".join([f"org/model-{i}", str(classes[i]), flop_cell, *cells]) + "\n")
    return path


def demo_panel(src: Path) -> Path:
    """The bundled demo panel of the tree at ``src``."""
    path = src / "safetywashing" / "datasets" / "demo_scores.csv"
    if not path.is_file():
        raise SystemExit(f"no demo panel at {path}")
    return path


def time_read(src: Path, path: Path) -> tuple[float, float, list[int]]:
    """Seconds (wall and CPU) of one ``read_scores(path)`` in a fresh process, and the
    table's shape."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(src), str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return figures["seconds"], figures["cpu"], figures["shape"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, help="another source tree to time beside this one")
    parser.add_argument("--repeat", type=int, default=3, help="processes per file (median)")
    args = parser.parse_args()
    trees = [("this tree", HERE)]
    if args.src is not None:
        trees.insert(0, (str(args.src), args.src.resolve()))
    with tempfile.TemporaryDirectory() as folder:
        files = [
            (label, write_wide(Path(folder) / f"wide_{m}x{b}.csv", m, b)) for label, m, b in SIZES
        ]
        files.append(("demo panel", demo_panel(HERE)))
        for label, path in files:
            size = path.stat().st_size / 1e6
            # The trees take turns, so that a busy moment of the machine falls on both.
            timings: dict[str, list[float]] = {name: [] for name, _ in trees}
            cpu: dict[str, list[float]] = {name: [] for name, _ in trees}
            shape: list[int] = []
            for _ in range(args.repeat):
                for name, src in trees:
                    seconds, cpu_seconds, shape = time_read(src, path)
                    timings[name].append(seconds)
                    cpu[name].append(cpu_seconds)
            medians = [statistics.median(timings[name]) for name, _ in trees]
            for (name, _), median in zip(trees, medians, strict=True):
                print(
                    f"{label:>15} ({size:5.1f} MB, {shape[0]} x {shape[1]}): {name}: "
                    f"{median:7.3f} s (median of {args.repeat}: "
                    f"{', '.join(f'{t:.3f}' for t in timings[name])}; "
                    f"CPU {statistics.median(cpu[name]):.3f} s)",
                    flush=True,
                )
            if len(medians) == 2:
                print(f"{'':>15} ratio this tree / {trees[0][0]}: {medians[1] / medians[0]:.2f}")


if __name__ == "__main__":
    main()
