"""Bootstrap confidence intervals (percentile, BCa) and the verdict they support."""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntervalKind = Literal["percentile", "bca"]
INTERVAL_KINDS: tuple[IntervalKind, ...] = ("percentile", "bca")
VERDICTS = ("entangled", "inverse", "distinct", "inconclusive")

_NORMAL = NormalDist()


def percentile_interval(replicates: FloatArray, confidence: float) -> tuple[FloatArray, FloatArray]:
    """Percentile interval of each column of bootstrap replicates.

    Parameters
    ----------
    replicates : ndarray of shape (B, J)
        NaN replicates (degenerate resamples) are left out column by column.
    confidence : float
        In (0, 1).

    Returns
    -------
    low, high : ndarray of shape (J,)
        The ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles (linear
        interpolation, numpy's default); NaN for a column without finite replicates.

    Examples
    --------
    >>> low, high = percentile_interval(np.arange(101.0)[:, None], 0.5)
    >>> float(low[0]), float(high[0])
    (25.0, 75.0)
    """
    alpha = (1.0 - confidence) / 2.0
    levels = np.tile([[alpha], [1.0 - alpha]], (1, replicates.shape[1]))
    return _quantiles(replicates, levels)


def _quantiles(replicates: FloatArray, levels: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per-column quantiles at per-column levels ``levels`` of shape (2, J)."""
    j_count = replicates.shape[1]
    low = np.full(j_count, np.nan)
    high = np.full(j_count, np.nan)
    finite = np.isfinite(replicates)
    if finite.all():
        ordered = np.sort(replicates, axis=0)
        count = np.full(j_count, replicates.shape[0])
    else:
        ordered = np.sort(np.where(finite, replicates, np.inf), axis=0)
        count = finite.sum(axis=0)
    for which, out in ((0, low), (1, high)):
        level = levels[which]
        ok = (count > 0) & np.isfinite(level)
        position = np.clip(np.where(ok, level, 0.0), 0.0, 1.0) * np.maximum(count - 1, 0)
        below = np.floor(position).astype(np.int64)
        above = np.minimum(below + 1, np.maximum(count - 1, 0))
        fraction = position - below
        columns = np.arange(j_count)
        lo_value = ordered[below.clip(0, replicates.shape[0] - 1), columns]
        hi_value = ordered[above.clip(0, replicates.shape[0] - 1), columns]
        # numpy's "linear" method: lo + fraction * (hi - lo), exact at the data points.
        # (Columns without finite replicates hold inf here and are masked by ``ok``.)
        with np.errstate(invalid="ignore"):
            value = np.where(fraction > 0, lo_value + fraction * (hi_value - lo_value), lo_value)
        out[ok] = value[ok]
    return low, high


def jackknife_acceleration(jackknife: FloatArray) -> FloatArray:
    """BCa acceleration from leave-one-out estimates.

    Parameters
    ----------
    jackknife : ndarray of shape (m, J)
        The statistic with each model (or cluster) left out in turn.

    Returns
    -------
    ndarray of shape (J,)
        ``sum(d**3) / (6 * sum(d**2) ** 1.5)`` with ``d = mean - jackknife``
        (Efron and Tibshirani 1993, eq. 14.15); 0 when all estimates agree.
    """
    finite = np.isfinite(jackknife)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(finite, jackknife, 0.0).sum(axis=0) / finite.sum(axis=0)
        deviation = mean - jackknife
    squares = np.nansum(deviation**2, axis=0)
    cubes = np.nansum(deviation**3, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        acceleration = cubes / (6.0 * squares**1.5)
    return np.asarray(np.where(squares > 0, acceleration, 0.0), dtype=np.float64)


def bca_interval(
    replicates: FloatArray,
    estimate: FloatArray,
    jackknife: FloatArray,
    confidence: float,
) -> tuple[FloatArray, FloatArray]:
    """Bias-corrected and accelerated (BCa) interval of each column.

    Parameters
    ----------
    replicates : ndarray of shape (B, J)
    estimate : ndarray of shape (J,)
        The full-data estimate.
    jackknife : ndarray of shape (m, J)
        Leave-one-out estimates, for the acceleration.
    confidence : float

    Returns
    -------
    low, high : ndarray of shape (J,)
        NaN where the estimate or every replicate is undefined, or where the bias
        correction is infinite (all replicates on one side of the estimate).

    Notes
    -----
    ``z0 = Phi^-1(share of replicates below the estimate, ties counted half)`` and the
    interval ends are the replicate quantiles at
    ``Phi(z0 + (z0 + z) / (1 - a (z0 + z)))`` for ``z = Phi^-1((1 -/+ confidence) / 2)``.
    """
    finite = np.isfinite(replicates)
    count = finite.sum(axis=0)
    below = np.where(finite, replicates < estimate, False).sum(axis=0)
    equal = np.where(finite, replicates == estimate, False).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (below + 0.5 * equal) / count
    acceleration = jackknife_acceleration(jackknife)
    alpha = (1.0 - confidence) / 2.0
    z_ends = (_NORMAL.inv_cdf(alpha), _NORMAL.inv_cdf(1.0 - alpha))
    levels = np.full((2, replicates.shape[1]), np.nan)
    for j in range(replicates.shape[1]):
        p = float(share[j])
        if not (0.0 < p < 1.0) or math.isnan(float(estimate[j])):
            continue
        z0 = _NORMAL.inv_cdf(p)
        for which, z in enumerate(z_ends):
            shifted = z0 + z
            denominator = 1.0 - float(acceleration[j]) * shifted
            if denominator <= 0:
                continue
            levels[which, j] = _NORMAL.cdf(z0 + shifted / denominator)
    return _quantiles(replicates, levels)


def expand_replicates(replicates: FloatArray, estimate: FloatArray, scale: float) -> FloatArray:
    """Spread correlation replicates about the estimate by ``scale`` in Fisher's z scale.

    The cluster bootstrap's spread is too small by about ``(G - 1) / G`` in variance with
    ``G`` clusters (the factor that the CR1 correction of cluster-robust variances undoes:
    Cameron and Miller 2015, J. Human Resources 50(2), 317-372, section VI.A). Rescaling
    every replicate's deviation from the estimate by ``scale = sqrt(G / (G - 1))`` in
    ``atanh`` space (where a correlation's sampling distribution is close to symmetric,
    and the result stays inside (-1, 1)) widens the percentile interval by that factor,
    as Hesterberg's expanded percentile interval does for a mean (Hesterberg 2015, The
    American Statistician 69(4), 371-386).

    Parameters
    ----------
    replicates : ndarray of shape (B, J)
    estimate : ndarray of shape (J,)
    scale : float

    Returns
    -------
    ndarray of shape (B, J)
        NaN where a replicate or the estimate is NaN.

    Examples
    --------
    >>> out = expand_replicates(np.array([[0.2], [0.6]]), np.array([0.4]), 1.0)
    >>> np.allclose(out, [[0.2], [0.6]])
    True
    """
    if scale == 1.0:
        return replicates
    edge = 1.0 - 1e-12
    centre = np.arctanh(np.clip(estimate, -edge, edge))
    z = np.arctanh(np.clip(replicates, -edge, edge))
    return np.asarray(np.tanh(centre + scale * (z - centre)), dtype=np.float64)


def equivalence_pvalue(replicates: FloatArray, threshold: float) -> FloatArray:
    """Bootstrap two one-sided tests (TOST) that a correlation lies inside the lines.

    The p-value of ``H0: rho >= threshold`` is the share of finite replicates at or above
    ``threshold``, that of ``H0: rho <= -threshold`` the share at or below
    ``-threshold``; the equivalence p-value is the larger (Schuirmann 1987, J.
    Pharmacokinetics and Biopharmaceutics 15, 657-680). It is below ``alpha`` exactly
    when the ``1 - 2 alpha`` percentile interval lies inside the lines.

    Returns
    -------
    ndarray of shape (J,)
        NaN for a column without finite replicates.

    Examples
    --------
    >>> replicates = np.arange(-30, 51)[:, None] / 100  # -0.30, -0.29, ..., 0.50
    >>> float(equivalence_pvalue(replicates, 0.4)[0]) == 11 / 81  # 0.40, ..., 0.50
    True
    """
    finite = np.isfinite(replicates)
    count = finite.sum(axis=0)
    above = np.where(finite, replicates >= threshold, False).sum(axis=0)
    below = np.where(finite, replicates <= -threshold, False).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.maximum(above, below) / count
    return np.asarray(np.where(count > 0, p, np.nan), dtype=np.float64)


def verdict(low: float, high: float, *, lower: float, upper: float) -> str:
    """Reading of a capabilities correlation that respects its interval.

    Parameters
    ----------
    low, high : float
        Interval ends.
    lower, upper : float
        The lines (see :class:`safetywashing.core.decision.DecisionRule`).

    Returns
    -------
    str
        ``"entangled"`` (interval entirely above ``upper``), ``"inverse"`` (entirely
        below ``lower``: the property worsens as capabilities grow), ``"distinct"``
        (entirely inside ``(lower, upper)``), ``"inconclusive"`` (the interval crosses a
        line), or ``""`` when the interval is undefined.

    Examples
    --------
    >>> lines = {'lower': -0.4, 'upper': 0.4}
    >>> (verdict(0.55, 0.9, **lines), verdict(-0.2, 0.3, **lines), verdict(0.2, 0.6, **lines),
    ...  verdict(-0.9, -0.5, **lines))
    ('entangled', 'distinct', 'inconclusive', 'inverse')
    """
    if math.isnan(low) or math.isnan(high):
        return ""
    if low > upper:
        return "entangled"
    if high < lower:
        return "inverse"
    if low > lower and high < upper:
        return "distinct"
    return "inconclusive"
