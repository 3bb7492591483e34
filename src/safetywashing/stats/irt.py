"""A two-parameter logistic fit of every item against an ability: the item-response view.

Each item ``j`` is fitted as ``P(correct | theta) = 1 / (1 + exp(-a_j (theta - b_j)))``,
where ``theta`` is the (standardized) capability score, known rather than latent. That
is a logistic regression of the item on ``theta``, solved for all items at once by
Newton's method with a small ridge penalty (which keeps items that every model, or no
model, answers correctly finite). Graded items in [0, 1] are fitted the same way as
fractional responses. ``a`` is the discrimination (how sharply the item separates
stronger from weaker models), ``b`` the difficulty (where the item is passed half the
time, in standard deviations of the capability score).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def fit_2pl(
    values: npt.ArrayLike,
    ability: npt.ArrayLike,
    *,
    ridge: float = 0.01,
    max_iter: int = 50,
    tolerance: float = 1e-8,
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Discrimination and difficulty of every item against a known ability.

    Parameters
    ----------
    values : array_like of shape (n_models, n_items)
        Item scores in [0, 1]; NaN where missing.
    ability : array_like of shape (n_models,)
        The ability of each model (e.g. the standardized capability score).
    ridge : float
        L2 penalty on the intercept and slope of the logistic regression.
    max_iter, tolerance
        Newton iterations and the largest step that counts as converged.

    Returns
    -------
    discrimination, difficulty : ndarray of shape (n_items,)
        ``a`` and ``b``; ``b`` is NaN where ``|a|`` is below 1e-6 (a flat item).
    converged : ndarray of bool, shape (n_items,)

    Examples
    --------
    >>> theta = np.linspace(-2, 2, 9)
    >>> item = (theta > 0.5).astype(float)[:, None]
    >>> a, b, ok = fit_2pl(item, theta)
    >>> bool(a[0] > 2), round(float(b[0]), 1), bool(ok[0])
    (True, 0.7, True)
    """
    y = np.asarray(values, dtype=np.float64)
    t = np.asarray(ability, dtype=np.float64)
    present = ~(np.isnan(y) | np.isnan(t)[:, None])
    yy = np.where(present, y, 0.0)
    tt = np.where(present, t[:, None], 0.0)
    w = present.astype(np.float64)
    k = y.shape[1]
    beta0 = np.zeros(k)
    beta1 = np.zeros(k)
    converged = np.zeros(k, dtype=bool)
    for _ in range(max_iter):
        eta = beta0 + tt * beta1
        p = 1.0 / (1.0 + np.exp(-np.clip(eta, -30.0, 30.0)))
        resid = w * (yy - p)
        g0 = resid.sum(axis=0) - ridge * beta0
        g1 = (resid * tt).sum(axis=0) - ridge * beta1
        v = w * p * (1.0 - p)
        h00 = v.sum(axis=0) + ridge
        h01 = (v * tt).sum(axis=0)
        h11 = (v * tt * tt).sum(axis=0) + ridge
        det = h00 * h11 - h01 * h01
        step0 = (h11 * g0 - h01 * g1) / det
        step1 = (h00 * g1 - h01 * g0) / det
        # Damp long steps: the logistic likelihood is flat far from the optimum.
        scale = np.minimum(1.0, 5.0 / np.maximum(np.abs(step0), np.abs(step1)))
        beta0 += scale * step0
        beta1 += scale * step1
        converged = np.maximum(np.abs(step0), np.abs(step1)) < tolerance
        if converged.all():
            break
    with np.errstate(invalid="ignore", divide="ignore"):
        difficulty = np.where(np.abs(beta1) > 1e-6, -beta0 / beta1, np.nan)
    return beta1, difficulty, converged
