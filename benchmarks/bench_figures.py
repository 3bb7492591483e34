"""Figures and reports of large panels: time, peak memory and the size of what is written.

Generates two synthetic panels (as ``bench_scale.py`` does: 12 capability benchmarks, a
latent factor, 10% gaps) and runs, as whole fresh processes:

- ``safetywashing audit PANEL --capabilities ... --out DIR --figures`` on
  7,169 models x 20 benchmarks (the old Open LLM Leaderboard's row count); targets
  <= 20 s and <= 1 GB peak;
- ``safetywashing report PANEL --capabilities ... -o report.html`` on 1,000 models x
  20,000 benchmarks; target <= 60 s.

It prints the wall time and peak RSS (``os.wait4`` of the child) of each, and the pixel
size and bytes of every PNG and the bytes of every PDF written, so that an unbounded
figure shows at once. With ``--keep DIR`` the outputs stay there to be looked at.

Where ``PYTHONDONTWRITEBYTECODE`` is set, every process compiles matplotlib, fontTools and
the rest from source (several seconds on a small machine), which an installed
environment does not do; ``--warm-bytecode`` lets the children cache bytecode in a
temporary ``PYTHONPYCACHEPREFIX`` and warms it with one untimed run first.

Usage::

    uv run python benchmarks/bench_figures.py [--keep DIR] [--warm-bytecode]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_scale import capability_ids, generate_in_child

LEADERBOARD = (7_169, 20)
WIDE = (1_000, 20_000)


ENVIRONMENT = dict(os.environ)


def run(command: list[str]) -> tuple[float, int]:
    """Wall seconds and the child's own peak RSS in bytes."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENVIRONMENT
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        stderr = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr}")
    return seconds, usage.ru_maxrss * 1024


def png_pixels(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    head = path.read_bytes()[:24]
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", type=Path, help="write panels and outputs here and keep them")
    parser.add_argument("--warm-bytecode", action="store_true", help="cache bytecode (see above)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        base = [sys.executable, "-m", "safetywashing.cli.app"]
        capabilities = ["--capabilities", ",".join(capability_ids())]
        missed: list[str] = []

        panel = generate_in_child(*LEADERBOARD, folder)
        out = folder / "leaderboard-out"
        if args.warm_bytecode:
            ENVIRONMENT.pop("PYTHONDONTWRITEBYTECODE", None)
            ENVIRONMENT["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
            small = generate_in_child(30, 20, folder)
            run(
                [
                    *base,
                    "audit",
                    str(small),
                    *capabilities,
                    "--out",
                    str(out),
                    "--figures",
                    "--force",
                ]
            )
            run([*base, "report", str(small), *capabilities, "-o", str(out / "r.html"), "--force"])
        print(
            "bytecode: "
            + (
                "cached (warmed)"
                if args.warm_bytecode
                else "compiled in every process"
                if os.environ.get("PYTHONDONTWRITEBYTECODE")
                else "as the environment caches it"
            )
        )
        seconds, rss = run(
            [*base, "audit", str(panel), *capabilities, "--out", str(out), "--figures", "--force"]
        )
        print(
            f"audit --out with figures, {LEADERBOARD[0]:,} x {LEADERBOARD[1]}: {seconds:.1f} s "
            f"(target <= 20 s), peak RSS {rss / 1e6:,.0f} MB (target <= 1,000 MB)"
        )
        missed += ["audit --out time"] if seconds > 20 else []
        missed += ["audit --out memory"] if rss > 1e9 else []
        for path in sorted((out / "figures").glob("*.png")):
            width, height = png_pixels(path)
            pdf = path.with_suffix(".pdf")
            print(
                f"  {path.name}: {width} x {height} px, {path.stat().st_size / 1e3:,.0f} kB; "
                f"PDF {pdf.stat().st_size / 1e3:,.0f} kB"
            )

        panel = generate_in_child(*WIDE, folder)
        report = folder / "wide-report.html"
        seconds, rss = run(
            [
                *base,
                "report",
                str(panel),
                *capabilities,
                "-o",
                str(report),
                "--max-file-size",
                "1024",
                "--max-columns",
                "32768",
                "--force",
            ]
        )
        print(
            f"report, {WIDE[0]:,} x {WIDE[1]:,}: {seconds:.1f} s (target <= 60 s), peak RSS "
            f"{rss / 1e6:,.0f} MB, {report.stat().st_size / 1e6:.1f} MB of HTML"
        )
        missed += ["report time"] if seconds > 60 else []
        print("all targets met" if not missed else "missed: " + ", ".join(missed))


if __name__ == "__main__":
    main()
