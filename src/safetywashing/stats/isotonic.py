"""Isotonic regression: the least-squares monotone fit, by pool adjacent violators.

A monotone fit assumes only that a relation goes one way, as a rank correlation does,
so a figure of a Spearman correlation draws it instead of a straight line. The
algorithm is the classic pool-adjacent-violators (Ayer et al. 1955, Annals of
Mathematical Statistics 26, 641-647; Barlow et al. 1972, *Statistical Inference under
Order Restrictions*): sweep the points in ``x`` order and merge a block into the one
before it while the two are out of order, each block carrying its weighted mean.
``tests/stats/test_isotonic.py`` compares it with scikit-learn's ``IsotonicRegression``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def isotonic_fit(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    increasing: bool = True,
    weights: npt.ArrayLike | None = None,
) -> tuple[FloatArray, FloatArray]:
    """The weighted least-squares monotone fit of ``y`` on ``x``.

    Tied ``x`` values are pooled first into their weighted mean ``y``, so tied points
    share one fitted value (the "secondary" treatment of ties in de Leeuw's terms, 1977,
    Psychometrika 42, 141-144; scikit-learn's ``IsotonicRegression`` does the same).

    Parameters
    ----------
    x, y : array_like of shape (n,)
        Finite values.
    increasing : bool, default True
        The direction of the fit: non-decreasing, else non-increasing.
    weights : array_like of shape (n,), optional
        Positive weight of each point; equal weights by default.

    Returns
    -------
    tuple of (ndarray of shape (m,), ndarray of shape (m,))
        The ``m`` distinct ``x`` values, sorted, and the fitted value at each.

    Raises
    ------
    ValueError
        When the arrays are not 1-D of one length, or a weight is not positive.

    Examples
    --------
    >>> distinct, fit = isotonic_fit([1, 2, 3, 4], [1.0, 3.0, 2.0, 4.0])
    >>> fit.tolist()
    [1.0, 2.5, 2.5, 4.0]
    """
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    if xs.ndim != 1 or xs.shape != ys.shape:
        raise ValueError(
            f"isotonic_fit expects x and y of one length; got shapes {xs.shape} and {ys.shape}."
        )
    distinct, inverse, counts = np.unique(xs, return_inverse=True, return_counts=True)
    if weights is None:
        totals = counts.astype(np.float64)
        means = np.bincount(inverse, weights=ys) / counts
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != xs.shape:
            raise ValueError(
                f"isotonic_fit expects one weight per point; got shape {w.shape} for {xs.shape}."
            )
        if not np.all(w > 0):
            raise ValueError("isotonic_fit expects positive weights.")
        totals = np.bincount(inverse, weights=w).astype(np.float64, copy=False)
        means = np.bincount(inverse, weights=w * ys) / totals
    fit = _pool_adjacent_violators(means if increasing else -means, totals)
    return distinct.astype(np.float64), fit if increasing else -fit


def _pool_adjacent_violators(values: FloatArray, weights: FloatArray) -> FloatArray:
    """The non-decreasing weighted least-squares fit to ``values`` in their order."""
    means: list[float] = []
    totals: list[float] = []
    sizes: list[int] = []
    for value, weight in zip(values, weights, strict=True):
        means.append(float(value))
        totals.append(float(weight))
        sizes.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            merged = totals[-2] + totals[-1]
            means[-2] = (means[-2] * totals[-2] + means[-1] * totals[-1]) / merged
            totals[-2] = merged
            sizes[-2] += sizes[-1]
            del means[-1], totals[-1], sizes[-1]
    return np.repeat(np.asarray(means, dtype=np.float64), sizes)
