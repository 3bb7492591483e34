"""The capability component: standardization, PC1 of a correlation matrix, its sign."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from safetywashing.stats.correlation import correlation_matrix

FloatArray = npt.NDArray[np.float64]
MatrixKind = Literal["spearman", "pearson", "covariance"]
MATRIX_KINDS: tuple[MatrixKind, ...] = ("spearman", "pearson", "covariance")
SignRule = Literal["mean-z", "largest-loading"]

#: A column whose standard deviation is at most this fraction of its largest magnitude
#: is constant: its spread is rounding error (0.1 written three times has a standard
#: deviation of about 1e-17, not 0, because 0.1 is not exact in binary).
CONSTANT_TOLERANCE = 1e-10


def standardize(matrix: npt.ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Z-score every column with the population standard deviation (ddof = 0).

    Missing values (NaN) are ignored in the mean and standard deviation and stay NaN.

    Parameters
    ----------
    matrix : array_like of shape (n, k)

    Returns
    -------
    z : ndarray of shape (n, k)
    mean : ndarray of shape (k,)
    std : ndarray of shape (k,)
        Zero for a constant column (one whose spread is at most
        :data:`CONSTANT_TOLERANCE` times its largest magnitude); its z-scores are then NaN.
    """
    array = np.asarray(matrix, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        mean = np.nanmean(array, axis=0) if array.size else np.zeros(array.shape[1])
        std = np.nanstd(array, axis=0, ddof=0) if array.size else np.zeros(array.shape[1])
        if array.size:
            scale = np.nanmax(np.where(np.isnan(array), 0.0, np.abs(array)), axis=0)
            std = np.where(std <= CONSTANT_TOLERANCE * scale, 0.0, std)
        z = (array - mean) / np.where(std > 0, std, np.nan)
    return z, mean, std


@dataclass(frozen=True)
class CapabilityComponent:
    """PC1 of the capability benchmarks and the scores it gives."""

    #: ndarray of shape (k,): Unit-length top eigenvector, signed so that scores rise with
    #: capability.
    loadings: FloatArray
    #: ndarray of shape (k,): All eigenvalues of the matrix, descending.
    eigenvalues: FloatArray
    #: ndarray of shape (k, k): The matrix decomposed (Spearman, Pearson or covariance of the
    #: z-scores).
    matrix: FloatArray
    #: ndarray of shape (n,): ``z @ loadings`` for each model.
    scores: FloatArray
    #: Top eigenvalue / trace of the matrix: the paper's "variance explained" (for a correlation
    #: matrix the trace is k, the number of capability benchmarks).
    eigenvalue_share: float
    #: Variance of the scores / total variance of the z-scores: the share of the standardized data's
    #: variance that the capability score itself captures. For the Spearman matrix this differs from
    #: ``eigenvalue_share``.
    projected_variance_share: float
    #: {"mean-z", "largest-loading"}: Which rule fixed the sign (see :func:`capability_component`).
    sign_rule: SignRule


def capability_component(z: FloatArray, *, kind: MatrixKind = "spearman") -> CapabilityComponent:
    """First principal component of complete, standardized capability scores.

    Parameters
    ----------
    z : ndarray of shape (n, k)
        Standardized capability scores, no missing values, no constant column.
    kind : {"spearman", "pearson", "covariance"}, default "spearman"
        The matrix to decompose. The paper uses the Spearman correlation matrix.

    Returns
    -------
    CapabilityComponent

    Notes
    -----
    Sign rule: an eigenvector is defined up to sign. The paper makes the largest-magnitude
    loading positive, which can invert the score when loadings have mixed signs. Here the
    sign is chosen so that the scores correlate positively with each model's mean
    z-score across the capability benchmarks (a score that rises with capability); on
    the paper's data both rules agree. Only if that correlation is exactly zero does the
    largest-loading rule decide.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> latent = rng.normal(size=30)
    >>> z, _, _ = standardize(latent[:, None] + 0.3 * rng.normal(size=(30, 4)))
    >>> component = capability_component(z)
    >>> bool(np.corrcoef(component.scores, latent)[0, 1] > 0.9)
    True
    """
    if kind == "covariance":
        centered = z - z.mean(axis=0)
        matrix = centered.T @ centered / z.shape[0]
    elif kind in ("spearman", "pearson"):
        matrix = correlation_matrix(z, kind)
    else:
        raise ValueError(f"Unknown matrix kind {kind!r}; use one of {MATRIX_KINDS}.")
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    eigenvalues = eigenvalues[::-1].copy()
    loadings = eigenvectors[:, -1].copy()
    scores = z @ loadings
    mean_z = z.mean(axis=1)
    agreement = float(np.dot(scores - scores.mean(), mean_z - mean_z.mean()))
    sign_rule: SignRule = "mean-z"
    tolerance = 1e-12 * max(1.0, float(np.abs(scores).sum()))
    if abs(agreement) <= tolerance:
        sign_rule = "largest-loading"
        flip = loadings[np.argmax(np.abs(loadings))] < 0
    else:
        flip = agreement < 0
    if flip:
        loadings = -loadings
        scores = -scores
    total_variance = float(z.var(axis=0).sum())
    return CapabilityComponent(
        loadings=loadings,
        eigenvalues=eigenvalues,
        matrix=matrix,
        scores=scores,
        eigenvalue_share=float(eigenvalues[0] / np.trace(matrix)),
        projected_variance_share=float(scores.var() / total_variance),
        sign_rule=sign_rule,
    )


def mean_offdiagonal(matrix: FloatArray) -> tuple[float, float]:
    """Mean and population standard deviation of the upper off-diagonal entries."""
    upper = matrix[np.triu_indices(matrix.shape[0], 1)]
    if upper.size == 0:
        return float("nan"), float("nan")
    return float(upper.mean()), float(upper.std())
