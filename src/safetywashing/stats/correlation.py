"""Correlation coefficients with pairwise deletion of missing values."""

from __future__ import annotations

import os
from typing import Literal

import numpy as np
import numpy.typing as npt

from safetywashing.stats.ranks import (
    column_chunks,
    rank_average,
    rank_columns,
    rank_rows_where,
    rank_shared_where,
    shared_order,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
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


def kendall_tau_b(x: FloatArray, y: FloatArray) -> float:
    """Kendall's tau-b of two complete 1-D arrays (ties handled as in tau-b)."""
    if x.size < 2:
        return float("nan")
    sign_x = np.sign(x[:, None] - x[None, :])
    sign_y = np.sign(y[:, None] - y[None, :])
    upper = np.triu_indices(x.size, 1)
    sx = sign_x[upper]
    sy = sign_y[upper]
    denominator = np.sqrt(np.sum(sx != 0) * np.sum(sy != 0))
    if denominator == 0:
        return float("nan")
    return float(np.sum(sx * sy) / denominator)


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
    ref = np.asarray(reference, dtype=np.float64)
    mat = np.asarray(matrix, dtype=np.float64)
    if method == "spearman":
        return _spearman_columns(ref, mat)
    k = mat.shape[1]
    r = np.full(k, np.nan)
    n = np.zeros(k, dtype=np.int64)
    for j in range(k):
        r[j], n[j] = correlation(ref, mat[:, j], method)
    return r, n


def _spearman_columns(ref: FloatArray, mat: FloatArray) -> tuple[FloatArray, IntArray]:
    """:func:`correlation` (Spearman) of ``ref`` with every column, bit for bit.

    The ranks of a chunk of columns, and of the reference over each column's
    pairwise-complete rows, come from the whole-matrix kernels in :mod:`.ranks` (one sort
    per column, the reference sorted once); only the Pearson step on the ranks runs per
    column, on the same arrays :func:`correlation` would build, so the results are
    identical. Chunks run on two threads (numpy's sorts release the GIL); each chunk
    writes only its own columns, so the result does not depend on the scheduling.
    """
    if ref.ndim != 1 or mat.ndim != 2 or mat.shape[0] != ref.shape[0]:
        raise ValueError(
            f"correlate_columns expects shapes (n,) and (n, k); got {ref.shape}, {mat.shape}."
        )
    k = mat.shape[1]
    r = np.full(k, np.nan)
    n = np.zeros(k, dtype=np.int64)
    ref_present = ~np.isnan(ref)
    ref_order = shared_order(ref)

    def run(columns: slice) -> None:
        block = np.ascontiguousarray(mat[:, columns].T)
        kept = ~np.isnan(block) & ref_present
        counts = kept.sum(axis=1)
        n[columns] = counts
        if not (counts >= 3).any():
            return
        ref_ranks = rank_shared_where(ref, kept, order=ref_order)
        column_ranks = rank_rows_where(block, kept)
        for i in np.flatnonzero(counts >= 3):
            keep = kept[i]
            r[columns.start + i] = pearson(ref_ranks[i, keep], column_ranks[i, keep])

    chunks = column_chunks(mat.shape[0], k)
    workers = min(2, os.cpu_count() or 1)
    if len(chunks) < 2 or workers < 2:
        for columns in chunks:
            run(columns)
        return r, n
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(run, chunks):
            pass
    return r, n


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
