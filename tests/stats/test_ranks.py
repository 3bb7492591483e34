"""Ranks: agree with scipy.stats.rankdata (average ties, NaN omitted)."""

from __future__ import annotations

import numpy as np
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from safetywashing.stats.ranks import rank_average, rank_columns

small_floats = st.sampled_from([0.0, 1.0, 2.0, 2.5, -3.0, np.nan])


@given(arrays(np.float64, st.integers(0, 30), elements=small_floats))
def test_rank_average_matches_scipy_with_ties_and_gaps(values: np.ndarray) -> None:
    expected = scipy.stats.rankdata(values, method="average", nan_policy="omit")
    np.testing.assert_array_equal(rank_average(values), expected)


def test_rank_average_example() -> None:
    # Hand computation: 10 < 20 = 20 < 30 -> ranks 1, 2.5, 2.5, 4.
    assert rank_average([10.0, 30.0, 20.0, 20.0]).tolist() == [1.0, 4.0, 2.5, 2.5]


@given(arrays(np.float64, (12, 4), elements=small_floats))
def test_rank_columns_ranks_each_column(matrix: np.ndarray) -> None:
    ranked = rank_columns(matrix)
    for j in range(matrix.shape[1]):
        np.testing.assert_array_equal(ranked[:, j], rank_average(matrix[:, j]))
