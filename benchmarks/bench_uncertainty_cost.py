"""What uncertainty costs against the estimate: whole ``--bootstrap`` runs beside a point audit.

Every figure is a whole fresh process, medians of ``--repeat`` runs, interleaved with
its baseline. The baseline is the reference of ``bench_scale.py``: the method written
the obvious way with pandas and scipy, one point audit in one process (on the paper's
chat file, a numeric copy of it: the reference cannot read the name and type columns).
``--src`` runs the CLI from another source tree (e.g. a worktree of an older commit), so
that old and new code are measured side by side on the same machine and load.

Cases (``--cases``, comma-separated):

``paper``
    The paper's chat file, ``--preset paper --bootstrap 10000 --seed 1``, default
    interval and permutations (target: <= 1.5x the reference).
``panel``
    A 2,000 x 100 panel of ``bench_scale.py`` (10% gaps in the safety columns),
    ``--bootstrap 2000 --seed 1``, default interval and permutations: in this process
    (``--scheduler local``, the default, and ``serial``) and on a 2-worker
    ``LocalCluster`` (one thread each, :data:`~safetywashing.core.parallel.WORKER_ENVIRONMENT`).
    Targets: <= 15x the point audit; the cluster >= 1.7x faster than in-process; the
    same JSON bytes on every scheduler (``threads`` and ``processes`` too).
``large``
    10,000 x 100, ``--bootstrap 1000 --seed 1``: the whole run (target <= 5 minutes)
    and, in one more process, the time of each stage.

The machine's load (``os.getloadavg``) is printed before and after each case.

Usage::

    uv run python benchmarks/bench_uncertainty_cost.py [--cases paper,panel,large]
        [--repeat 3] [--src /path/to/other/src] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import capability_ids, generate_in_child, reference_command

DATASETS = Path(
    os.environ.get(
        "SAFETYWASHING_DATASETS", Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets"
    )
)
PAPER_CHAT = DATASETS / "safetywashing-paper" / "benchmarks_chat_models.csv"


def load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def environment(src: Path | None) -> dict[str, str]:
    """This process's environment, with ``src`` first on the path when given."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return env


def wall(command: Sequence[str], output: Path, env: dict[str, str] | None = None) -> float:
    """Wall seconds of one process, stdout to ``output``."""
    with output.open("wb") as out:
        start = time.perf_counter()
        subprocess.run(command, stdout=out, stderr=subprocess.DEVNULL, check=True, env=env)
        return time.perf_counter() - start


def cli(*arguments: str) -> list[str]:
    """The command line of ``safetywashing`` in a fresh interpreter."""
    return [sys.executable, "-m", "safetywashing.cli.app", *arguments]


def panel_audit(path: Path, *extra: str) -> list[str]:
    """The audit of a generated panel, JSON out."""
    return cli(
        "audit", str(path), "--capabilities", ",".join(capability_ids()), "--format", "json",
        "--max-file-size", "1024", *extra,
    )  # fmt: skip


def numeric_copy(source: Path, folder: Path) -> Path:
    """The paper file without its text columns, named as the reference expects."""
    import pandas as pd

    frame = pd.read_csv(source)
    frame = frame[
        ["model", *[c for c in frame.columns if c != "model" and frame[c].dtype.kind == "f"]]
    ]
    target = folder / "paper_chat_numeric.csv"
    frame.to_csv(target, index=False)
    return target


def paper_reference(path: Path) -> list[str]:
    """The pandas + scipy point audit of the paper's chat file (its 12 capabilities).

    The capability names are passed in, so that the reference imports nothing of ours.
    """
    from safetywashing.datasets.presets import PAPER_CAPABILITIES

    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import bench_scale, pathlib; "
        "bench_scale.reference(pathlib.Path(sys.argv[2]), sys.argv[3].split(','))"
    )
    folder = str(Path(__file__).resolve().parent)
    return [sys.executable, "-c", code, folder, str(path), ",".join(PAPER_CAPABILITIES)]


def side_by_side(
    label: str, commands: dict[str, list[str]], folder: Path, repeat: int, env: dict[str, str]
) -> dict[str, float]:
    """Median wall time of each command, run interleaved ``repeat`` times."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_number in range(repeat):
        names = list(commands)
        if round_number % 2:
            names.reverse()
        for name in names:
            times[name].append(wall(commands[name], folder / f"{label}-{name}.json", env))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, seconds in medians.items():
        runs = ", ".join(f"{t:.2f}" for t in times[name])
        print(f"  {label} {name}: median {seconds:.2f} s ({runs})", flush=True)
    return medians


def uncertainty_bytes(path: Path) -> bytes:
    """The uncertainty section of a JSON output (the part a scheduler could change)."""
    document = json.loads(path.read_text())
    return json.dumps([document["uncertainty"], document["classes"]], sort_keys=True).encode()


def case_paper(folder: Path, repeat: int, env: dict[str, str]) -> None:
    print(f"paper chat, --bootstrap 10000 --seed 1 (load {load()})")
    numeric = numeric_copy(PAPER_CHAT, folder)
    boot = cli(
        "audit", str(PAPER_CHAT), "--preset", "paper", "--bootstrap", "10000", "--seed", "1",
        "--format", "json",
    )  # fmt: skip
    medians = side_by_side(
        "paper", {"reference": paper_reference(numeric), "bootstrap": boot}, folder, repeat, env
    )
    ratio = medians["bootstrap"] / medians["reference"]
    print(
        f"  ratio whole CLI / pandas+scipy point audit: {ratio:.2f} (target <= 1.5; load {load()})"
    )


def _cluster_command(path: Path, address: str) -> list[str]:
    return panel_audit(path, "--bootstrap", "2000", "--seed", "1", "--scheduler", address)


def case_panel(folder: Path, repeat: int, env: dict[str, str]) -> None:
    import dask
    from distributed import LocalCluster

    from safetywashing.core.parallel import WORKER_ENVIRONMENT

    logging.getLogger("distributed").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="distributed")
    path = generate_in_child(2_000, 100, folder)
    print(f"2,000 x 100, --bootstrap 2000 --seed 1 (load {load()})")
    dask.config.set({"distributed.nanny.pre-spawn-environ": WORKER_ENVIRONMENT})
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        address = cluster.scheduler_address.replace("tcp://", "dask://")
        boot = ("--bootstrap", "2000", "--seed", "1")
        commands = {
            "reference": reference_command(path),
            "point": panel_audit(path),
            "local": panel_audit(path, *boot),
            "serial": panel_audit(path, *boot, "--scheduler", "serial"),
            "cluster": _cluster_command(path, address),
        }
        wall(commands["cluster"], folder / "warm.json", env)  # the workers import the package
        medians = side_by_side("panel", commands, folder, repeat, env)
        for name in ("threads", "processes"):
            wall(panel_audit(path, *boot, "--scheduler", name), folder / f"panel-{name}.json", env)
    finally:
        cluster.close()
    outputs = {
        name: uncertainty_bytes(folder / f"panel-{name}.json")
        for name in ("serial", "local", "cluster", "threads", "processes")
    }
    same = len(set(outputs.values())) == 1
    print(
        f"  whole run / point audit: local {medians['local'] / medians['point']:.1f}x the CLI's, "
        f"{medians['local'] / medians['reference']:.1f}x pandas+scipy's (target <= 15x)"
    )
    print(
        f"  2-worker cluster vs in-process: {medians['local'] / medians['cluster']:.2f}x faster "
        f"than local, {medians['serial'] / medians['cluster']:.2f}x than serial (target >= 1.7x)"
    )
    print(f"  same uncertainty bytes on serial, local, threads, processes, Dask: {same}")
    print(f"  (load {load()})")


STAGES_CODE = """
import json, sys, time
from safetywashing.audit.compute import audit
from safetywashing.io.tables.readers import read_scores
from safetywashing.uncertainty.compute import bootstrap_audit
path, caps = sys.argv[1], sys.argv[2].split(",")
marks = {}
def progress(stage, done, total):
    marks.setdefault(stage, [time.perf_counter(), 0.0])[1] = time.perf_counter()
t0 = time.perf_counter()
table = read_scores(path)
t1 = time.perf_counter()
result = audit(table, capabilities=caps)
t2 = time.perf_counter()
found = bootstrap_audit(result, n_resamples=1000, seed=1, progress=progress)
t3 = time.perf_counter()
print(f"  read {t1 - t0:.1f} s, point audit {t2 - t1:.1f} s, bootstrap_audit {t3 - t2:.1f} s")
for stage, (first, last) in marks.items():
    print(f"    {stage}: {last - first:.1f} s")
"""


def case_large(folder: Path, env: dict[str, str]) -> None:
    path = generate_in_child(10_000, 100, folder)
    print(f"10,000 x 100, --bootstrap 1000 --seed 1 (load {load()})")
    seconds = wall(panel_audit(path, "--bootstrap", "1000", "--seed", "1"), folder / "l.json", env)
    print(f"  whole CLI run: {seconds:.1f} s (target <= 300 s; load {load()})", flush=True)
    command = [sys.executable, "-c", STAGES_CODE, str(path), ",".join(capability_ids())]
    subprocess.run(command, check=True, env=env)
    print(f"  (load {load()})")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="paper,panel,large")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--src", type=Path, help="run the CLI from this source tree")
    parser.add_argument("--keep", type=Path, help="generate the panels here and keep them")
    args = parser.parse_args(argv)
    env = environment(args.src)
    print(f"source: {args.src or 'this checkout'}; {os.cpu_count()} cores; load {load()}")
    with tempfile.TemporaryDirectory() as scratch:
        folder: Any = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        cases = args.cases.split(",")
        if "paper" in cases:
            case_paper(folder, args.repeat, env)
        if "panel" in cases:
            case_panel(folder, args.repeat, env)
        if "large" in cases:
            case_large(folder, env)


if __name__ == "__main__":
    main()
