"""Whole folders: format detection, forced formats, conflicts, tables and errors."""

from __future__ import annotations

import json
import math
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

from safetywashing.core.errors import InputError, InputWarning
from safetywashing.io.frameworks import (
    IngestReport,
    ResultRecord,
    detect_format,
    ingest,
    looks_like_results,
    read_results,
)


def test_mixed_folder_reads_every_framework(fixtures: Path, eval_logs: dict[str, Path]) -> None:
    report = ingest([fixtures, eval_logs["deflate"].parent])
    assert set(report.framework_counts()) == {"lm-eval", "inspect", "helm", "openllm"}
    assert detect_format(fixtures) == "mixed"


def test_forced_format_skips_other_frameworks(fixtures: Path) -> None:
    report = ingest(fixtures / "openllm", format="inspect")
    assert not report.records
    reasons = {s.reason for s in report.skipped}
    assert "is Open LLM Leaderboard output, not Inspect output" in reasons
    helm = ingest(fixtures / "helm", format="lm-eval")
    assert all(s.reason == "is a HELM run, not lm-evaluation-harness output" for s in helm.skipped)


def test_format_aliases_and_unknown_format(fixtures: Path) -> None:
    assert ingest(fixtures / "lm_eval" / "v03", format="LM_EVAL").records
    with pytest.raises(InputError, match=r"Unknown format 'hlem' \(did you mean 'helm'\?\)"):
        ingest(fixtures, format="hlem")


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nothere: no such file or folder; check the path\."):
        ingest(tmp_path / "nothere")
    with pytest.raises(InputError, match="No paths given"):
        ingest([])


def test_to_table_records_metric_direction_sources_and_notes(fixtures: Path) -> None:
    report = ingest(fixtures / "lm_eval")
    table = report.to_table()
    assert table.values.shape == (len(report.models), len(report.benchmarks))
    info = {b.id: b for b in table.benchmarks}
    assert info["wikitext"].direction == "lower"
    assert info["wikitext"].metric == "word_perplexity"
    assert info["hellaswag"].direction == "higher"
    row = table.model_ids.index("EleutherAI/pythia-160m")
    assert table.values[row, table.benchmark_index("hellaswag")] == 0.2891
    assert np.isnan(table.values[table.model_ids.index("gpt2"), table.benchmark_index("mmlu")])
    assert any(n.startswith("skipped ") and "truncated" in n for n in table.notes)
    assert any("is newer than" in n for n in table.notes)
    assert len(table.sources) == 5  # the readable results files, each with its SHA-256
    assert all(len(s.sha256) == 64 for s in table.sources)


def test_to_table_warns_about_mixed_metrics() -> None:
    records = (
        ResultRecord("a", "arc", 0.5, math.nan, "x.json", "lm-eval", "acc"),
        ResultRecord("b", "arc", 0.6, math.nan, "y.json", "openllm", "acc_norm"),
    )
    table = IngestReport(records=records).to_table()
    assert "benchmark 'arc' mixes metrics: acc (1 models), acc_norm (1 models)" in table.notes[0]


def test_runs_without_dates_keep_the_last_by_name(tmp_path: Path) -> None:
    for name, value in (("a", 0.1), ("b", 0.2)):
        folder = tmp_path / name
        folder.mkdir()
        document = {"results": {"piqa": {"acc": value}}, "config": {"model_args": "pretrained=m"}}
        path = folder / "results.json"
        path.write_text(json.dumps(document))
        os.utime(path, (1_700_000_000, 1_700_000_000))  # same modification time
    report = ingest(tmp_path)
    assert [r.score for r in report.records] == [0.2]
    assert "have no run dates to tell them apart; kept" in report.notes[0]


def test_read_results_and_its_errors(fixtures: Path, tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = read_results(fixtures / "lm_eval")
    assert len(table.models) == 4
    [warning] = [w for w in caught if issubclass(w.category, InputWarning)]
    assert "3 file(s) under" in str(warning.message)
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(
        InputError,
        match=r"No scores could be read from .*: 1 file\(s\) skipped, e\.g\. .*bad\.json is not",
    ):
        read_results(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="No results files found in"):
        read_results(empty)
    with pytest.raises(InputError, match="holds no results"):
        detect_format(empty)


def test_looks_like_results(fixtures: Path, tmp_path: Path) -> None:
    assert looks_like_results(fixtures)
    assert looks_like_results(tmp_path / "x.eval")
    assert looks_like_results(tmp_path / "results.JSON")
    assert not looks_like_results(tmp_path / "scores.csv")


def test_hidden_and_other_files_are_counted(tmp_path: Path) -> None:
    (tmp_path / ".DS_Store").write_text("x")
    (tmp_path / "README.md").write_text("x")
    (tmp_path / "results.json").write_text(
        json.dumps({"results": {"piqa": {"acc": 0.5}}, "model_name": "m"})
    )
    report = ingest(tmp_path)
    assert "files that are not results were not read: 1 .md, 1 hidden." in report.notes


def test_unused_metric_map_entry_is_noted(fixtures: Path) -> None:
    from safetywashing.io.frameworks import MetricChoice

    report = ingest(fixtures / "lm_eval" / "v03", metric_map={"helaswag": MetricChoice("acc")})
    assert (
        "metric map entry 'helaswag' matched no task (did you mean 'hellaswag'?)." in report.notes
    )


def test_import_stays_light() -> None:
    """The readers must not pull pandas or scipy onto the audit command's import path."""
    import subprocess
    import sys

    code = (
        "import sys, safetywashing.io.frameworks, safetywashing.cli.ingest; "
        "print(sorted(m for m in ('pandas', 'scipy', 'zstandard', 'inspect_ai') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
