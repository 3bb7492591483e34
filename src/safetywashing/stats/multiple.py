"""Multiple-comparison adjustment of p-values: Benjamini-Hochberg and Holm.

Both are a few lines of numpy; ``scipy.stats.false_discovery_control`` gives the same
Benjamini-Hochberg values (the tests compare) but importing ``scipy.stats`` costs
about a second, which the audit command does not pay.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Adjustment = Literal["bh", "holm"]
ADJUSTMENTS: tuple[Adjustment, ...] = ("bh", "holm")


def adjust(p_values: npt.ArrayLike, method: Adjustment = "bh") -> FloatArray:
    """Adjust p-values for multiplicity; NaN entries are left out and stay NaN.

    Parameters
    ----------
    p_values : array_like of shape (m,)
    method : {"bh", "holm"}
        ``"bh"``: Benjamini-Hochberg (false discovery rate); ``"holm"``: Holm's
        step-down (family-wise error rate).

    Returns
    -------
    ndarray of shape (m,)

    Examples
    --------
    >>> adjust([0.01, 0.04, 0.03], "bh").round(3).tolist()
    [0.03, 0.04, 0.04]
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
    if method == "bh":
        order = np.argsort(values, kind="mergesort")[::-1]
        scaled = values[order] * m / np.arange(m, 0, -1)
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
