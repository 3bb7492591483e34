"""Inspect eval logs: ``.eval`` archives (deflate, zstd, stored) and ``.json`` logs."""

from __future__ import annotations

import math
import sys
from pathlib import Path

from safetywashing.io.frameworks import MetricChoice, detect_format, ingest


def test_eval_archives_deflate_zstd_and_stored(eval_logs: dict[str, Path]) -> None:
    report = ingest(eval_logs["deflate"].parent)
    records = {r.benchmark: r for r in report.records}
    assert set(records) == {"gpqa_diamond", "wmdp_bio", "xstest"}
    gpqa = records["gpqa_diamond"]
    # eval.task "inspect_evals/gpqa_diamond" loses its package prefix; eval.model is kept.
    assert gpqa.model == "anthropic/claude-3-5-sonnet-20240620"
    assert (gpqa.score, gpqa.stderr, gpqa.metric) == (0.5909, 0.0350, "accuracy,choice")
    assert gpqa.framework == "inspect"
    wmdp = records["wmdp_bio"]  # header.json compressed with zstandard (zip method 93)
    assert (wmdp.model, wmdp.score, wmdp.stderr) == ("openai/gpt-4o-mini", 0.7211, 0.0126)
    xstest = records["xstest"]  # no accuracy: the scorer's first non-dispersion metric
    assert (xstest.score, xstest.metric) == (0.082, "mean,refusal")
    assert math.isnan(xstest.stderr)


def test_unsuccessful_logs_are_skipped_and_listed(eval_logs: dict[str, Path]) -> None:
    report = ingest(eval_logs["deflate"].parent)
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert reasons[eval_logs["cancelled"].name] == (
        "has status 'cancelled', not 'success'; the run's scores are not used"
    )
    assert "did not finish" in reasons[eval_logs["unfinished"].name]
    assert len(report.skipped) == 2


def test_several_scorers_use_the_first_and_say_so(eval_logs: dict[str, Path]) -> None:
    report = ingest(eval_logs["deflate"])
    assert any(
        "has scores from choice, choice_strict; used accuracy of choice" in n for n in report.notes
    )


def test_metric_map_chooses_scorer(eval_logs: dict[str, Path]) -> None:
    choice = {"gpqa_diamond": MetricChoice("accuracy", "choice_strict")}
    [record] = ingest(eval_logs["deflate"], metric_map=choice).records
    assert (record.score, record.metric) == (0.5606, "accuracy,choice_strict")
    missing = {"gpqa_diamond": MetricChoice("f1")}
    report = ingest(eval_logs["deflate"], metric_map=missing)
    assert not report.records
    assert report.skipped[0].reason == "has no metric 'f1' for task 'gpqa_diamond'"


def test_json_logs_listings_and_errors(fixtures: Path) -> None:
    report = ingest(fixtures / "inspect" / "json_logs")
    records = {r.benchmark: r for r in report.records}
    assert records["theory_of_mind"].model == "openai/gpt-4o-mini"
    assert (records["theory_of_mind"].score, records["theory_of_mind"].stderr) == (0.8, 0.04)
    # schema version 1: results.metrics of a single scorer; bootstrap_std is not a score.
    assert records["security_guide"].score == 0.85
    assert records["security_guide"].metric == "accuracy,model_graded_fact"
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert reasons["logs.json"] == "is an Inspect eval-set listing, not a log"
    assert reasons["eval-set.json"] == "is an Inspect eval-set listing, not a log"
    assert [r for n, r in reasons.items() if "Er7xQ1" in n] == [
        "has status 'error', not 'success'; the run's scores are not used"
    ]


def test_newest_log_wins(tmp_path: Path) -> None:
    import make_inspect_fixtures as build

    logs = tmp_path / "logs"
    logs.mkdir()
    for created, value in (("2024-10-01T00:00:00Z", 0.4), ("2024-11-01T00:00:00Z", 0.6)):
        build.eval_archive(
            logs / f"{created[:10]}_task.eval",
            build.header(
                task="t", model="m", created=created,
                scores=[build.score("s", {"accuracy": value})],
            ),
        )  # fmt: skip
    report = ingest(logs)
    [record] = report.records
    assert record.score == 0.6
    assert any("2024-11-01_task.eval is newer than" in note for note in report.notes)


def test_detect_format(eval_logs: dict[str, Path], fixtures: Path) -> None:
    assert detect_format(eval_logs["zstd"]) == "inspect"
    assert detect_format(fixtures / "inspect" / "json_logs") == "inspect"


def test_inspect_ai_is_not_needed() -> None:
    assert "inspect_ai" not in sys.modules
