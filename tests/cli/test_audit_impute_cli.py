"""``safetywashing audit --impute``: flags and coverage in the output."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from safetywashing.cli.app import main
from safetywashing.datasets import demo_benchmarks_path, demo_panel_path


def _gappy_demo(tmp_path: Path) -> tuple[Path, str, str]:
    rows = list(csv.reader(demo_panel_path().open(encoding="utf-8")))
    header = rows[0]
    capability = next(
        row[0]
        for row in csv.reader(demo_benchmarks_path().open(encoding="utf-8"))
        if "capability" in row
    )
    rows[1][header.index(capability)] = ""
    path = tmp_path / "gappy.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path, rows[1][header.index("model")], capability


def test_default_imputes_and_reports_the_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, model, capability = _gappy_demo(tmp_path)
    rc = main(["audit", str(path), "--benchmarks", str(demo_benchmarks_path()), "--format", "json"])
    captured = capsys.readouterr()
    assert rc == 0
    document = json.loads(captured.out)
    base = document["classes"]["base"]
    assert base["imputed_cells"] == [{"model": model, "benchmark": capability}]
    assert f"warning: Model '{model}' (base) has 1 imputed capability value" in captured.err


def test_impute_none_leaves_the_model_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, model, _ = _gappy_demo(tmp_path)
    rc = main(
        [
            "audit",
            str(path),
            "--benchmarks",
            str(demo_benchmarks_path()),
            "--impute",
            "none",
            "--format",
            "markdown",
        ]
    )
    captured = capsys.readouterr()
    assert rc == 0
    assert f"| {model} | excluded | 11 of 12 |  | missing capability benchmark" in captured.out


def test_bad_min_observed_is_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _, _ = _gappy_demo(tmp_path)
    rc = main(
        ["audit", str(path), "--benchmarks", str(demo_benchmarks_path()), "--min-observed", "20"]
    )
    err = capsys.readouterr().err
    assert rc == 2
    assert err == (
        "error: --min-observed 20 exceeds the 12 capability benchmarks; lower --min-observed "
        "(at most 12).\n"
    )
