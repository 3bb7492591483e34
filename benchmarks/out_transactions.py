"""Concurrent and killed ``audit --out`` runs: every folder holds one run's output, no mix.

Three experiments (four with two renames), each with real processes of the command line:

1. ``--force``: eight concurrent audits, each of a different variant of the paper's chat
   file (one model left out, so every output file differs), write into one folder that
   holds an earlier run's output. Afterwards the folder must hold exactly one variant's
   complete output.
2. Without ``--force`` into a fresh folder: of eight concurrent audits exactly one may
   succeed, and the folder must hold its output; the others are refused (exit 2).
3. ``kill -9``: an audit is killed at a random moment while it writes (half with
   ``--force`` over an earlier run, half into a fresh folder). The folder must hold the
   new run's complete output or its previous content (or be absent; with two renames it
   may also be set aside whole, counted as "set aside"); a rerun must then succeed and
   leave nothing beside the folder (no staging folder, no lock file). Half of the kills
   are aimed inside the write (as soon as the lock or staging folder appears), half at
   a random moment of the run.

With ``--strategy "two renames"`` every run swaps folders with the fallback of systems
without an atomic exchange (as on Windows), and a fourth experiment kills runs exactly
between their two renames (each run pauses there): the folder is then missing, and the
next run must put the previous folder back (a rerun without ``--force`` is refused and
leaves the previous output, with nothing beside it), then a forced rerun must succeed.

"Debris" is any hidden ``.NAME.*`` entry beside the folder or any temporary file in it.
Prints one line per experiment and exits 1 on any violation.

Run: ``python benchmarks/out_transactions.py [--trials 6] [--kills 20]
[--strategy platform|"two renames"]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from safetywashing.datasets.panels import reference_root
from safetywashing.io import transaction

PAPER_CHAT = reference_root() / "safetywashing-paper" / "benchmarks_chat_models.csv"
WRITERS = 8
STRATEGY = transaction.platform_strategy()
"""The swap every run uses (``--strategy``)."""

# The command line, with the swap strategy set first, and optionally a pause of a minute
# between the two renames of the fallback (for the runs killed there).
LAUNCH = textwrap.dedent(
    """
    import os, sys, time
    from safetywashing.io import transaction

    transaction.SWAP_STRATEGY = sys.argv.pop(1)
    if sys.argv.pop(1) == "pause":
        rename = os.rename

        def paused(source, target):
            rename(source, target)
            if ".previous-" in os.fspath(target):
                time.sleep(60)

        os.rename = paused
    from safetywashing.cli.app import main

    sys.exit(main())
    """
)


def command(variant: Path, out: Path, *, force: bool, pause: bool = False) -> list[str]:
    argv = [sys.executable, "-c", LAUNCH, STRATEGY, "pause" if pause else "-"]
    argv += ["--quiet", "audit", str(variant)]
    argv += ["--preset", "paper", "--out", str(out), "--format", "json"]
    return argv + (["--force"] if force else [])


def tree(folder: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``folder`` (empty if it is missing)."""
    if not folder.exists():
        return {}
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def debris(folder: Path) -> list[str]:
    """Hidden entries beside the folder, and temporary files inside it."""
    beside = [p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.")]
    inside = [name for name in tree(folder) if name.endswith(".tmp")]
    return sorted(beside + inside)


def set_aside(folder: Path) -> dict[str, str] | None:
    """What the folder held before a run set it aside (the fallback's first rename)."""
    found = sorted(folder.parent.glob(f".{folder.name}.previous-*"))
    return tree(found[0]) if found else None


def variants(workdir: Path) -> list[Path]:
    """The paper's chat file with model i left out, for i = 1..WRITERS."""
    lines = PAPER_CHAT.read_text(encoding="utf-8").splitlines(keepends=True)
    paths = []
    for i in range(1, WRITERS + 1):
        path = workdir / f"variant{i}.csv"
        path.write_text("".join(lines[:i] + lines[i + 1 :]), encoding="utf-8")
        paths.append(path)
    return paths


def expected_outputs(workdir: Path, paths: list[Path]) -> list[dict[str, str]]:
    outputs = []
    for index, path in enumerate(paths):
        out = workdir / f"expected{index}"
        subprocess.run(command(path, out, force=False), check=True, stdout=subprocess.DEVNULL)
        outputs.append(tree(out))
    return outputs


def which(found: dict[str, str], outputs: list[dict[str, str]]) -> int | None:
    return next((i for i, output in enumerate(outputs) if output == found), None)


def concurrent(
    workdir: Path, paths: list[Path], outputs: list[dict[str, str]], *, trials: int, force: bool
) -> tuple[int, list[str]]:
    problems: list[str] = []
    for trial in range(trials):
        out = workdir / f"{'forced' if force else 'fresh'}{trial}"
        if force:
            subprocess.run(
                command(paths[0], out, force=False), check=True, stdout=subprocess.DEVNULL
            )
        runs = [
            subprocess.Popen(
                command(path, out, force=force),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for path in paths
        ]
        codes = [run.wait() for run in runs]
        errors = [run.stderr.read() if run.stderr else "" for run in runs]
        found = which(tree(out), outputs)
        if found is None:
            problems.append(f"trial {trial}: the folder holds no single run's output")
        if any(code not in (0, 2) for code in codes):
            problems.append(f"trial {trial}: exit codes {codes}")
        if any("Traceback" in text for text in errors):
            problems.append(f"trial {trial}: a traceback")
        if not force and codes.count(0) != 1:
            problems.append(f"trial {trial}: {codes.count(0)} runs succeeded, not one")
        if not force and found is not None and codes[found] != 0:
            problems.append(f"trial {trial}: the folder holds a refused run's output")
        if debris(out):
            problems.append(f"trial {trial}: debris {debris(out)}")
    return trials, problems


def killed(
    workdir: Path,
    paths: list[Path],
    outputs: list[dict[str, str]],
    *,
    kills: int,
    rng: random.Random,
) -> tuple[int, list[str], dict[str, int]]:
    problems: list[str] = []
    tally = {"previous": 0, "new": 0, "absent": 0, "set aside": 0, "debris after kill": 0}
    started = time.perf_counter()
    subprocess.run(
        command(paths[1], workdir / "timing", force=False), check=True, stdout=subprocess.DEVNULL
    )
    duration = time.perf_counter() - started
    for trial in range(kills):
        force = trial % 2 == 0
        out = workdir / f"killed{trial}"
        if force:
            subprocess.run(
                command(paths[0], out, force=False), check=True, stdout=subprocess.DEVNULL
            )
        run = subprocess.Popen(
            command(paths[1], out, force=force),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if trial % 4 < 2:
            # Aim inside the write: kill as soon as the lock or the staging folder
            # appears beside the folder, after a random few milliseconds.
            deadline = time.perf_counter() + 3 * duration
            while time.perf_counter() < deadline and run.poll() is None:
                if any(p.name.startswith(f".{out.name}.") for p in out.parent.iterdir()):
                    time.sleep(rng.uniform(0, 0.02))
                    break
                time.sleep(0.0005)
        else:  # at a random moment of the run
            time.sleep(rng.uniform(0.3, 1.05) * duration)
        run.send_signal(signal.SIGKILL)
        run.wait()
        found = tree(out)
        if found == outputs[1]:
            tally["new"] += 1
        elif force and found == outputs[0]:
            tally["previous"] += 1
        elif not force and not found:
            tally["absent"] += 1
        elif not found and set_aside(out) == outputs[0]:
            # The fallback killed between its renames: the rerun must put it back first.
            tally["set aside"] += 1
        else:
            problems.append(f"kill {trial}: the folder holds a mix or a partial set")
        if debris(out):
            tally["debris after kill"] += 1
        again = subprocess.run(
            command(paths[1], out, force=True),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if again.returncode != 0 or tree(out) != outputs[1]:
            problems.append(f"kill {trial}: the rerun failed ({again.stderr.strip()})")
        if debris(out):
            problems.append(f"kill {trial}: debris after the rerun {debris(out)}")
    return kills, problems, tally


def between_renames(
    workdir: Path, paths: list[Path], outputs: list[dict[str, str]], *, kills: int
) -> tuple[int, list[str]]:
    """Runs killed between the fallback's two renames: undone by the next run."""
    problems: list[str] = []
    for trial in range(kills):
        out = workdir / f"between{trial}"
        subprocess.run(command(paths[0], out, force=False), check=True, stdout=subprocess.DEVNULL)
        run = subprocess.Popen(
            command(paths[1], out, force=True, pause=True),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.perf_counter() + 120
        while not list(workdir.glob(f".{out.name}.previous-*")):
            if run.poll() is not None or time.perf_counter() > deadline:
                problems.append(f"kill {trial}: the run never reached its second rename")
                break
            time.sleep(0.005)
        run.send_signal(signal.SIGKILL)
        run.wait()
        if out.exists() or not list(workdir.glob(f".{out.name}.staging-*")):
            problems.append(f"kill {trial}: not killed between the renames")
        refused = subprocess.run(
            command(paths[2], out, force=False),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if refused.returncode != 2 or tree(out) != outputs[0] or debris(out):
            problems.append(
                f"kill {trial}: the next run did not put the previous folder back "
                f"(exit {refused.returncode}, debris {debris(out)})"
            )
        again = subprocess.run(command(paths[1], out, force=True), stdout=subprocess.DEVNULL)
        if again.returncode != 0 or tree(out) != outputs[1] or debris(out):
            problems.append(f"kill {trial}: the forced rerun failed")
    return kills, problems


def main() -> int:
    global STRATEGY
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--strategy", choices=["platform", "two renames"], default="platform")
    options = parser.parse_args()
    if options.strategy != "platform":
        STRATEGY = options.strategy
    print(f"swap strategy: {STRATEGY}")
    rng = random.Random(options.seed)
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        paths = variants(workdir)
        outputs = expected_outputs(workdir, paths)
        assert len({tuple(sorted(o.items())) for o in outputs}) == WRITERS
        for force, trials in ((True, options.trials), (False, max(1, options.trials * 2 // 3))):
            started = time.perf_counter()
            count, problems = concurrent(workdir, paths, outputs, trials=trials, force=force)
            label = "--force into one folder" if force else "fresh folder, no --force"
            print(
                f"{WRITERS} concurrent writers, {label}: {count} trials, "
                f"{len(problems)} violations ({time.perf_counter() - started:.0f} s)"
            )
            for problem in problems:
                print(f"  {problem}")
            failed |= bool(problems)
        started = time.perf_counter()
        count, problems, tally = killed(workdir, paths, outputs, kills=options.kills, rng=rng)
        summary = ", ".join(f"{key} {value}" for key, value in tally.items())
        print(
            f"kill -9 while writing: {count} kills ({summary}), {len(problems)} violations "
            f"({time.perf_counter() - started:.0f} s)"
        )
        for problem in problems:
            print(f"  {problem}")
        failed |= bool(problems)
        if STRATEGY == "two renames":
            started = time.perf_counter()
            count, problems = between_renames(
                workdir, paths, outputs, kills=max(1, options.kills // 4)
            )
            print(
                f"kill -9 between the two renames, then a rerun: {count} kills, "
                f"{len(problems)} violations ({time.perf_counter() - started:.0f} s)"
            )
            for problem in problems:
                print(f"  {problem}")
            failed |= bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
