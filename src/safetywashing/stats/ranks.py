"""Ranks with ties averaged, ignoring missing values."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def rank_average(values: npt.ArrayLike) -> FloatArray:
    """Rank a 1-D array from 1, giving tied values the mean of their ranks.

    Missing values (NaN) keep NaN and are not counted. Equal to
    ``scipy.stats.rankdata(values, method="average", nan_policy="omit")`` but without
    importing scipy.stats, which alone costs about a second of start-up here.

    Parameters
    ----------
    values : array_like of shape (n,)

    Returns
    -------
    ndarray of shape (n,)
        Ranks in 1..m where m is the number of non-missing values; NaN where missing.

    Examples
    --------
    >>> rank_average([10.0, 30.0, 20.0, 20.0]).tolist()
    [1.0, 4.0, 2.5, 2.5]
    """
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"rank_average expects a 1-D array; got shape {array.shape}.")
    ranks = np.full(array.shape, np.nan)
    present = ~np.isnan(array)
    observed = array[present]
    if observed.size == 0:
        return ranks
    order = np.argsort(observed, kind="mergesort")
    sorted_values = observed[order]
    new_group = np.empty(sorted_values.size, dtype=bool)
    new_group[0] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=new_group[1:])
    group_of_sorted = np.cumsum(new_group) - 1
    starts = np.flatnonzero(new_group)
    ends = np.append(starts[1:], sorted_values.size)
    mean_rank = (starts + ends + 1) / 2.0
    observed_ranks = np.empty(observed.size)
    observed_ranks[order] = mean_rank[group_of_sorted]
    ranks[present] = observed_ranks
    return ranks


def rank_columns(matrix: npt.ArrayLike) -> FloatArray:
    """Apply :func:`rank_average` to every column of a 2-D array.

    Parameters
    ----------
    matrix : array_like of shape (n, k)

    Returns
    -------
    ndarray of shape (n, k)
    """
    array = np.asarray(matrix, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"rank_columns expects a 2-D array; got shape {array.shape}.")
    out = np.empty_like(array)
    for j in range(array.shape[1]):
        out[:, j] = rank_average(array[:, j])
    return out
