"""Open LLM Leaderboard results files, v1 (harness|task|shots) and v2 (lm-eval 0.4)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from safetywashing.io.frameworks import MetricChoice, detect_format, ingest


def test_v1_tasks_named_and_scored_as_the_leaderboard_did(fixtures: Path) -> None:
    folder = fixtures / "openllm" / "v1" / "meta-llama"
    report = ingest(folder)
    records = {r.benchmark: r for r in report.records}
    assert report.models == ("meta-llama/Llama-2-7b-hf",)
    assert records["arc_challenge"].score == 0.5307  # acc_norm
    assert records["hellaswag"].score == 0.7859  # acc_norm
    assert (records["truthfulqa_mc1"].score, records["truthfulqa_mc2"].score) == (0.2521, 0.3881)
    assert records["winogrande"].score == 0.7403
    assert records["gsm8k"].score == 0.1425
    # MMLU: mean acc over the subject tasks, stderr combined as independent means.
    assert records["mmlu"].score == pytest.approx((0.30 + 0.4815 + 0.4079) / 3, abs=1e-15)
    expected = math.sqrt(0.0461**2 + 0.0432**2 + 0.0400**2) / 3
    assert records["mmlu"].stderr == pytest.approx(expected, abs=1e-15)
    assert "all" not in records
    assert any(
        "mmlu is the mean of 3 subjects (the leaderboard averages 57)" in n for n in report.notes
    )
    assert {r.framework for r in report.records} == {"openllm"}


def test_v1_earliest_files_with_config_model_name(fixtures: Path) -> None:
    report = ingest(fixtures / "openllm" / "v1" / "gpt2")
    assert report.models == ("gpt2",)
    assert len(report.records) == 4


def test_v1_metric_map(fixtures: Path) -> None:
    choices = {"hellaswag": MetricChoice("acc"), "mmlu": MetricChoice("acc_norm")}
    records = {
        r.benchmark: r
        for r in ingest(fixtures / "openllm" / "v1" / "meta-llama", metric_map=choices).records
    }
    assert records["hellaswag"].score == 0.5886
    assert records["mmlu"].metric == "acc_norm"


def test_v2_reads_the_six_benchmarks(fixtures: Path) -> None:
    report = ingest(fixtures / "openllm" / "v2")
    records = {r.benchmark: r for r in report.records}
    assert set(records) == {
        "leaderboard_bbh", "leaderboard_gpqa", "leaderboard_ifeval",
        "leaderboard_math_hard", "leaderboard_mmlu_pro", "leaderboard_musr",
    }  # fmt: skip
    assert records["leaderboard_ifeval"].metric == "prompt_level_strict_acc"  # its metric_list
    assert records["leaderboard_bbh"].score == 0.5386
    assert report.models == ("Qwen/Qwen2-7B",)
    assert {r.framework for r in report.records} == {"openllm"}


def test_v2_forced_as_lm_eval(fixtures: Path) -> None:
    report = ingest(fixtures / "openllm" / "v2", format="lm-eval")
    assert {r.framework for r in report.records} == {"lm-eval"}


def test_detect(fixtures: Path) -> None:
    assert detect_format(fixtures / "openllm" / "v1") == "openllm"
    assert detect_format(fixtures / "openllm" / "v2") == "openllm"
