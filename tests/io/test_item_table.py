"""Item tables: the long form and the dense matrix agree, whatever is missing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from safetywashing.core.errors import InputError
from safetywashing.items.table import item_matrix, read_item_matrix, write_item_table

cells = st.sampled_from([0.0, 1.0, 0.5, np.nan])


def _long(values: np.ndarray) -> pd.DataFrame:
    rows = [
        {"model": f"m{i}", "benchmark": "b", "item": f"q{j}", "score": values[i, j],
         "category": "odd" if j % 2 else "even"}
        for i in range(values.shape[0])
        for j in range(values.shape[1])
        if not np.isnan(values[i, j])
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["model", "benchmark", "item", "score", "category"])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 7)), elements=cells))
def test_parquet_csv_and_frame_give_the_same_matrix(values: np.ndarray, tmp_path: Path) -> None:
    frame = _long(values)
    if frame.empty:
        return
    folder = tmp_path / f"t{abs(hash(values.tobytes()))}"
    write_item_table(frame, folder / "items", force=True)
    write_item_table(frame, folder / "items.csv", force=True)
    direct = item_matrix(frame)
    for other in (read_item_matrix(folder / "items"), read_item_matrix(folder / "items.csv")):
        assert other.model_ids == direct.model_ids
        assert other.item_ids == direct.item_ids
        assert other.categories == direct.categories
        np.testing.assert_array_equal(other.values, direct.values)
    # Every present cell lands where the long table put it (independent of the reader).
    for row in frame.itertuples(index=False):
        i = direct.model_ids.index(row.model)
        j = direct.item_ids.index(row.item)
        assert direct.values[i, j] == row.score
    assert (
        sum(c for _, c in direct.coverage())
        + np.sum(~np.isnan(direct.values).any(axis=1) * len(direct.item_ids))
        >= 0
    )


def test_a_repeated_model_and_item_is_refused(tmp_path: Path) -> None:
    frame = _long(np.ones((2, 2)))
    doubled = pd.concat([frame, frame.iloc[:1]], ignore_index=True)
    with pytest.raises(InputError, match="more than once"):
        item_matrix(doubled)
    write_item_table(doubled, tmp_path / "items")
    with pytest.raises(InputError, match="more than once"):
        read_item_matrix(tmp_path / "items")


def test_several_benchmarks_need_a_name(tmp_path: Path) -> None:
    frame = pd.concat([_long(np.ones((2, 2))), _long(np.zeros((2, 3))).assign(benchmark="c")])
    write_item_table(frame, tmp_path / "items")
    with pytest.raises(InputError, match="holds 2 benchmarks"):
        read_item_matrix(tmp_path / "items")
    assert read_item_matrix(tmp_path / "items", "c").values.shape == (2, 3)
    with pytest.raises(InputError, match="benchmark='x' is not in"):
        read_item_matrix(tmp_path / "items", "x")


def test_a_non_numeric_score_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("model,benchmark,item,score\na,b,1,0\na,b,2,yes\n")
    with pytest.raises(InputError, match="row 3"):
        read_item_matrix(path)


def test_items_and_models_are_in_natural_order() -> None:
    from safetywashing.items.table import natural_key

    frame = pd.DataFrame(
        {"model": ["m10", "m2", "m10", "m2"], "benchmark": "b", "item": ["10", "9", "9", "10"],
         "score": [1.0, 0.0, 0.0, 1.0]}
    )  # fmt: skip
    matrix = item_matrix(frame)
    assert matrix.model_ids == ("m2", "m10") and matrix.item_ids == ("9", "10")
    assert matrix.values.tolist() == [[0.0, 1.0], [0.0, 1.0]]
    assert sorted(["q10", "q2", "q1b"], key=natural_key) == ["q1b", "q2", "q10"]
