"""Kendall's tau-b in O(n log n) time and O(n) memory (Knight's algorithm).

Knight (1966, JASA 61:436) counts the pairs of a sample without comparing them one by
one. Sort the pairs by x, then by y within ties of x: a pair of observations is then
discordant exactly when their y values stand in the wrong order (an *inversion*), and
pairs tied in x come in ascending y, so they are never counted. With

- ``n0 = n (n - 1) / 2`` pairs in all,
- ``n1``, ``n2`` pairs tied in x, in y, and ``n3`` pairs tied in both,
- ``d`` the inversions of y in that order (strict: equal values are no inversion),

tau-b is ``(n0 - n1 - n2 + n3 - 2 d) / sqrt((n0 - n1) (n0 - n2))``. Every count is an
integer, so the numerator and the product under the root are exact: the coefficient is
the one the pairwise definition gives, to the last bit while ``(n0 - n1) (n0 - n2)`` is
below 2**53 (about 13,000 observations), and within a rounding of it beyond.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def kendall_tau_b(x: FloatArray, y: FloatArray) -> float:
    """Kendall's tau-b of two complete 1-D arrays of equal length.

    Parameters
    ----------
    x, y : ndarray of shape (n,)
        No missing values (:func:`.correlation.correlation` drops incomplete pairs
        first). Equal infinities are tied, as in ``scipy.stats.kendalltau``.

    Returns
    -------
    float
        tau-b in [-1, 1]; NaN with fewer than 2 values, a constant side or a NaN.

    Examples
    --------
    >>> kendall_tau_b(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 3.0, 2.0, 4.0]))
    0.6666666666666666
    """
    n = x.size
    if n < 2 or np.isnan(x).any() or np.isnan(y).any():
        return float("nan")
    order = np.lexsort((y, x))  # by x, ties of x by y
    xs = x[order]
    ys = y[order]
    x_starts = run_starts(xs)
    tied_x = tied_pairs(x_starts)
    tied_both = tied_pairs(x_starts | run_starts(ys))
    ranks, tied_y = dense_ranks(ys)
    pairs = n * (n - 1) // 2
    untied_x = pairs - tied_x
    untied_y = pairs - tied_y
    if untied_x == 0 or untied_y == 0:
        return float("nan")
    numerator = pairs - tied_x - tied_y + tied_both - 2 * inversions(ranks)
    # Python integers: the product passes 2**63 beyond about 55,000 observations.
    tau = float(numerator) / math.sqrt(float(untied_x * untied_y))
    return min(1.0, max(-1.0, tau))


def run_starts(values: FloatArray) -> BoolArray:
    """Where a run of equal values starts in a 1-D array (the first entry always does)."""
    starts = np.empty(values.size, dtype=bool)
    starts[:1] = True
    np.not_equal(values[1:], values[:-1], out=starts[1:])
    return starts


def tied_pairs(starts: BoolArray) -> int:
    """Pairs within the same run, given where the runs start: sum of t (t - 1) / 2."""
    first = np.flatnonzero(starts)
    lengths = np.diff(first, append=starts.size).astype(np.int64)
    return int((lengths * (lengths - 1) // 2).sum())


def dense_ranks(values: FloatArray) -> tuple[IntArray, int]:
    """Ranks 0, 1, ... of the distinct values of a 1-D array, and the pairs tied in it.

    Examples
    --------
    >>> ranks, tied = dense_ranks(np.array([2.5, 1.0, 2.5, 7.0]))
    >>> ranks.tolist(), tied
    ([1, 0, 1, 2], 1)
    """
    order = np.argsort(values, kind="stable")
    starts = run_starts(values[order])
    ranks = np.empty(values.size, dtype=np.int64)
    ranks[order] = np.cumsum(starts) - 1
    return ranks, tied_pairs(starts)


def inversions(ranks: IntArray) -> int:
    """Pairs ``i < j`` with ``ranks[i] > ranks[j]``, in O(n log n) time and O(n) memory.

    Parameters
    ----------
    ranks : ndarray of int, shape (n,)
        Non-negative; equal ranks are no inversion.

    Returns
    -------
    int

    Notes
    -----
    numpy has neither an inversion count nor a merge that counts, so this is written
    by hand, as a most-significant-bit-first radix sort in whole-array steps (one pass
    of a few O(n) numpy operations per bit, no Python loop over elements). Two ranks
    first differ at one bit; above it they share a prefix. After the bits above ``b``
    have been sorted on (stably), each prefix is a contiguous group still in the
    original order, and the inverted pairs that first differ at bit ``b`` are, within a
    group, an entry with the bit set before an entry without it. Counting those, then
    moving each group's zeros ahead of its ones (stably), and going on to the next bit
    counts every inversion exactly once.

    Examples
    --------
    >>> inversions(np.array([3, 1, 2, 2, 0]))
    7
    """
    current = np.asarray(ranks, dtype=np.int64)
    n = current.size
    if n < 2:
        return 0
    positions = np.arange(n, dtype=np.int64)
    group_start = np.zeros(n, dtype=np.int64)  # one group: no bit sorted on yet
    total = 0
    for bit in range(int(current.max()).bit_length() - 1, -1, -1):
        ones = (current >> bit) & 1
        ones_before = np.cumsum(ones) - ones  # entries with the bit set before each
        ones_ahead = ones_before - ones_before[group_start]  # ... within its group
        zero = ones == 0
        total += int(ones_ahead[zero].sum())
        # The stable partition: a group's zeros keep their order, then its ones theirs.
        zeros_in_group = np.bincount(group_start[zero], minlength=n)
        target = np.where(
            zero,
            positions - ones_ahead,
            group_start + zeros_in_group[group_start] + ones_ahead,
        )
        # Each group splits into its zeros and its ones: the ones start a new group.
        new_start = np.where(zero, group_start, group_start + zeros_in_group[group_start])
        moved = np.empty_like(current)
        moved[target] = current
        starts = np.empty_like(group_start)
        starts[target] = new_start
        current, group_start = moved, starts
    return total
