"""Metric map files (CSV and JSON) and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from safetywashing.core.errors import InputError
from safetywashing.io.frameworks import MetricChoice, ingest, read_metric_map


def test_csv_map(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    path.write_text(
        'Benchmark,Metric,Direction\nhellaswag,acc_norm,\ngsm8k,"exact_match,flexible-extract",'
        "higher\nwikitext,word_perplexity,lower\n"
    )
    assert read_metric_map(path) == {
        "hellaswag": MetricChoice("acc_norm"),
        "gsm8k": MetricChoice("exact_match", "flexible-extract", "higher"),
        "wikitext": MetricChoice("word_perplexity", None, "lower"),
    }


def test_json_map(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    path.write_text('{"hellaswag": "acc_norm", "toxigen": {"metric": "acc", "direction": "lower"}}')
    assert read_metric_map(path) == {
        "hellaswag": MetricChoice("acc_norm"),
        "toxigen": MetricChoice("acc", None, "lower"),
    }


def test_map_file_used_by_ingest(tmp_path: Path, fixtures: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("task,metric\nhellaswag,acc_norm\n")
    [record] = [
        r
        for r in ingest(fixtures / "lm_eval" / "v03", metric_map=path).records
        if r.benchmark == "hellaswag"
    ]
    assert record.score == 0.3114


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("m.csv", "", r"m\.csv is empty; give one row per task: benchmark,metric\."),
        ("m.csv", "name,value\na,b\n", r"needs a header with 'benchmark' \(or 'task'\)"),
        ("m.csv", "benchmark,metric\nhellaswag,\n", r"m\.csv, row 2: empty benchmark or metric"),
        ("m.csv", "benchmark,metric\na,acc\na,f1\n", r"row 3: 'a' is mapped twice"),
        ("m.csv", "benchmark,metric,direction\na,acc,up-ish\n",
         r"row 2: direction 'up-ish' is not higher or lower"),
        ("m.csv", "benchmark,metric\n", r"maps no tasks"),
        ("m.json", '{"a": 1}', r"task 'a': give a metric string or an object"),
        ("m.json", '{"a": ', r"m\.json is not valid JSON \(Expecting value at line 1, column 7\)"),
        ("m.json", "[]", r"must be a JSON object mapping each task to a metric"),
        ("m.json", '{"a": " "}', r"task 'a': the metric is empty"),
    ],
)  # fmt: skip
def test_map_errors(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_metric_map(path)


def test_missing_map_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no such metric map file; check the --metrics path"):
        read_metric_map(tmp_path / "nope.csv")
