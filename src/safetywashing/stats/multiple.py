"""Multiple-comparison adjustment of p-values: Benjamini-Hochberg, Benjamini-Yekutieli, Holm.

Each is a few lines of numpy; ``scipy.stats.false_discovery_control`` gives the same
Benjamini-Hochberg and Benjamini-Yekutieli values (the tests compare) but importing
``scipy.stats`` costs about a second, which the audit command does not pay.

Monte Carlo permutation p-values cannot fall below ``1 / (B + 1)``, so an adjustment over
a large family may be unable to reject anything; :func:`permutations_needed` sizes ``B``
so that it can.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Adjustment = Literal["bh", "by", "holm"]
ADJUSTMENTS: tuple[Adjustment, ...] = ("bh", "by", "holm")

#: How far below the level the smallest attainable adjusted p-value is put by default.
RESOLUTION = 10


def harmonic(m: int) -> float:
    """``1 + 1/2 + ... + 1/m``: the Benjamini-Yekutieli factor for ``m`` tests."""
    return float(np.sum(1.0 / np.arange(1, m + 1))) if m > 0 else 0.0


def smallest_adjusted(n_permutations: int, family_size: int, method: Adjustment) -> float:
    """The smallest adjusted p-value ``B`` permutations can give in a family of ``m`` tests.

    The smallest Monte Carlo p-value is ``1 / (B + 1)``; Holm and Benjamini-Hochberg
    multiply the smallest p-value by ``m``, Benjamini-Yekutieli by ``m * (1 + ... + 1/m)``.

    Examples
    --------
    >>> round(smallest_adjusted(2000, 166, "holm"), 4)
    0.083
    """
    factor = family_size * (harmonic(family_size) if method == "by" else 1.0)
    return min(1.0, factor / (n_permutations + 1.0)) if n_permutations > 0 else 1.0


def permutations_needed(
    family_size: int, alpha: float, method: Adjustment, *, resolution: int = RESOLUTION
) -> int:
    """Permutations so that the adjustment can reject at ``alpha``, with room to spare.

    The rule: the smallest attainable adjusted p-value must be at most
    ``alpha / resolution``, i.e. ``B + 1 >= resolution * m * c / alpha`` with ``c = 1``
    for Holm and Benjamini-Hochberg and ``c = 1 + 1/2 + ... + 1/m`` for
    Benjamini-Yekutieli. With ``resolution = 10`` a test whose exact p-value is half the
    first rejection threshold (``alpha / (2 m c)``) is still rejected on average
    (about 5 exceedances are expected, giving ``6 / (B + 1) < alpha / (m c)``).

    Examples
    --------
    >>> permutations_needed(166, 0.05, "holm")
    33199
    """
    if family_size <= 0:
        return 0
    factor = family_size * (harmonic(family_size) if method == "by" else 1.0)
    return math.ceil(resolution * factor / alpha) - 1


def adjust(p_values: npt.ArrayLike, method: Adjustment = "bh") -> FloatArray:
    """Adjust p-values for multiplicity; NaN entries are left out and stay NaN.

    Parameters
    ----------
    p_values : array_like of shape (m,)
    method : {"bh", "by", "holm"}
        ``"bh"``: Benjamini-Hochberg (false discovery rate, for independent or
        positively dependent tests); ``"by"``: Benjamini-Yekutieli (false discovery rate
        under any dependence: BH with ``m`` replaced by ``m * (1 + 1/2 + ... + 1/m)``);
        ``"holm"``: Holm's step-down (family-wise error rate).

    Returns
    -------
    ndarray of shape (m,)

    Examples
    --------
    >>> adjust([0.01, 0.04, 0.03], "bh").round(3).tolist()
    [0.03, 0.04, 0.04]
    >>> adjust([0.01, 0.04, 0.03], "by").round(3).tolist()
    [0.055, 0.073, 0.073]
    >>> adjust([0.01, 0.04, 0.03], "holm").round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    keep = np.flatnonzero(~np.isnan(p))
    m = keep.size
    if m == 0:
        return out
    values = p[keep]
    if method in ("bh", "by"):
        factor = m * (harmonic(m) if method == "by" else 1.0)
        order = np.argsort(values, kind="mergesort")[::-1]
        scaled = values[order] * factor / np.arange(m, 0, -1)
        adjusted = np.minimum.accumulate(scaled)
    elif method == "holm":
        order = np.argsort(values, kind="mergesort")
        scaled = values[order] * np.arange(m, 0, -1)
        adjusted = np.maximum.accumulate(scaled)
    else:
        raise ValueError(f"Unknown adjustment {method!r}; use one of {ADJUSTMENTS}.")
    result = np.empty(m)
    result[order] = np.clip(adjusted, 0.0, 1.0)
    out[keep] = result
    return out
