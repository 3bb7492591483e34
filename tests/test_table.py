"""ScoreTable: construction, selection, orientation, stacking."""

from __future__ import annotations

import numpy as np
import pytest

from safetywashing.core.errors import InputError
from safetywashing.core.table import BenchmarkInfo, ModelInfo, ScoreTable, SourceFile


def make(
    models: list[str], benchmarks: list[str], values: list[list[float]], path: str
) -> ScoreTable:
    return ScoreTable(
        values=np.array(values, dtype=float),
        models=tuple(ModelInfo(id=m) for m in models),
        benchmarks=tuple(BenchmarkInfo(id=b) for b in benchmarks),
        sources=(SourceFile(path=path, sha256="0" * 64),),
    )


def test_concat_takes_the_union_of_columns() -> None:
    base = make(["b1", "b2"], ["x", "y"], [[1, 2], [3, 4]], "base.csv")
    chat = make(["c1"], ["y", "z"], [[5, 6]], "chat.csv")
    both = ScoreTable.concat([base, chat])
    assert both.model_ids == ("b1", "b2", "c1")
    assert both.benchmark_ids == ("x", "y", "z")
    np.testing.assert_array_equal(both.values, [[1, 2, np.nan], [3, 4, np.nan], [np.nan, 5, 6]])
    assert [s.path for s in both.sources] == ["base.csv", "chat.csv"]


def test_concat_refuses_a_model_in_two_files() -> None:
    first = make(["m"], ["x"], [[1]], "a.csv")
    second = make(["m"], ["x"], [[2]], "b.csv")
    with pytest.raises(InputError, match=r"Model 'm' is in both a\.csv and b\.csv"):
        ScoreTable.concat([first, second])


def test_shape_and_duplicate_checks() -> None:
    with pytest.raises(InputError, match=r"Scores have shape \(1, 2\) but there are 1 models"):
        make(["m"], ["x"], [[1, 2]], "a.csv")
    with pytest.raises(InputError, match="The benchmark id 'x' appears twice"):
        make(["m"], ["x", "x"], [[1, 2]], "a.csv")


def test_values_are_read_only() -> None:
    table = make(["m"], ["x"], [[1]], "a.csv")
    with pytest.raises(ValueError, match="read-only"):
        table.values[0, 0] = 2.0


def test_oriented_negates_lower_is_safer() -> None:
    table = ScoreTable(
        values=np.array([[1.0, 2.0]]),
        models=(ModelInfo(id="m"),),
        benchmarks=(BenchmarkInfo(id="a"), BenchmarkInfo(id="b", direction="lower")),
    )
    values, flipped = table.oriented()
    assert values.tolist() == [[1.0, -2.0]] and flipped == ("b",)


def test_bad_role_or_direction() -> None:
    with pytest.raises(InputError, match="has role 'both'"):
        BenchmarkInfo(id="a", role="both")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="has direction 'up'"):
        BenchmarkInfo(id="a", direction="up")  # type: ignore[arg-type]


def test_the_table_repr_is_one_line_and_its_html_view_is_escaped() -> None:
    # Before, repr(ScoreTable) was about 29 KB of arrays.
    from dataclasses import replace

    from safetywashing.datasets import load_demo_panel

    table = load_demo_panel()
    text = repr(table)
    assert text.startswith("<ScoreTable: 30 models x 27 benchmarks (12 capability, 15 safety)")
    assert "\n" not in text and len(text) < 300
    evil = replace(
        table, models=(replace(table.models[0], id="<script>x</script>"), *table.models[1:])
    )
    view = evil._repr_html_()
    assert "<script>" not in view and "&lt;script&gt;" in view
