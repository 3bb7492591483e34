"""Correlation coefficients with pairwise deletion of missing values."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from safetywashing.stats.kendall import kendall_tau_b
from safetywashing.stats.ranks import (
    column_chunks,
    column_orders,
    rank_average,
    rank_columns,
    rank_subset,
    sorted_runs,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
IntpArray = npt.NDArray[np.intp]
CorrelationMethod = Literal["spearman", "pearson", "kendall"]
CORRELATION_METHODS: tuple[CorrelationMethod, ...] = ("spearman", "pearson", "kendall")


def pearson(x: FloatArray, y: FloatArray) -> float:
    """Pearson correlation of two complete 1-D arrays of equal length.

    Returns NaN when either array is constant or has fewer than 2 values.
    """
    if x.size < 2:
        return float("nan")
    # Test constancy exactly: the centred values of a constant column are not always
    # exactly zero in floating point, which would give a spurious +-1.
    if x.min() == x.max() or y.min() == y.max():
        return float("nan")
    dx = x - x.mean()
    dy = y - y.mean()
    dot = np.dot if x.size <= BLAS_SERIAL_DOT else _serial_dot
    denominator = np.sqrt(dot(dx, dx) * dot(dy, dy))
    if denominator == 0.0 or not np.isfinite(denominator):
        return float("nan")
    return float(np.clip(dot(dx, dy) / denominator, -1.0, 1.0))


#: OpenBLAS computes a dot product of up to this many entries on one thread, and splits
#: longer ones across its threads: the result then depends on the thread count, and on a
#: busy machine its waiting threads spin (100,000 models: twice the CPU time and up to
#: three times the wall time of the whole correlation step). Longer vectors are summed
#: by numpy itself instead, pairwise on one thread; shorter ones keep BLAS's dot, so
#: panels of up to 10,000 models give the same bits as before.
BLAS_SERIAL_DOT = 10_000


def _serial_dot(a: FloatArray, b: FloatArray) -> float:
    return float(np.multiply(a, b).sum())


def correlation(
    x: npt.ArrayLike, y: npt.ArrayLike, method: CorrelationMethod = "spearman"
) -> tuple[float, int]:
    """Correlation of two 1-D arrays over the positions where both are present.

    Parameters
    ----------
    x, y : array_like of shape (n,)
        NaN marks a missing value; a pair with either value missing is left out.
    method : {"spearman", "pearson", "kendall"}
        Spearman ranks the *retained* pairs (so ranks are recomputed after deletion).

    Returns
    -------
    r : float
        The coefficient, NaN when fewer than 3 pairs remain or a side is constant.
    n : int
        Number of pairs used.

    Examples
    --------
    >>> correlation([1.0, 2.0, 3.0, float("nan")], [1.0, 4.0, 9.0, 2.0])
    (1.0, 3)
    """
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    if xa.shape != ya.shape or xa.ndim != 1:
        raise ValueError(
            f"correlation expects two 1-D arrays of equal length; got {xa.shape}, {ya.shape}."
        )
    keep = ~(np.isnan(xa) | np.isnan(ya))
    n = int(keep.sum())
    if n < 3:
        return float("nan"), n
    xs = xa[keep]
    ys = ya[keep]
    if method == "spearman":
        return pearson(rank_average(xs), rank_average(ys)), n
    if method == "pearson":
        return pearson(xs, ys), n
    if method == "kendall":
        return kendall_tau_b(xs, ys), n
    raise ValueError(f"Unknown correlation method {method!r}; use one of {CORRELATION_METHODS}.")


def correlate_columns(
    reference: npt.ArrayLike, matrix: npt.ArrayLike, method: CorrelationMethod = "spearman"
) -> tuple[FloatArray, IntArray]:
    """Correlate one reference vector with every column of a matrix, pairwise-complete.

    Parameters
    ----------
    reference : array_like of shape (n,)
    matrix : array_like of shape (n, k)
    method : {"spearman", "pearson", "kendall"}

    Returns
    -------
    r : ndarray of shape (k,)
    n : ndarray of shape (k,)
        Pairs used per column.
    """
    ((r, n),) = correlate_columns_each([reference], matrix, method)
    return r, n


def correlate_columns_each(
    references: Sequence[npt.ArrayLike],
    matrix: npt.ArrayLike,
    method: CorrelationMethod = "spearman",
) -> list[tuple[FloatArray, IntArray]]:
    """:func:`correlate_columns` for several reference vectors, reading the matrix once.

    Each column is sorted once for all the references (the audit correlates every
    benchmark with the capability score and with compute).

    Parameters
    ----------
    references : sequence of array_like of shape (n,)
    matrix : array_like of shape (n, k)
    method : {"spearman", "pearson", "kendall"}

    Returns
    -------
    list of (r, n)
        Per reference, as :func:`correlate_columns` returns them.
    """
    refs = [np.asarray(reference, dtype=np.float64) for reference in references]
    mat = np.asarray(matrix, dtype=np.float64)
    if mat.ndim != 2 or any(ref.ndim != 1 or ref.shape[0] != mat.shape[0] for ref in refs):
        raise ValueError(
            "correlate_columns expects shapes (n,) and (n, k); got "
            f"{', '.join(str(ref.shape) for ref in refs)} and {mat.shape}."
        )
    if method == "spearman":
        return _spearman_columns(refs, mat)
    results = []
    for ref in refs:
        k = mat.shape[1]
        r = np.full(k, np.nan)
        n = np.zeros(k, dtype=np.int64)
        for j in range(k):
            r[j], n[j] = correlation(ref, mat[:, j], method)
        results.append((r, n))
    return results


def _spearman_columns(refs: list[FloatArray], mat: FloatArray) -> list[tuple[FloatArray, IntArray]]:
    """:func:`correlation` (Spearman) of each reference with every column, bit for bit.

    Each reference and each column is sorted once (:func:`.ranks.sorted_runs`); the ranks
    over one column's pairwise-complete rows then take a few O(n) passes
    (:func:`.ranks.rank_subset`), and the Pearson step runs on the same arrays
    :func:`correlation` would build, so the results are identical. Columns are ranked one
    at a time, so the working set stays in the processor's cache.

    The columns are sorted a chunk at a time on a second thread, one chunk ahead of the
    ranking: a sort of many columns runs without the GIL, while the ranking is many short
    numpy calls that mostly hold it (on two threads they only contend for it, and took
    more CPU time for no gain). The sorts give the same ranks whichever thread runs them.
    """
    n_rows, k = mat.shape
    results = [(np.full(k, np.nan), np.zeros(k, dtype=np.int64)) for _ in refs]
    present_refs = [~np.isnan(ref) for ref in refs]
    ref_runs = [sorted_runs(ref) for ref in refs]

    def sort_chunk(columns: slice) -> tuple[FloatArray, IntpArray]:
        # Column-major, so that each column is contiguous (no copy when it already is).
        block = np.asfortranarray(mat[:, columns])
        return block, column_orders(block)

    def rank_chunk(columns: slice, block: FloatArray, orders: IntpArray) -> None:
        for i in range(block.shape[1]):
            column = block[:, i]
            present = ~np.isnan(column)
            runs = None
            for (r, n), ref_present, ref_run in zip(results, present_refs, ref_runs, strict=True):
                kept = present & ref_present
                count = int(np.count_nonzero(kept))
                n[columns.start + i] = count
                if count < 3:
                    continue
                if runs is None:
                    runs = sorted_runs(column, order=orders[i])
                # The ranks correlation() would compute on ref[kept] and column[kept].
                positions = np.flatnonzero(kept)
                r[columns.start + i] = pearson(
                    rank_subset(ref_run, kept, positions), rank_subset(runs, kept, positions)
                )

    chunks = column_chunks(n_rows, k)
    if len(chunks) < 2 or (os.cpu_count() or 1) < 2:
        for columns in chunks:
            rank_chunk(columns, *sort_chunk(columns))
        return results
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(sort_chunk, chunks[0])
        for position, columns in enumerate(chunks):
            block, orders = pending.result()
            if position + 1 < len(chunks):
                pending = pool.submit(sort_chunk, chunks[position + 1])
            rank_chunk(columns, block, orders)
    return results


def correlation_matrix(complete: FloatArray, method: Literal["spearman", "pearson"]) -> FloatArray:
    """Correlation matrix of the columns of a complete 2-D array.

    Parameters
    ----------
    complete : ndarray of shape (n, k)
        No missing values; no constant column.
    method : {"spearman", "pearson"}

    Returns
    -------
    ndarray of shape (k, k)
    """
    data = rank_columns(complete) if method == "spearman" else complete
    centered = data - data.mean(axis=0)
    scale = np.sqrt((centered**2).sum(axis=0))
    normalized = centered / scale
    matrix = normalized.T @ normalized
    np.fill_diagonal(matrix, 1.0)
    return np.asarray(np.clip(matrix, -1.0, 1.0), dtype=np.float64)
