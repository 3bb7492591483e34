"""Kendall's tau-b: time and peak memory of the kernel, new (Knight) against old (pairwise).

Every measurement runs in a fresh process that imports ``kendall_tau_b`` from the
source tree it is given, so the old kernel can be measured from a worktree of earlier
code (``--src /tmp/base/src``). A process calls the kernel once for the time, then once
under ``tracemalloc`` for the peak of the call's allocations (numpy reports its buffers
to tracemalloc); its peak RSS is read when it ends. The data: ``x`` normal, ``y`` a noisy
copy rounded to 0.01 (ties, as in benchmark accuracies).

The old kernel holds several n x n arrays, so it is measured only at the sizes whose
memory, extrapolated from the smallest (quadratic), stays under ``--max-gib``.

Usage: ``python benchmarks/bench_kendall.py [--src /tmp/base/src] [--sizes 4000,20000]
[--old-sizes 4000,10000] [--max-gib 4]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE_SRC = Path(__file__).resolve().parents[1] / "src"


def child(src: str, n: int) -> None:
    """Measure one call in this process and print a JSON line."""
    sys.path.insert(0, src)
    import time
    import tracemalloc

    import numpy as np

    from safetywashing.stats.correlation import kendall_tau_b

    rng = np.random.default_rng(n)
    x = rng.standard_normal(n)
    y = np.round(x + rng.standard_normal(n), 2)
    started = time.perf_counter()
    tau = kendall_tau_b(x, y)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    kendall_tau_b(x, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(json.dumps({"seconds": seconds, "traced": peak, "tau": tau.hex()}))


def measure(src: Path, n: int) -> dict[str, float | str]:
    process = subprocess.Popen(
        [sys.executable, __file__, "child", str(src), str(n)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"the measurement of n = {n} from {src} failed")
    result: dict[str, float | str] = json.loads(line)
    result["rss"] = usage.ru_maxrss * 1024.0  # kilobytes on Linux
    return result


def row(label: str, n: int, result: dict[str, float | str]) -> str:
    seconds, traced, rss = (float(result[key]) for key in ("seconds", "traced", "rss"))
    return (
        f"| {label} | {n:7,} | {seconds:9.4f} s | {traced / 2**20:9.1f} MiB "
        f"| {rss / 2**20:9.1f} MiB | {float.fromhex(str(result['tau'])):.15f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, help="a source tree with the old kernel")
    parser.add_argument("--sizes", default="4000,10000,20000,200000")
    parser.add_argument("--old-sizes", default="4000,10000")
    parser.add_argument("--max-gib", type=float, default=4.0)
    args = parser.parse_args()
    print("| kernel | models | time | traced peak | process peak RSS | tau-b |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    new = {n: measure(HERE_SRC, n) for n in (int(s) for s in args.sizes.split(","))}
    for n, result in new.items():
        print(row("new", n, result), flush=True)
    if args.src is None:
        return
    sizes = sorted(int(s) for s in args.old_sizes.split(","))
    old = {sizes[0]: measure(args.src, sizes[0])}
    print(row("old", sizes[0], old[sizes[0]]), flush=True)
    for n in sizes[1:]:
        estimate = float(old[sizes[0]]["traced"]) * (n / sizes[0]) ** 2
        if estimate > args.max_gib * 2**30:
            print(
                f"| old | {n:7,} | (skipped: about {estimate / 2**30:.1f} GiB expected, over "
                f"{args.max_gib:g} GiB) | | | |"
            )
            continue
        old[n] = measure(args.src, n)
        print(row("old", n, old[n]), flush=True)
    for n in sorted(set(new) & set(old)):
        same = old[n]["tau"] == new[n]["tau"]
        print(f"n = {n:,}: new and old tau-b identical to the bit: {same}; ", end="")
        print(f"new {float(old[n]['seconds']) / float(new[n]['seconds']):,.0f}x faster")


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
