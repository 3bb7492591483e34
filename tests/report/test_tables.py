"""JSON, CSV and Markdown renderings of an audit."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from safetywashing.audit.compute import audit
from safetywashing.datasets import load_demo_panel
from safetywashing.report.reading import reading
from safetywashing.report.tables import (
    benchmarks_csv,
    loadings_csv,
    markdown_summary,
    scores_csv,
    to_json,
)


@pytest.fixture(scope="module")
def demo_result():  # type: ignore[no-untyped-def]
    return audit(load_demo_panel())


def test_json_round_trips_raw_values(demo_result) -> None:  # type: ignore[no-untyped-def]
    document = json.loads(to_json(demo_result))
    chat = demo_result["chat"]
    value = document["classes"]["chat"]["benchmarks"]["syn_ethics_qa"]["capabilities_correlation"]
    assert value == chat.benchmark("syn_ethics_qa").capabilities_correlation  # unrounded


def test_csv_tables_parse_and_align(demo_result) -> None:  # type: ignore[no-untyped-def]
    rows = list(csv.DictReader(io.StringIO(benchmarks_csv(demo_result))))
    assert len(rows) == 54
    first = rows[0]
    result = demo_result[first["model_class"]].benchmark(first["benchmark"])
    assert float(first["capabilities_correlation"]) == result.capabilities_correlation
    assert first["reading"] == demo_result[first["model_class"]].reading(result)
    scores = list(csv.DictReader(io.StringIO(scores_csv(demo_result))))
    assert len(scores) == 30
    loadings = list(csv.DictReader(io.StringIO(loadings_csv(demo_result))))
    assert len(loadings) == 24


def test_markdown_is_labelled_synthetic(demo_result) -> None:  # type: ignore[no-untyped-def]
    text = markdown_summary(demo_result)
    assert "SYNTHETIC DATA" in text
    assert text.count("## ") >= 3


def test_markdown_escapes_pipes_and_tags() -> None:
    from dataclasses import replace

    table = load_demo_panel()
    renamed = tuple(
        replace(b, name="a|b <script>") if b.id == "syn_ethics_qa" else b for b in table.benchmarks
    )
    text = markdown_summary(audit(table.with_benchmarks(renamed)))
    assert "a\\|b &lt;script&gt;" in text
    assert "<script>" not in text


@pytest.mark.parametrize(
    ("value", "expected"),
    [(math.nan, "n/a"), (-0.5, "inverse"), (-0.1, "low"), (0.39, "low"), (0.5, "moderate"),
     (0.8, "high")],
)  # fmt: skip
def test_reading_follows_the_papers_lines(value: float, expected: str) -> None:
    # The paper: below 0.40 is low; the mean pairwise capability correlation (here 0.7)
    # is the yardstick for high.
    assert reading(value, low=0.40, high=0.70) == expected
