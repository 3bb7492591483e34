"""Missing capability scores: iterative (EM-style) PCA imputation of a score block.

The capability score is the first principal component of the standardized capability
benchmarks, so the natural model for a missing capability cell is the same low-rank
structure: fill the gaps, fit a rank-``r`` PCA, replace the gaps by its reconstruction,
repeat until the filled values stop moving (the "iterative PCA" or "EM-PCA" algorithm,
Kiers 1997; Josse and Husson 2012). Only the block passed in is used: the audit passes
the capability benchmarks alone, never the safety columns, so a safety benchmark cannot
leak into the capability score it is then correlated with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

DEFAULT_RANK = 1
DEFAULT_TOLERANCE = 1e-8
DEFAULT_MAX_ITER = 500


@dataclass(frozen=True)
class Imputation:
    """A completed block and how the iteration went."""

    #: ndarray of shape (n, k): The input with every missing cell filled, in the input's units.
    completed: FloatArray
    #: ndarray of bool, shape (n, k): True where a cell was imputed.
    missing: BoolArray
    #: Number of components used for the reconstruction.
    rank: int
    #: Iterations run (0 when nothing was missing).
    iterations: int
    #: True when the last change of the filled cells was below the tolerance.
    converged: bool
    #: Last relative change of the filled cells (0 when nothing was missing).
    change: float

    @property
    def n_imputed(self) -> int:
        """Number of cells filled."""
        return int(self.missing.sum())


def impute_pca(
    block: npt.ArrayLike,
    *,
    rank: int = DEFAULT_RANK,
    tolerance: float = DEFAULT_TOLERANCE,
    max_iter: int = DEFAULT_MAX_ITER,
) -> Imputation:
    """Fill the missing cells of a score block by iterative rank-``rank`` PCA.

    Each column is standardized with the mean and population standard deviation
    (ddof = 0) of its observed cells; missing cells start at the column mean (zero);
    each iteration re-centres the filled matrix, takes its best rank-``rank``
    approximation (truncated SVD) and writes the reconstruction into the missing cells
    only. Observed cells never change. The result is mapped back to the input's units.

    Parameters
    ----------
    block : array_like of shape (n, k)
        Scores, NaN where missing. Every column needs at least two distinct observed
        values.
    rank : int, default 1
        Components in the reconstruction; ``1 <= rank < k``.
    tolerance : float, default 1e-8
        Stop when the squared change of the filled cells, relative to the squared norm
        of the standardized observed cells, falls below this.
    max_iter : int, default 500
        Iteration cap; the result says whether it converged before reaching it.

    Returns
    -------
    Imputation

    Raises
    ------
    ValueError
        For a bad shape, rank, tolerance or iteration cap, or a column with fewer than
        two distinct observed values (callers check these and raise user-facing errors).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> latent = rng.normal(size=40)
    >>> block = latent[:, None] * np.array([1.0, 2.0, 0.5]) + 0.05 * rng.normal(size=(40, 3))
    >>> gappy = block.copy()
    >>> gappy[3, 1] = np.nan
    >>> result = impute_pca(gappy)
    >>> bool(abs(result.completed[3, 1] - block[3, 1]) < 0.2), result.converged
    (True, True)
    """
    data = np.array(block, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError(f"impute_pca expects a 2-D block; got {data.ndim} dimensions.")
    _, k = data.shape
    if not 1 <= rank < max(k, 2):
        raise ValueError(f"The rank must be between 1 and {max(k - 1, 1)}; got {rank}.")
    if not tolerance > 0:
        raise ValueError(f"The tolerance must be positive; got {tolerance}.")
    if max_iter < 1:
        raise ValueError(f"The iteration cap must be at least 1; got {max_iter}.")
    missing = np.isnan(data)
    if not missing.any():
        return Imputation(data, missing, rank, 0, True, 0.0)
    with np.errstate(invalid="ignore"):
        mean = np.nanmean(data, axis=0)
        std = np.nanstd(data, axis=0, ddof=0)
    if not np.all(std > 0):
        bad = int(np.flatnonzero(~(std > 0))[0])
        raise ValueError(f"Column {bad} has fewer than two distinct observed values.")
    z = (data - mean) / std
    z[missing] = 0.0
    scale = float(np.sum(z[~missing] ** 2)) or 1.0
    converged = False
    change = float("inf")
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        centre = z.mean(axis=0)
        u, s, vt = np.linalg.svd(z - centre, full_matrices=False)
        reconstruction = centre + (u[:, :rank] * s[:rank]) @ vt[:rank]
        change = float(np.sum((reconstruction[missing] - z[missing]) ** 2)) / scale
        z[missing] = reconstruction[missing]
        if change < tolerance:
            converged = True
            break
    completed = z * std + mean
    completed[~missing] = data[~missing]
    return Imputation(completed, missing, rank, iterations, converged, change)
