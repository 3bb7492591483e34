"""Warnings that name one model each are one line per kind on stderr (issue 13, item 7).

The table is the paper's chat file (packaged copy) with capability cells blanked here:
one cell for ten models (imputed) and ten of the twelve for three models (left out: the
default --min-observed is 3 of 12).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from safetywashing.cli.app import main
from safetywashing.datasets.presets import PAPER_CAPABILITIES


@pytest.fixture
def gappy(paper_dir: Path, tmp_path: Path) -> Path:
    with (paper_dir / "benchmarks_chat_models.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    for row in rows[1:11]:
        row[header.index("mmlu")] = ""
    for row in rows[11:14]:
        for name in list(PAPER_CAPABILITIES)[:10]:
            row[header.index(name)] = ""
    path = tmp_path / "gappy.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_per_model_warnings_are_one_line_per_kind(
    gappy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", str(gappy), "--preset", "paper", "--format", "json"]) == 0
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("warning: 3 chat models are left out of the capability score: '")
    assert lines[1].startswith("warning: 10 chat models have imputed capability values: '")
    assert "and 7 more (each with its reason in the JSON output's warnings" in lines[1]
    document = json.loads(captured.out)
    assert len(document["warnings"]) == 13  # every model, with its reason


def test_verbose_prints_every_warning(gappy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["audit", str(gappy), "--preset", "paper", "--format", "json", "--verbose"]
    assert main(args) == 0
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 13 and all(line.startswith("warning: Model '") for line in lines)
