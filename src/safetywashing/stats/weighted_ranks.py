"""Average ranks of weighted samples: a bootstrap resample's ranks from its counts.

A bootstrap resample over ``n`` models is a vector of counts ``c`` (how often each
original model is drawn). In the sample in which model ``i`` appears ``c_i`` times, a
model with value ``x_i`` is tied with its own copies and with every model of equal
value, so its average rank ("mid-rank") is::

    rank_i = sum_k w_k [x_k < x_i] + (sum_k w_k [x_k == x_i] + 1) / 2

with ``w_k = c_k`` for models retained in the pair and 0 for missing cells. This is
exactly the rank that ``scipy.stats.rankdata(method="average")`` gives every copy of
model ``i`` in ``numpy.repeat(x, c)``, and it is computed two ways:

- **operators** (:func:`rank_operator`): for a fixed column the rank is linear in the
  counts, ``rank = c @ M + 1/2`` with ``M[k, i] = [x_k < x_i] + [x_k == x_i] / 2``, so
  the ranks of a whole batch of resamples and columns are one matrix product. The
  operator holds ``n * n`` numbers per column.
- **cumulative sums** (:func:`sorted_order`, :func:`cumulative_ranks`,
  :func:`resample_ranks`): along the column's ascending order, the weights below a
  value plus half those tied with it are one cumulative sum of the counts, O(n) per
  column and resample, in O(n) memory per column.

The counts are whole numbers, so both give the same exact multiples of 1/2. They are
written by hand because no library ranks with weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from safetywashing.stats.ranks import run_bounds

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def rank_operator(values: FloatArray, retained: BoolArray) -> FloatArray:
    """The matrix that turns counts into weighted average ranks of fixed columns.

    Parameters
    ----------
    values : ndarray of shape (n, J)
        Columns to rank; entries outside ``retained`` are ignored.
    retained : ndarray of bool of shape (n,) or (n, J)
        Models that take part in each column's ranking.

    Returns
    -------
    ndarray of shape (n, n * J)
        ``counts @ operator + 0.5 * retained`` (reshaped to ``(B, n, J)``) are the
        average ranks of each retained model in each resample, and 0 elsewhere.

    Examples
    --------
    >>> operator = rank_operator(np.array([[2.0], [1.0], [2.0]]), np.ones(3, dtype=bool))
    >>> (np.array([[1.0, 1.0, 1.0]]) @ operator + 0.5).tolist()
    [[2.5, 1.0, 2.5]]
    """
    x = np.where(np.isnan(values), 0.0, values)
    keep = np.broadcast_to(retained if retained.ndim == 2 else retained[:, None], x.shape)
    below = (x[:, None, :] < x[None, :, :]).astype(np.float64)
    below += 0.5 * (x[:, None, :] == x[None, :, :])
    below *= keep[:, None, :] & keep[None, :, :]
    return np.ascontiguousarray(below.reshape(x.shape[0], -1))


@dataclass(frozen=True)
class SortedOrder:
    """Rows' ascending orders and runs of ties, from :func:`sorted_order`.

    ``order[j]`` sorts row ``j``; ``start[j, p]`` and ``end[j, p]`` bound the run of
    values equal to the one at sorted position ``p`` (one past its last).
    """

    order: IntArray  # (J, n)
    start: IntArray  # (J, n)
    end: IntArray  # (J, n)


def sorted_order(rows: FloatArray) -> SortedOrder:
    """The ascending order of every row of a 2-D array and its runs of ties."""
    order = np.argsort(rows, axis=1, kind="stable")
    start, end = run_bounds(np.take_along_axis(rows, order, axis=1))
    return SortedOrder(order=order, start=start, end=end)


def column_order(values: FloatArray) -> SortedOrder:
    """:func:`sorted_order` of the columns of ``values`` (n, J), missing cells as 0.

    The missing cells' ranks are meaningless; the weights of the models left out of a
    column are 0, so they count for nothing in the others' ranks.
    """
    return sorted_order(np.ascontiguousarray(np.where(np.isnan(values), 0.0, values).T))


def cumulative_ranks(weights: FloatArray, order: SortedOrder, column: int) -> FloatArray:
    """``weights @ rank_operator(column) + 0.5`` for one fixed column, by one cumulative sum.

    Parameters
    ----------
    weights : ndarray of shape (B, n)
        Counts, 0 for the models left out.
    order : SortedOrder
        :func:`column_order` of the fixed columns.
    column : int
        Which of them.

    Returns
    -------
    ndarray of shape (B, n)
        The weights below each model's value plus half those tied with it, plus 1/2.
    """
    sort = order.order[column]
    totals = np.zeros((weights.shape[0], weights.shape[1] + 1))
    np.cumsum(weights[:, sort], axis=1, out=totals[:, 1:])
    ranks = np.empty(weights.shape)
    ranks[:, sort] = (totals[:, order.start[column]] + totals[:, order.end[column]]) / 2.0 + 0.5
    return ranks


def resample_ranks(weights: FloatArray, order: SortedOrder) -> FloatArray:
    """As :func:`cumulative_ranks` for values that differ per resample.

    Parameters
    ----------
    weights : ndarray of shape (B, n)
    order : SortedOrder
        Row ``b`` sorts resample ``b``'s values (:func:`sorted_order` of a (B, n) array).

    Returns
    -------
    ndarray of shape (B, n)
    """
    sorted_weights = np.take_along_axis(weights, order.order, axis=1)
    totals = np.zeros((weights.shape[0], weights.shape[1] + 1))
    np.cumsum(sorted_weights, axis=1, out=totals[:, 1:])
    below = np.take_along_axis(totals, order.start, axis=1)
    upto = np.take_along_axis(totals, order.end, axis=1)
    ranks = np.empty(weights.shape)
    np.put_along_axis(ranks, order.order, (below + upto) / 2.0 + 0.5, axis=1)
    return ranks
