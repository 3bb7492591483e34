"""Ranks with ties averaged, ignoring missing values."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
IntpArray = npt.NDArray[np.intp]


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
    start, end = run_bounds(observed[order])
    observed_ranks = np.empty(observed.size)
    observed_ranks[order] = (start + end + 1) / 2.0
    ranks[present] = observed_ranks
    return ranks


def run_bounds(sorted_values: FloatArray) -> tuple[IntArray, IntArray]:
    """Where each entry's run of equal values starts and ends, along the last axis.

    Parameters
    ----------
    sorted_values : ndarray of shape (..., n)
        Each row in ascending order (NaN entries each make a run of their own).

    Returns
    -------
    start, end : ndarray of int, shape (..., n)
        The first position of each entry's run, and one past its last: the run's
        average rank from 1 is ``(start + end + 1) / 2``.

    Examples
    --------
    >>> start, end = run_bounds(np.array([1.0, 2.0, 2.0, 5.0]))
    >>> start.tolist(), end.tolist()
    ([0, 1, 1, 3], [1, 3, 3, 4])
    """
    shape = sorted_values.shape
    n = shape[-1]
    new = np.empty(shape, dtype=bool)
    new[..., :1] = True
    np.not_equal(sorted_values[..., 1:], sorted_values[..., :-1], out=new[..., 1:])
    # Over the rows laid end to end: a run never crosses a row, as each row starts one.
    starts = np.flatnonzero(new)
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:]
    ends[-1:] = new.size
    row_start = starts // max(n, 1) * n
    lengths = ends - starts
    start = np.repeat(starts - row_start, lengths).reshape(shape)
    end = np.repeat(ends - row_start, lengths).reshape(shape)
    return start.astype(np.int64, copy=False), end.astype(np.int64, copy=False)


def rank_columns(matrix: npt.ArrayLike) -> FloatArray:
    """Apply :func:`rank_average` to every column of a 2-D array.

    Parameters
    ----------
    matrix : array_like of shape (n, k)

    Returns
    -------
    ndarray of shape (n, k)
        The same values as :func:`rank_average` column by column, computed for all
        columns at once.
    """
    array = np.asarray(matrix, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"rank_columns expects a 2-D array; got shape {array.shape}.")
    out = np.empty(array.shape[::-1]).T  # column-major, like the chunks written into it
    for columns in column_chunks(array.shape[0], array.shape[1]):
        block = np.ascontiguousarray(array[:, columns].T)
        out[:, columns] = rank_rows_where(block, ~np.isnan(block)).T
    return out


#: Elements per chunk of the whole-matrix rank kernels: bounds their temporaries (about
#: ten arrays of this many 8-byte elements, 20 MB) whatever the panel's size.
CHUNK_ELEMENTS = 1 << 18


def column_chunks(n_rows: int, n_columns: int) -> list[slice]:
    """Slices of columns holding about :data:`CHUNK_ELEMENTS` cells each."""
    step = max(1, CHUNK_ELEMENTS // max(n_rows, 1))
    return [slice(start, min(start + step, n_columns)) for start in range(0, n_columns, step)]


# The kernels below rank many vectors at once, each over its own subset of entries (the
# rows a pairwise-complete correlation keeps). They are written by hand because neither
# numpy nor scipy ranks a subset without first copying it out, one vector at a time: one
# sort per vector, then the ranks of the kept entries come from cumulative counts along
# the sorted order (O(n) per vector, no Python loop over vectors or cells). The ranks
# are integers and half-integers computed exactly, so they equal rank_average's bit for
# bit.


def ranks_from_sorted(sorted_values: FloatArray, kept_sorted: npt.NDArray[np.bool_]) -> FloatArray:
    """Average ranks among kept entries, given rows already in ascending order.

    Parameters
    ----------
    sorted_values : ndarray of shape (k, n) or (1, n)
        Each row in ascending order. One row is shared by all rows of ``kept_sorted``.
    kept_sorted : ndarray of bool, shape (k, n)
        Which entries count, in the same order; a kept entry is never NaN.

    Returns
    -------
    ndarray of shape (k, n)
        At each kept position, its rank from 1 among the kept entries of its row, ties
        averaged; meaningless elsewhere.
    """
    k, n = kept_sorted.shape
    if k == 0 or n == 0:
        return np.zeros((k, n))
    # Runs of equal values, over the rows laid end to end (a run never crosses a row).
    new_run = np.empty((sorted_values.shape[0], n), dtype=bool)
    new_run[:, 0] = True
    np.not_equal(sorted_values[:, 1:], sorted_values[:, :-1], out=new_run[:, 1:])
    if new_run.all():  # no ties: a kept entry's rank is the count of kept entries so far
        return np.cumsum(kept_sorted, axis=1, dtype=np.int64).astype(np.float64)
    if new_run.shape[0] != k:
        new_run = np.broadcast_to(new_run, (k, n))
    starts = np.flatnonzero(new_run)
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:]
    ends[-1] = k * n
    # Kept entries before each position, counted from the start of the whole block; the
    # kept entries of a run rank before+1..after within their row.
    counts = np.zeros(k * n + 1, dtype=np.int64)
    np.cumsum(kept_sorted, out=counts[1:])
    row_offset = counts[(starts // n) * n]
    mean_rank = (counts[starts] + counts[ends] + 1) / 2.0 - row_offset
    return np.repeat(mean_rank, ends - starts).reshape(k, n)


def rank_rows_where(values: FloatArray, kept: npt.NDArray[np.bool_]) -> FloatArray:
    """Rank every row of ``values`` among its own kept entries.

    Parameters
    ----------
    values : ndarray of shape (k, n)
    kept : ndarray of bool, shape (k, n)
        Entries to rank; must be False where ``values`` is NaN.

    Returns
    -------
    ndarray of shape (k, n)
        Row ``i`` equals ``rank_average`` of ``values[i, kept[i]]`` at the kept
        positions; NaN elsewhere.

    Examples
    --------
    >>> values = np.array([[10.0, 30.0, 20.0, 20.0]])
    >>> rank_rows_where(values, np.array([[True, True, True, False]])).tolist()
    [[1.0, 3.0, 2.0, nan]]
    """
    # Any sort will do: tied values get the same average rank whatever their order. Left
    # out entries become +inf (numpy's vectorized sort is several times slower on rows
    # with NaN); they count for nothing below, so a run they share with a kept +inf
    # still ranks the kept entries right.
    filled = np.where(kept, values, np.inf)
    flat_order = np.argsort(filled, axis=1)
    flat_order += (np.arange(filled.shape[0]) * filled.shape[1])[:, None]
    sorted_values = np.take(filled, flat_order)
    kept_sorted = np.take(kept, flat_order)
    ranks = np.where(kept_sorted, ranks_from_sorted(sorted_values, kept_sorted), np.nan)
    out = np.empty(values.shape)
    np.put(out, flat_order, ranks)
    return out


# One vector ranked over many subsets of its entries (the pairwise-complete rows of each
# correlation of a benchmark column with a reference), one vector at a time: the vector
# is sorted once, and each subset then costs a few O(n) passes over arrays that stay in
# the processor's cache. Like the kernels above this is hand code, for the same reason;
# ties are rare in scores, so only the entries of tied runs get the averaging step.


@dataclass(frozen=True)
class SortedRuns:
    """A vector's ascending order and its runs of tied values, from :func:`sorted_runs`."""

    #: ndarray of int, shape (n,): Positions in ascending order of value, missing (NaN) entries
    #: last.
    order: IntpArray
    #: ndarray of int, shape (n,): Where each entry stands in that order (``order[inverse] ==
    #: arange(n)``).
    inverse: IntpArray
    #: Positions in that order that lie in a run of two or more equal present values.
    tied: IntpArray
    #: tied_start, tied_end: The first position of each one's run, and one past its last.
    tied_start: IntpArray
    tied_end: IntpArray


def column_orders(block: FloatArray) -> IntpArray:
    """The ascending order of every column of a 2-D array, NaN last, in one sort.

    Parameters
    ----------
    block : ndarray of shape (n, c)

    Returns
    -------
    ndarray of int, shape (c, n)
        Row ``j`` orders column ``j``: the ``order`` :func:`sorted_runs` takes (it sorts
        again a column that has +inf, which this order may put after a NaN).
    """
    # numpy's sort is several times slower on arrays with NaN than with +inf.
    filled = np.where(np.isnan(block), np.inf, block).T
    return np.argsort(filled, axis=1)


def sorted_runs(values: FloatArray, *, order: IntpArray | None = None) -> SortedRuns:
    """Sort a 1-D array once, for :func:`rank_subset` over any number of subsets.

    Parameters
    ----------
    values : ndarray of shape (n,)
        NaN marks a missing value (never part of a subset).
    order : ndarray of int, shape (n,), optional
        Its ascending order with NaN as +inf (a row of :func:`column_orders`), when it is
        already known.

    Returns
    -------
    SortedRuns
    """
    present = ~np.isnan(values)
    n_present = int(np.count_nonzero(present))
    if order is None:
        order = np.argsort(np.where(present, values, np.inf))
    in_order = values.take(order[:n_present])
    if n_present and not -np.inf < in_order[-1] < np.inf:
        # A present +inf: sorted among the NaN (as +inf), a NaN may come before it.
        order = np.argsort(values, kind="stable")  # NaN after +inf
        in_order = values.take(order[:n_present])
    inverse = np.empty(order.size, dtype=np.intp)
    inverse[order] = np.arange(order.size)
    # boundary[p]: a run of equal values starts at p (and at n_present, past the last).
    boundary = np.empty(n_present + 1, dtype=bool)
    boundary[0] = boundary[-1] = True
    np.not_equal(in_order[1:], in_order[:-1], out=boundary[1:-1])
    # A position is tied unless a run both starts there and at the next position; the
    # tied positions come run by run, each run starting where boundary is set.
    tied = np.flatnonzero(~(boundary[:-1] & boundary[1:]))
    first = boundary[tied]
    run_first = np.flatnonzero(first)  # where in ``tied`` each run starts
    starts = tied[run_first]
    ends = starts + np.diff(run_first, append=tied.size)
    run = np.cumsum(first) - 1
    return SortedRuns(order, inverse, tied, starts[run], ends[run])


def rank_subset(runs: SortedRuns, kept: npt.NDArray[np.bool_], positions: IntpArray) -> FloatArray:
    """Rank the entries of a sorted vector among a subset of them, ties averaged.

    Parameters
    ----------
    runs : SortedRuns
        ``sorted_runs(values)``.
    kept : ndarray of bool, shape (n,)
        The subset; must be False where ``values`` is NaN.
    positions : ndarray of int, shape (m,)
        Positions of kept entries (``np.flatnonzero(kept)`` for all of them).

    Returns
    -------
    ndarray of shape (m,)
        The rank of each of those entries among ``values[kept]``, as
        :func:`rank_average` gives it: ``rank_average(values[kept])`` for all of them.

    Examples
    --------
    >>> values = np.array([10.0, 30.0, 20.0, 20.0, np.nan])
    >>> kept = np.array([True, True, True, False, False])
    >>> rank_subset(sorted_runs(values), kept, np.flatnonzero(kept)).tolist()
    [1.0, 3.0, 2.0]
    """
    kept_sorted = kept[runs.order]
    # Kept entries up to each position in sorted order: a kept entry's rank when it has
    # no tie. An entry in a run of ties ranks (before + through + 1) / 2, where before and
    # through count the kept entries before its run and up to its end (as rank_average:
    # integers and halves, exact).
    counts = np.empty(kept_sorted.size + 1, dtype=np.intp)
    counts[0] = 0
    np.cumsum(kept_sorted, out=counts[1:])
    ranks = counts[1:].astype(np.float64)
    if runs.tied.size:
        ranks[runs.tied] = (counts[runs.tied_start] + counts[runs.tied_end] + 1) / 2.0
    return ranks.take(runs.inverse.take(positions))


#: Values closer than this, relative to the largest magnitude, are one tie (see snap_ties).
TIE_RTOL = 1e-12


def snap_ties(values: npt.ArrayLike, *, rtol: float = TIE_RTOL) -> FloatArray:
    """``values`` with near-equal entries made equal, so that their ranks are a tie.

    Two models with the same capability scores get scores that differ in the last bits
    depending on the order the dot product adds them (the order of the columns), and a
    rank correlation would then depend on the order of the file's columns. Entries that
    differ by at most ``rtol`` times the largest magnitude, in sorted order, take the
    smallest of their run; NaN stays NaN.

    Examples
    --------
    >>> snap_ties([0.3, 0.1 + 0.2, 0.5, float("nan")]).tolist()
    [0.3, 0.3, 0.5, nan]
    """
    out = np.array(values, dtype=np.float64)
    finite = np.isfinite(out)
    present = out[finite]
    if present.size < 2:
        return out
    order = np.argsort(present, kind="stable")
    ordered = present[order]
    scale = float(np.max(np.abs(ordered))) or 1.0
    starts = np.concatenate(([True], np.diff(ordered) > rtol * scale))
    first = np.flatnonzero(starts)
    snapped = np.empty_like(present)
    snapped[order] = ordered[first[np.cumsum(starts) - 1]]
    out[finite] = snapped
    return out
