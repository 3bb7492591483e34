"""A one-factor model fitted by iterated principal axes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class OneFactor:
    """A fitted one-factor model.

    Attributes
    ----------
    loadings : ndarray of shape (k,)
        Correlation of each variable with the factor.
    uniqueness : ndarray of shape (k,)
        ``1 - loadings**2``: variance not explained by the factor.
    scores : ndarray of shape (n,)
        Regression (Thurstone) factor scores ``z @ R^-1 @ loadings``.
    iterations : int
    converged : bool
    """

    loadings: FloatArray
    uniqueness: FloatArray
    scores: FloatArray
    iterations: int
    converged: bool


def one_factor(z: FloatArray, *, max_iter: int = 500, tol: float = 1e-8) -> OneFactor:
    """Fit one common factor to standardized data by iterated principal axes.

    Starting from squared multiple correlations as communalities, the diagonal of the
    correlation matrix is replaced by the communalities, the top eigenpair gives the
    loadings, and the communalities are updated to the squared loadings (capped below 1)
    until they change by less than ``tol``.

    Parameters
    ----------
    z : ndarray of shape (n, k)
        Standardized, complete data.
    max_iter : int, default 500
    tol : float, default 1e-8

    Returns
    -------
    OneFactor
        Signed so that the scores correlate positively with the mean of ``z``'s rows.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=200)
    >>> x = np.outer(f, [0.9, 0.8, 0.7]) + rng.normal(size=(200, 3)) * [0.44, 0.6, 0.71]
    >>> fit = one_factor((x - x.mean(0)) / x.std(0))
    >>> bool(np.allclose(fit.loadings, [0.9, 0.8, 0.7], atol=0.1))
    True
    """
    correlation: FloatArray = np.atleast_2d(
        np.asarray(np.corrcoef(z, rowvar=False), dtype=np.float64)
    )
    k = correlation.shape[0]
    try:
        inverse = np.linalg.inv(correlation)
        communality = np.clip(1.0 - 1.0 / np.diag(inverse), 0.0, 0.995)
    except np.linalg.LinAlgError:
        inverse = np.linalg.pinv(correlation)
        communality = np.full(k, 0.5)
    loadings = np.zeros(k)
    converged = False
    iteration = 0
    for iteration in range(1, max_iter + 1):  # noqa: B007
        reduced = correlation.copy()
        np.fill_diagonal(reduced, communality)
        values, vectors = np.linalg.eigh(reduced)
        loadings = vectors[:, -1] * np.sqrt(max(values[-1], 0.0))
        updated = np.clip(loadings**2, 0.0, 0.995)
        if np.max(np.abs(updated - communality)) < tol:
            communality = updated
            converged = True
            break
        communality = updated
    scores = z @ np.linalg.pinv(correlation) @ loadings
    mean_z = z.mean(axis=1)
    if np.dot(scores - scores.mean(), mean_z - mean_z.mean()) < 0:
        loadings = -loadings
        scores = -scores
    return OneFactor(
        loadings=np.asarray(loadings, dtype=np.float64),
        uniqueness=np.asarray(1.0 - loadings**2, dtype=np.float64),
        scores=np.asarray(scores, dtype=np.float64),
        iterations=iteration,
        converged=converged,
    )
