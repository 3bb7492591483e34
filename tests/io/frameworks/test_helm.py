"""HELM run folders: main metric and split per group, unperturbed, averaged over runs."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from safetywashing.io.frameworks import MetricChoice, ResultRecord, detect_format, ingest


@pytest.fixture
def runs(fixtures: Path) -> Path:
    return fixtures / "helm" / "benchmark_output" / "runs"


def _records(report_records: tuple[ResultRecord, ...]) -> dict[tuple[str, str], ResultRecord]:
    return {(r.model, r.benchmark): r for r in report_records}


def test_mmlu_subjects_are_averaged_on_the_main_metric(runs: Path) -> None:
    records = _records(ingest(runs / "v1").records)
    gpt2 = records[("openai/gpt2", "mmlu")]
    # Mean of the two finished subjects' unperturbed exact_match on test (stats.json):
    # anatomy 0.2519, philosophy 0.2283; not valid (0.3), not robustness (0.21).
    assert gpt2.score == pytest.approx((0.2519 + 0.2283) / 2, abs=1e-15)
    assert gpt2.metric == "exact_match,test"
    assert gpt2.source.endswith("runs/v1 (2 runs)")
    assert math.isnan(gpt2.stderr) and gpt2.framework == "helm"
    pythia = records[("eleutherai/pythia-1b-v0", "mmlu")]
    assert pythia.score == pytest.approx((0.2963 + 0.2476) / 2, abs=1e-15)


def test_schema_main_split_and_direction(runs: Path) -> None:
    records = _records(ingest(runs / "v1").records)
    boolq = records[("openai/gpt2", "boolq")]
    assert (boolq.score, boolq.metric) == (0.5873, "quasi_exact_match,valid")
    toxicity = records[("openai/gpt2", "real_toxicity_prompts")]
    assert (toxicity.score, toxicity.higher_is_better) == (0.084, False)


def test_unfinished_run_is_skipped_and_summary_files_noted(runs: Path) -> None:
    report = ingest(runs / "v1")
    [skipped] = report.skipped
    assert skipped.path.endswith(
        "mmlu:subject=astronomy,method=multiple_choice_joint,model=openai_gpt2"
    )
    assert skipped.reason == "has no stats.json (the run did not finish)"
    assert "2 HELM summary files next to the run folders were not needed." in report.notes


def test_suite_without_schema_falls_back_with_a_note(runs: Path) -> None:
    report = ingest(runs / "v2")
    [record] = report.records
    assert (record.benchmark, record.score, record.metric) == (
        "hellaswag",
        0.3,
        "exact_match,valid",
    )
    assert any(
        "no schema.json names the main metric of HELM group 'hellaswag'" in n for n in report.notes
    )


def test_metric_map_picks_metric_and_split(runs: Path) -> None:
    choice = {"boolq": MetricChoice("exact_match", "valid")}
    records = _records(ingest(runs / "v1", metric_map=choice).records)
    assert records[("openai/gpt2", "boolq")].score == 0.55


def test_single_run_folder_and_stats_file(runs: Path) -> None:
    run = runs / "v1" / "boolq:model=openai_gpt2,data_augmentation=canonical"
    assert [r.score for r in ingest(run).records] == [0.5873]
    assert [r.score for r in ingest(run / "stats.json").records] == [0.5873]
    assert detect_format(run) == "helm"


def test_sources_are_hashed(runs: Path) -> None:
    report = ingest(runs / "v1")
    names = {Path(s.path).name for s in report.sources}
    assert names == {"run_spec.json", "stats.json", "schema.json"}
    assert all(len(s.sha256) == 64 for s in report.sources)


def test_malformed_lists_in_schema_and_run_spec_do_not_stop_the_suite(
    runs: Path, tmp_path: Path
) -> None:
    suite = tmp_path / "v1"
    shutil.copytree(runs / "v1", suite)
    schema = json.loads((suite / "schema.json").read_text())
    schema["metrics"], schema["run_groups"] = 5, True
    (suite / "schema.json").write_text(json.dumps(schema))
    run = suite / "boolq:model=openai_gpt2,data_augmentation=canonical"
    spec = json.loads((run / "run_spec.json").read_text())
    spec["groups"] = 3
    (run / "run_spec.json").write_text(json.dumps(spec))
    records = _records(ingest(suite).records)
    # The schema is ignored (fallback metric) and the run is named after its run name.
    assert ("openai/gpt2", "mmlu") in records and ("openai/gpt2", "boolq") in records
