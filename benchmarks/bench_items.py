"""Time the item analysis at 1,000 models x 20,000 items (20 M cells; target: 60 s or less).

The item table is simulated (``simulate_items``, 30% of items entangled, 20% graded, 2%
of cells missing) and its long form written as the compact on-disk item table, Parquet
partitioned by benchmark, which is what ``ingest --items`` writes. Timed, in order:

1. write: the long table (20 M rows) to the partitioned Parquet folder;
2. read: the benchmark back into a models x items matrix (dictionary-encoded columns);
3. rank: every item's capabilities correlation (point-biserial / Spearman), its Fisher-z
   p-value and the Benjamini-Hochberg flags;
4. one block of the model bootstrap (256 items x 200 resamples), the unit a distributed
   engine would farm out, with the time the whole bootstrap would take on one core;
5. the two-way bootstrap (models and items) of the benchmark's correlation, 200
   resamples.

Reading and ranking run in a fresh process, whose peak resident memory is printed. A
smaller run of the framework readers (lm-eval samples files) gives their rate, since
parsing 20 M JSON lines is not the path for panels of this size.

Run: ``python benchmarks/bench_items.py [N_MODELS N_ITEMS]``.
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TARGET_SECONDS = 60.0


def _peak_mb() -> float:
    # VmHWM is this process's own high-water mark; ru_maxrss survives fork and exec, so a
    # spawned child would report its parent's peak.
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(n_models: int = 1000, n_items: int = 20_000) -> None:
    from safetywashing.items.simulate import simulate_items
    from safetywashing.items.table import write_item_table

    start = time.perf_counter()
    sim = simulate_items(
        n_models=n_models, n_items=n_items, graded_fraction=0.2, missing_fraction=0.02, rng=1
    )
    capability = sim.panel.latent + 0.2 * np.random.default_rng(2).normal(size=n_models)
    frame = sim.to_frame()
    print(f"simulated {n_models} x {n_items} = {frame.shape[0]:,} cells "
          f"in {time.perf_counter() - start:.1f} s (not timed)")  # fmt: skip
    print(f"peak resident memory after simulating: {_peak_mb():.0f} MB")
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "items"
        t = time.perf_counter()
        write_item_table(frame, target)
        timings["write Parquet"] = time.perf_counter() - t
        size = sum(p.stat().st_size for p in target.rglob("*.parquet"))
        del frame
        # Read and rank in a fresh process, so its peak memory is its own.
        context = multiprocessing.get_context("spawn")
        with context.Pool(1) as pool:
            found = pool.apply(_read_and_rank, (str(target), sim.benchmark, capability,
                                                sim.model_ids))  # fmt: skip
    read_seconds, rank_seconds, block, peak, flagged, nbytes = found
    timings["read matrix"] = read_seconds
    timings["rank"] = rank_seconds
    total = sum(timings.values())
    print(f"Parquet item table: {size / 1e6:.1f} MB on disk")
    for name, seconds in timings.items():
        print(f"  {name:<14} {seconds:6.1f} s")
    print(f"  {'total':<14} {total:6.1f} s (target {TARGET_SECONDS:.0f} s: "
          f"{'met' if total <= TARGET_SECONDS else 'MISSED'})")  # fmt: skip
    print(f"flagged {flagged} of {n_items} items (planted entangled: "
          f"{int(sim.entangled.sum())})")  # fmt: skip
    blocks = int(np.ceil(n_items / 256))
    print(f"bootstrap block (256 items x 200 resamples): {block:.1f} s; the whole bootstrap is "
          f"{blocks} such blocks, {blocks * block / 60:.0f} min on one core")  # fmt: skip
    print(f"peak resident memory of read + rank + one block: {peak:.0f} MB (the dense matrix "
          f"is {nbytes / 1e6:.0f} MB); of simulating and writing: {_peak_mb():.0f} MB")  # fmt: skip
    _framework_rate()


def _read_and_rank(
    path: str, benchmark: str, capability: np.ndarray, model_ids: tuple[str, ...]
) -> tuple[float, float, float, float, int, int]:
    from safetywashing.items.table import read_item_matrix
    from safetywashing.stats.items import (
        binary_columns,
        bootstrap_benchmark_correlation,
        bootstrap_chunk,
        fisher_p_values,
        item_correlations,
        resample_indices,
    )
    from safetywashing.stats.multiple import adjust

    t = time.perf_counter()
    matrix = read_item_matrix(path, benchmark)
    read_seconds = time.perf_counter() - t
    position = {m: i for i, m in enumerate(model_ids)}
    scores = capability[[position[m] for m in matrix.model_ids]]
    t = time.perf_counter()
    graded = ~binary_columns(matrix.values)
    r, n = item_correlations(matrix.values, scores, graded)
    q = adjust(fisher_p_values(r, n, spearman=graded), "bh")
    rank_seconds = time.perf_counter() - t
    indices = resample_indices(len(model_ids), 200, seed=1)
    t = time.perf_counter()
    bootstrap_chunk(matrix.values[:, :256], scores, graded[:256], indices)
    block = time.perf_counter() - t
    t = time.perf_counter()
    low, high = bootstrap_benchmark_correlation(matrix.values, scores, n_resamples=200, seed=1)
    print(f"two-way bootstrap of the benchmark correlation (models and items, 200 resamples): "
          f"{time.perf_counter() - t:.1f} s, interval {low:+.3f} to {high:+.3f}")  # fmt: skip
    flagged = int(np.sum(q < 0.05))
    return read_seconds, rank_seconds, block, _peak_mb(), flagged, matrix.values.nbytes


def _framework_rate(n_models: int = 20, n_items: int = 5000) -> None:
    """lm-eval samples files: lines read per second by ``ingest --items``."""
    from safetywashing.io.frameworks.items import ingest_items

    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory() as folder:
        for m in range(n_models):
            model = Path(folder) / f"org__model-{m}"
            model.mkdir()
            (model / "results_2025-01-01T00-00-00.000000.json").write_text(
                json.dumps({"model_name": f"org/model-{m}", "results": {}})
            )
            lines = [
                json.dumps({"doc_id": j, "doc": {"question": f"q{j}", "subject": "s"},
                            "target": "A", "arguments": {}, "resps": [], "filtered_resps": [],
                            "filter": "none", "metrics": ["acc"], "acc": float(rng.random() > 0.5)})
                for j in range(n_items)
            ]  # fmt: skip
            (model / "samples_toy_2025-01-01T00-00-00.000000.jsonl").write_text("\n".join(lines))
        t = time.perf_counter()
        found = ingest_items([Path(folder)])
        seconds = time.perf_counter() - t
    cells = len(found.rows)
    print(f"lm-eval samples: {cells:,} lines in {seconds:.1f} s = {cells / seconds:,.0f} lines/s")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
