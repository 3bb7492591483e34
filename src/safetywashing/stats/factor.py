"""A one-factor model fitted by maximum likelihood.

The algorithm is scikit-learn's ``FactorAnalysis`` (SVD method; Barber, *Bayesian
Reasoning and Machine Learning*, 2012, algorithm 21.1), restricted to one factor and
written in numpy; ``tests/stats/test_factor.py`` compares loadings, uniquenesses and
scores with scikit-learn's. Factor scores are the posterior means of the factor
(regression scores of the fitted model), which weight each variable by
``loading / uniqueness``: no inverse of the sample correlation matrix is needed, unlike
the Thurstone scores ``z @ R^-1 @ loadings``, which are unstable when R is
ill-conditioned (condition number 558 on the paper's chat capability benchmarks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

_SMALL = 1e-12


@dataclass(frozen=True)
class OneFactor:
    """A fitted one-factor model."""

    #: ndarray of shape (k,): Loading of each variable on the factor (a correlation, for
    #: standardized data).
    loadings: FloatArray
    #: ndarray of shape (k,): Noise variance of each variable (``psi``).
    uniqueness: FloatArray
    #: ndarray of shape (n,): Posterior mean of the factor for each row (scikit-learn's
    #: ``transform``).
    scores: FloatArray
    log_likelihood: float
    iterations: int
    converged: bool


def one_factor(z: FloatArray, *, max_iter: int = 10_000, tol: float = 1e-10) -> OneFactor:
    """Fit one common factor by maximum likelihood (scikit-learn's algorithm).

    Each iteration scales the centred data by ``1 / sqrt(n psi)``, takes its top singular
    pair (``s``, ``v``), sets the loadings to ``sqrt(max(s^2 - 1, 0)) v sqrt(psi)`` and the
    uniquenesses to ``var - loadings^2`` (at least 1e-12), until the log-likelihood rises
    by less than ``tol``.

    Parameters
    ----------
    z : ndarray of shape (n, k)
        Complete data, usually standardized.
    max_iter : int, default 10000
    tol : float, default 1e-10

    Returns
    -------
    OneFactor
        Signed so that the scores correlate positively with the mean of ``z``'s rows.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=500)
    >>> x = np.outer(f, [0.9, 0.8, 0.7]) + rng.normal(size=(500, 3)) * [0.44, 0.6, 0.71]
    >>> fit = one_factor((x - x.mean(0)) / x.std(0))
    >>> bool(np.allclose(fit.loadings, [0.9, 0.8, 0.7], atol=0.06))
    True
    """
    x = np.asarray(z, dtype=np.float64)
    n, k = x.shape
    centred = x - x.mean(axis=0)
    variance = centred.var(axis=0)
    psi = np.ones(k)
    root_n = math.sqrt(n)
    constant = k * math.log(2.0 * math.pi) + 1.0
    previous = -math.inf
    loadings = np.zeros(k)
    log_likelihood = -math.inf
    converged = False
    iteration = 0
    for iteration in range(1, max_iter + 1):  # noqa: B007
        root_psi = np.sqrt(psi) + _SMALL
        _, singular, vt = np.linalg.svd(centred / (root_psi * root_n), full_matrices=False)
        squares = singular**2
        loadings = math.sqrt(max(float(squares[0]) - 1.0, 0.0)) * vt[0] * root_psi
        log_likelihood = constant + math.log(float(squares[0]))
        log_likelihood += float(squares[1:].sum()) + float(np.log(psi).sum())
        log_likelihood *= -n / 2.0
        if log_likelihood - previous < tol:
            converged = True
            break
        previous = log_likelihood
        psi = np.maximum(variance - loadings**2, _SMALL)
    weights = loadings / psi
    scores = centred @ weights / (1.0 + float(weights @ loadings))
    mean_z = x.mean(axis=1)
    if np.dot(scores - scores.mean(), mean_z - mean_z.mean()) < 0:
        loadings = -loadings
        scores = -scores
    return OneFactor(
        loadings=np.asarray(loadings, dtype=np.float64),
        uniqueness=np.asarray(psi, dtype=np.float64),
        scores=np.asarray(scores, dtype=np.float64),
        log_likelihood=log_likelihood,
        iterations=iteration,
        converged=converged,
    )
