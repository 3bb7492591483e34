"""CSV output: long and wide, atomic, never overwriting unless forced, read back exactly."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from safetywashing.core.errors import InputError
from safetywashing.io.frameworks import IngestReport, ResultRecord, ingest
from safetywashing.io.frameworks.output import write_atomic, write_long, write_wide
from safetywashing.io.tables.readers import read_scores


def test_long_table_round_trips_through_read_scores(fixtures: Path, tmp_path: Path) -> None:
    report = ingest(fixtures / "lm_eval")
    path = write_long(report, tmp_path / "scores.csv")
    header = path.read_text().splitlines()[0]
    assert header == "model,benchmark,score,stderr,metric,framework,source"
    table = read_scores(path)
    expected = report.to_table()
    assert table.model_ids == expected.model_ids
    assert table.benchmark_ids == expected.benchmark_ids
    np.testing.assert_array_equal(table.values, expected.values)  # repr keeps every digit


def test_wide_matrix_round_trips(fixtures: Path, tmp_path: Path) -> None:
    table = ingest(fixtures / "openllm").to_table()
    path = write_wide(table, tmp_path / "wide.csv")
    back = read_scores(path)
    np.testing.assert_array_equal(back.values, table.values)
    assert back.benchmark_ids == table.benchmark_ids


def test_missing_stderr_is_an_empty_cell(tmp_path: Path) -> None:
    record = ResultRecord("m, with comma", "b", 0.1, math.nan, "s.json", "helm", "em")
    path = write_long(IngestReport(records=(record,)), tmp_path / "o.csv")
    assert path.read_text().splitlines()[1] == '"m, with comma",b,0.1,,em,helm,s.json'


def test_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    path.write_text("keep me")
    with pytest.raises(
        InputError, match=r"scores\.csv already exists; choose another name or pass --force"
    ):
        write_atomic(path, "new")
    assert path.read_text() == "keep me"
    write_atomic(path, "new", force=True)
    assert path.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.csv"]  # no temporary left


def test_bad_destinations(tmp_path: Path) -> None:
    # One writer for every output: a missing folder is created, as for `audit --out`.
    assert write_atomic(tmp_path / "missing" / "o.csv", "x").read_text() == "x"
    (tmp_path / "blocker").write_text("")
    with pytest.raises(
        InputError,
        match=r"blocker is a file, so it cannot hold the output .*o\.csv; choose another",
    ):
        write_atomic(tmp_path / "blocker" / "o.csv", "x")
    with pytest.raises(InputError, match="is a folder; give a file name"):
        write_atomic(tmp_path, "x")


def test_failed_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    def broken(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken)
    # A full disk is the user's to fix: one sentence, not a traceback.
    with pytest.raises(InputError, match=r"cannot hold the output \(disk full\)"):
        write_atomic(tmp_path / "o.csv", "x")
    assert list(tmp_path.iterdir()) == []


def test_written_file_has_the_usual_mode(tmp_path: Path) -> None:
    import os

    previous = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "o.csv", "x")
    finally:
        os.umask(previous)
    # Like any file created under umask 022 (the temporary file was private, 0600).
    assert path.stat().st_mode & 0o777 == 0o644
