"""The audit command stays light: no pandas, scipy.stats or matplotlib on its path.

Importing pandas alone takes most of the audit's 0.8 s budget on a small machine, so the
command must never import it (nor scipy.stats nor matplotlib) for a plain audit.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("pandas", "scipy.stats", "matplotlib", "pyarrow")

PROBE = """
import contextlib, io, json, sys
from safetywashing.cli.app import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def loaded_modules(args: list[str]) -> tuple[int, set[str]]:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    return report["code"], set(report["modules"])


def test_demo_audit_imports_nothing_heavy() -> None:
    code, modules = loaded_modules(["audit", "--format", "json"])
    assert code == 0
    assert not [name for name in HEAVY if name in modules]


def test_paper_audit_imports_nothing_heavy(paper_dir: Path) -> None:
    code, modules = loaded_modules(
        ["audit", str(paper_dir / "benchmarks_chat_models.csv"), "--preset", "paper"]
    )
    assert code == 0
    assert not [name for name in HEAVY if name in modules]
