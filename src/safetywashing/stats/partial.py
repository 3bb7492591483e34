"""Spearman partial correlations and residual (capability-adjusted) scores."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from safetywashing.stats.correlation import pearson
from safetywashing.stats.ranks import rank_average

FloatArray = npt.NDArray[np.float64]


def partial_spearman(
    x: npt.ArrayLike, y: npt.ArrayLike, control: npt.ArrayLike
) -> tuple[float, int]:
    """Spearman partial correlation of ``x`` and ``y`` given ``control``.

    The three are ranked over the models that have all three, and the first-order
    partial correlation of the ranks is
    ``(r_xy - r_xc r_yc) / sqrt((1 - r_xc**2) (1 - r_yc**2))``.

    Parameters
    ----------
    x, y, control : array_like of shape (n,)
        NaN marks a missing value.

    Returns
    -------
    r : float
        NaN with fewer than 4 complete triples or a perfectly collinear control.
    n : int
        Complete triples used.

    Examples
    --------
    >>> c = np.arange(10.0)
    >>> r, n = partial_spearman(c + np.array([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]) * 5, c, c)
    >>> n
    10
    """
    xa, ya, ca = (np.asarray(v, dtype=np.float64) for v in (x, y, control))
    keep = ~(np.isnan(xa) | np.isnan(ya) | np.isnan(ca))
    n = int(keep.sum())
    if n < 4:
        return float("nan"), n
    rx, ry, rc = (rank_average(v[keep]) for v in (xa, ya, ca))
    r_xy, r_xc, r_yc = pearson(rx, ry), pearson(rx, rc), pearson(ry, rc)
    denominator = (1.0 - r_xc**2) * (1.0 - r_yc**2)
    if not denominator > 0 or math.isnan(denominator):
        return float("nan"), n
    return float(np.clip((r_xy - r_xc * r_yc) / math.sqrt(denominator), -1.0, 1.0)), n


def residual_scores(values: npt.ArrayLike, score: npt.ArrayLike) -> FloatArray:
    """Residuals of each standardized column after a least-squares line on ``score``.

    Parameters
    ----------
    values : array_like of shape (n, J)
        Benchmark scores (oriented, higher = safer); NaN where missing.
    score : array_like of shape (n,)
        Capability score; NaN where missing.

    Returns
    -------
    ndarray of shape (n, J)
        For each column, over the models with both values: the column is z-scored
        (ddof = 0) and regressed on the capability score; the residual is the safety a
        model shows beyond what its capability predicts, in standard deviations of the
        benchmark. NaN where a value is missing or a column has fewer than 3 models.
    """
    x = np.asarray(values, dtype=np.float64)
    s = np.asarray(score, dtype=np.float64)
    out = np.full(x.shape, np.nan)
    for j in range(x.shape[1]):
        keep = ~(np.isnan(x[:, j]) | np.isnan(s))
        if keep.sum() < 3:
            continue
        column = x[keep, j]
        spread = column.std()
        if not spread > 0:
            continue
        zc = (column - column.mean()) / spread
        sc = s[keep] - s[keep].mean()
        slope = float(zc @ sc / (sc @ sc)) if sc @ sc > 0 else 0.0
        out[keep, j] = zc - slope * sc
    return out
