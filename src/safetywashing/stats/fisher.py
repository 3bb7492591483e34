"""Normal approximations for a Spearman correlation in Fisher's z scale.

``atanh(r_s)`` is close to normal with standard error ``sqrt(1.06 / (n - 3))`` (Fieller,
Hartley and Pearson 1957, Biometrika 44, 470-481). From it follow the chance that an
interval at a given confidence lands above, below or between the decision lines, the
power of a two-sided test of a zero correlation, and how many models make a decision
likely. They are approximations of the audit's bootstrap and permutation procedures;
``tests/stats/test_fisher.py`` and ``benchmarks/bench_power.py`` compare them with
simulated panels.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Variance factor of atanh(Spearman) (Fieller, Hartley and Pearson 1957).
SPEARMAN_VARIANCE = 1.06
#: Largest panel the search for a deciding panel size goes to.
MAX_MODELS = 100_000

_NORMAL = NormalDist()
_EDGE = 1.0 - 1e-12


def fisher_z(r: npt.ArrayLike) -> FloatArray:
    """``atanh`` of a correlation, with +-1 pulled in by 1e-12 (finite)."""
    return np.asarray(np.arctanh(np.clip(np.asarray(r, dtype=np.float64), -_EDGE, _EDGE)))


def standard_error(n: npt.ArrayLike) -> FloatArray:
    """Standard error of ``atanh`` of a Spearman correlation on ``n`` models (n > 3)."""
    size = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.sqrt(SPEARMAN_VARIANCE / (size - 3.0)))


#: atanh of each correlation is close to normal with variance ``factor / (n - offset)``
#: (Fieller, Hartley and Pearson 1957): (factor, offset) per method.
FISHER_VARIANCE: dict[str, tuple[float, int]] = {
    "pearson": (1.0, 3),
    "spearman": (SPEARMAN_VARIANCE, 3),
    "kendall": (0.437, 4),
}


def correlation_interval(
    r: float, n: int, confidence: float = 0.95, method: str = "spearman"
) -> tuple[float, float]:
    """Closed-form interval of a correlation in Fisher's z scale.

    ``tanh(atanh(r) -+ z * sqrt(factor / (n - offset)))`` with the method's
    :data:`FISHER_VARIANCE`; (NaN, NaN) when ``r`` is undefined or +-1, or ``n`` too small.

    Examples
    --------
    >>> [round(v, 3) for v in correlation_interval(0.755, 18)]
    [0.433, 0.906]
    """
    factor, offset = FISHER_VARIANCE[method]
    if math.isnan(r) or abs(r) >= 1.0 or n <= offset:
        return math.nan, math.nan
    half = _z(0.5 + confidence / 2) * math.sqrt(factor / (n - offset))
    z = math.atanh(r)
    return math.tanh(z - half), math.tanh(z + half)


def _z(level: float) -> float:
    return _NORMAL.inv_cdf(level)


def _phi(x: FloatArray) -> FloatArray:
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return np.asarray(0.5 * (1.0 + erf(np.asarray(x) / math.sqrt(2.0))))


def nonzero_power(rho: float, n: npt.ArrayLike, alpha: float = 0.05) -> FloatArray:
    """Power of a two-sided level-``alpha`` test of a zero Spearman correlation.

    Examples
    --------
    >>> [round(float(p), 2) for p in nonzero_power(0.379, [20, 30, 50])]
    [0.36, 0.52, 0.76]
    """
    se = standard_error(n)
    shift = float(fisher_z(rho)) / se
    critical = _z(1.0 - alpha / 2.0)
    return np.asarray(_phi(shift - critical) + _phi(-shift - critical))


def decision_chances(
    rho: float, n: npt.ArrayLike, *, threshold: float, confidence: float = 0.95
) -> dict[str, FloatArray]:
    """Chance that the interval lies above ``+threshold``, below ``-threshold``, or inside.

    The interval is ``atanh(r) +- z se`` back-transformed, with ``z`` the normal quantile
    of the confidence level; ``r`` is normal in the z scale around ``atanh(rho)``.

    Returns
    -------
    dict
        ``"entangled"``, ``"inverse"``, ``"distinct"``, ``"inconclusive"``: arrays
        aligned with ``n``.
    """
    se = standard_error(n)
    mu = float(fisher_z(rho))
    line = float(fisher_z(threshold))
    z = _z(0.5 + confidence / 2.0)
    entangled = 1.0 - _phi((line + z * se - mu) / se)
    inverse = _phi((-line - z * se - mu) / se)
    distinct = np.maximum(_phi((line - z * se - mu) / se) - _phi((-line + z * se - mu) / se), 0.0)
    rest = np.clip(1.0 - entangled - inverse - distinct, 0.0, 1.0)
    return {"entangled": entangled, "inverse": inverse, "distinct": distinct, "inconclusive": rest}


def target_decision(rho: float, threshold: float) -> str:
    """The decision a true value points to: entangled, inverse or distinct ("" on a line)."""
    if math.isnan(rho) or abs(abs(rho) - threshold) < 1e-12:
        return ""
    if rho > threshold:
        return "entangled"
    if rho < -threshold:
        return "inverse"
    return "distinct"


def models_to_decide(
    rho: float,
    *,
    threshold: float,
    confidence: float = 0.95,
    power: float = 0.80,
    max_models: int = MAX_MODELS,
) -> float:
    """Fewest models with which the interval decides ``rho``'s side with chance ``power``.

    The decision is the one ``rho`` points to (see :func:`target_decision`); the answer
    is NaN when ``rho`` lies on a line or more than ``max_models`` would be needed.

    Examples
    --------
    >>> models_to_decide(0.7, threshold=0.4)
    46.0
    >>> models_to_decide(0.0, threshold=0.4)
    66.0
    """
    decision = target_decision(rho, threshold)
    if not decision:
        return math.nan

    def chance(n: int) -> float:
        return float(
            decision_chances(rho, np.array([n]), threshold=threshold, confidence=confidence)[
                decision
            ][0]
        )

    low, high = 4, max_models
    if chance(high) < power:
        return math.nan
    while low < high:  # smallest n with chance(n) >= power; chance rises with n
        middle = (low + high) // 2
        if chance(middle) >= power:
            high = middle
        else:
            low = middle + 1
    return float(low)
