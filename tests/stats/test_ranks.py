"""Ranks: agree with scipy.stats.rankdata (average ties, NaN omitted)."""

from __future__ import annotations

import numpy as np
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from safetywashing.stats.ranks import (
    rank_average,
    rank_columns,
    rank_rows_where,
    rank_subset,
    sorted_runs,
)

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


@given(
    arrays(np.float64, (5, 9), elements=small_floats),
    arrays(np.bool_, (5, 9), elements=st.booleans()),
)
def test_rank_rows_where_ranks_each_row_over_its_own_subset(
    matrix: np.ndarray, subset: np.ndarray
) -> None:
    kept = subset & ~np.isnan(matrix)
    ranked = rank_rows_where(matrix, kept)
    for i in range(matrix.shape[0]):
        expected = scipy.stats.rankdata(matrix[i, kept[i]], method="average")
        np.testing.assert_array_equal(ranked[i, kept[i]], expected)
        assert np.isnan(ranked[i, ~kept[i]]).all()


@given(
    arrays(np.float64, st.integers(0, 30), elements=small_floats | st.just(np.inf)),
    arrays(np.bool_, 30, elements=st.booleans()),
)
def test_rank_subset_ranks_a_vector_over_any_subset(values: np.ndarray, subset: np.ndarray) -> None:
    # One sort for every subset; each subset's ranks against scipy's on that subset alone
    # (ties, gaps, +inf beside NaN, empty subsets).
    runs = sorted_runs(values)
    for kept in (subset[: values.size], ~subset[: values.size], np.ones(values.size, bool)):
        kept = kept & ~np.isnan(values)
        ranks = rank_subset(runs, kept, np.flatnonzero(kept))
        expected = scipy.stats.rankdata(values[kept], method="average")
        np.testing.assert_array_equal(ranks, expected)


def test_snap_ties_makes_last_bit_neighbours_one_tie_and_keeps_the_rest() -> None:
    from safetywashing.stats.ranks import rank_average, snap_ties

    values = np.array([0.3, 0.1 + 0.2, 0.5, np.nan, -1.0, -1.0 + 1e-16])
    snapped = snap_ties(values)
    assert snapped[0] == snapped[1] and snapped[4] == snapped[5]
    assert np.isnan(snapped[3]) and snapped[2] == 0.5
    # The ranks of snapped values are the ranks of the exact ties (scipy's "average").
    assert rank_average(snapped[~np.isnan(snapped)]).tolist() == [3.5, 3.5, 5.0, 1.5, 1.5]
    # Values apart by more than the tolerance are untouched.
    spread = np.linspace(-3, 3, 50)
    assert np.array_equal(snap_ties(spread), spread)
