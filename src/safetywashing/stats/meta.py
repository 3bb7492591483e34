"""Random-effects meta-analysis of one correlation measured in several settings.

A benchmark's capabilities correlation measured against several reference panels
(base and chat models, the paper's panel and others) is one effect in several
settings. :func:`meta_correlation` pools the correlations on Fisher's z scale with the
DerSimonian-Laird random-effects model and reports how much they disagree beyond
sampling error (tau^2, I^2, Cochran's Q). :func:`random_effects` is the same kernel for
any effect sizes with known sampling variances.

The formulas (DerSimonian & Laird 1986; Higgins & Thompson 2002), for effects y_i with
sampling variances v_i, w_i = 1 / v_i and k settings:

- fixed-effect mean m = sum(w y) / sum(w); Q = sum(w (y - m)^2) on k - 1 degrees of
  freedom;
- tau^2 = max(0, (Q - (k - 1)) / (sum(w) - sum(w^2) / sum(w)));
- random-effects weights w*_i = 1 / (v_i + tau^2), mean mu = sum(w* y) / sum(w*),
  standard error 1 / sqrt(sum(w*)), a normal-quantile interval;
- I^2 = tau^2 / (tau^2 + s^2) with the typical sampling variance
  s^2 = (k - 1) sum(w) / (sum(w)^2 - sum(w^2)), which equals max(0, (Q - (k-1)) / Q);
  H^2 = (tau^2 + s^2) / s^2;
- prediction interval mu +/- z sqrt(tau^2 + se^2) (where the effect of a new setting
  would fall).

These are the quantities ``metafor::rma(yi, vi, method="DL")`` prints; correlations are
transformed with z = atanh(r), v = 1 / (n - 3) (``escalc(measure="ZCOR")``) and the
pooled mean and its intervals transformed back with tanh.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RandomEffects:
    """A DerSimonian-Laird random-effects summary, on the scale of the effects."""

    #: Random-effects mean.
    estimate: float
    #: Its standard error.
    se: float
    #: ci_low, ci_high: Confidence interval of the mean.
    ci_low: float
    ci_high: float
    #: pi_low, pi_high: Prediction interval: where the effect in a new setting would fall.
    pi_low: float
    pi_high: float
    #: Fixed-effect (inverse-variance) mean.
    fixed_estimate: float
    #: Between-setting variance.
    tau2: float
    #: Share of the total variability due to heterogeneity, in [0, 1] (NaN for k = 1).
    i2: float
    #: Total over sampling variability (1 when tau^2 = 0).
    h2: float
    #: Cochran's Q.
    q: float
    #: Its degrees of freedom, k - 1.
    q_df: int
    #: P-value of Q against chi^2 with k - 1 degrees of freedom (NaN for k = 1).
    q_pvalue: float
    #: ndarray of shape (k,): Random-effects weight of each setting, summing to 1.
    weights: FloatArray
    #: Level of the intervals.
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        """Raw values, JSON-ready: every field in order, the weights as a list."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return values | {"weights": [float(w) for w in self.weights]}


def _paired(
    first: npt.ArrayLike, second: npt.ArrayLike, names: tuple[str, str]
) -> tuple[FloatArray, FloatArray]:
    """Two non-empty, finite 1-D arrays of one shape, or a ValueError naming them."""
    arrays = (np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64))
    for values, name in zip(arrays, names, strict=True):
        if values.ndim != 1 or values.size == 0:
            raise ValueError(f"{name} must be a non-empty 1-D array; got shape {values.shape}.")
        if not np.all(np.isfinite(values)):
            raise ValueError(f"{name} must be finite; got {values.tolist()}.")
    if arrays[0].shape != arrays[1].shape:
        raise ValueError(
            f"{names[0]} {arrays[0].shape} and {names[1]} {arrays[1].shape} differ in shape."
        )
    return arrays


def chi2_sf(x: float, df: int) -> float:
    """Upper tail P(X >= x) of the chi-squared distribution with ``df`` degrees of freedom.

    Closed forms for whole degrees of freedom (Abramowitz & Stegun 26.4.4-26.4.5),
    summed in log space; numpy and the standard library only.

    Parameters
    ----------
    x : float
        The statistic, at least 0.
    df : int
        Degrees of freedom, at least 1.

    Returns
    -------
    float

    Examples
    --------
    >>> round(chi2_sf(3.841458820694124, 1), 6)
    0.05
    >>> round(chi2_sf(2.0, 2), 6)  # exp(-1)
    0.367879
    """
    if df < 1:
        raise ValueError(f"df must be at least 1; got {df}.")
    if x <= 0:
        return 1.0
    half = x / 2
    if df % 2 == 0:
        terms = [i * math.log(half) - half - math.lgamma(i + 1) for i in range(df // 2)]
        return min(1.0, sum(math.exp(t) for t in terms))
    tail = math.erfc(math.sqrt(half))
    terms = [
        (i - 0.5) * math.log(half) - half - math.lgamma(i + 0.5) for i in range(1, (df + 1) // 2)
    ]
    return min(1.0, tail + sum(math.exp(t) for t in terms))


def random_effects(
    effects: npt.ArrayLike, variances: npt.ArrayLike, *, confidence: float = 0.95
) -> RandomEffects:
    """DerSimonian-Laird random-effects meta-analysis of effects with known variances.

    Parameters
    ----------
    effects : array_like of shape (k,)
        One effect per setting (e.g. Fisher's z of a correlation).
    variances : array_like of shape (k,)
        Their sampling variances, all positive.
    confidence : float, default 0.95
        Level of the confidence and prediction intervals, in (0, 1).

    Returns
    -------
    RandomEffects

    Raises
    ------
    ValueError
        For empty, mismatched or non-finite inputs, a variance that is not positive, or
        a confidence outside (0, 1).

    Examples
    --------
    >>> result = random_effects([0.2, 0.4, 0.9], [0.01, 0.02, 0.015])
    >>> round(result.tau2, 4), round(result.i2, 3), result.q_df
    (0.1289, 0.899, 2)
    """
    y, v = _paired(effects, variances, ("effects", "variances"))
    if not np.all(v > 0):
        raise ValueError(f"variances must be positive; got {v.tolist()}.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1); got {confidence}.")
    k = y.size
    w = 1.0 / v
    sum_w = float(w.sum())
    fixed = float(np.dot(w, y) / sum_w)
    q = float(np.dot(w, (y - fixed) ** 2))
    df = k - 1
    c = sum_w - float(np.dot(w, w)) / sum_w
    tau2 = max(0.0, (q - df) / c) if df > 0 and c > 0 else 0.0
    w_star = 1.0 / (v + tau2)
    sum_star = float(w_star.sum())
    estimate = float(np.dot(w_star, y) / sum_star)
    se = math.sqrt(1.0 / sum_star)
    quantile = NormalDist().inv_cdf((1 + confidence) / 2)
    spread = math.sqrt(tau2 + se**2)
    if df > 0:
        typical = df * sum_w / (sum_w**2 - float(np.dot(w, w)))
        i2 = tau2 / (tau2 + typical)
        h2 = (tau2 + typical) / typical
        pvalue = chi2_sf(q, df)
    else:
        i2, h2, pvalue = math.nan, 1.0, math.nan
    return RandomEffects(
        estimate=estimate,
        se=se,
        ci_low=estimate - quantile * se,
        ci_high=estimate + quantile * se,
        pi_low=estimate - quantile * spread,
        pi_high=estimate + quantile * spread,
        fixed_estimate=fixed,
        tau2=tau2,
        i2=i2,
        h2=h2,
        q=q,
        q_df=df,
        q_pvalue=pvalue,
        weights=w_star / sum_star,
        confidence=confidence,
    )


@dataclass(frozen=True)
class CorrelationMeta:
    """A random-effects summary of one correlation over several settings."""

    #: Pooled correlation (tanh of the random-effects mean of Fisher's z).
    r: float
    #: ci_low, ci_high: Its confidence interval, back-transformed.
    ci_low: float
    ci_high: float
    #: pi_low, pi_high: Prediction interval for the correlation in a new setting, back-transformed.
    pi_low: float
    pi_high: float
    #: Fixed-effect pooled correlation.
    fixed_r: float
    #: The analysis on Fisher's z scale (tau^2, I^2, H^2, Q, its p-value, weights).
    z: RandomEffects
    #: ndarray of shape (k,): The correlations pooled.
    correlations: FloatArray
    #: ndarray of shape (k,): Their numbers of models.
    n: npt.NDArray[np.int64]

    @property
    def tau2(self) -> float:
        """Between-setting variance of Fisher's z."""
        return self.z.tau2

    @property
    def i2(self) -> float:
        """Share of the variability of Fisher's z due to heterogeneity, in [0, 1]."""
        return self.z.i2

    @property
    def weights(self) -> FloatArray:
        """Random-effects weight of each setting, summing to 1."""
        return self.z.weights

    def to_dict(self) -> dict[str, Any]:
        """Raw values, JSON-ready."""
        return {
            "r": self.r,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "pi_low": self.pi_low,
            "pi_high": self.pi_high,
            "fixed_r": self.fixed_r,
            "tau2": self.z.tau2,
            "i2": self.z.i2,
            "h2": self.z.h2,
            "q": self.z.q,
            "q_df": self.z.q_df,
            "q_pvalue": self.z.q_pvalue,
            "weights": [float(w) for w in self.z.weights],
            "correlations": [float(r) for r in self.correlations],
            "n": [int(n) for n in self.n],
            "confidence": self.z.confidence,
        }


def meta_correlation(
    r: npt.ArrayLike, n: npt.ArrayLike, *, confidence: float = 0.95
) -> CorrelationMeta:
    """Pool correlations from several settings: DerSimonian-Laird on Fisher's z.

    Parameters
    ----------
    r : array_like of shape (k,)
        One correlation per setting, each in (-1, 1).
    n : array_like of shape (k,)
        Number of models behind each, each at least 4 (the variance of Fisher's z is
        1 / (n - 3)).
    confidence : float, default 0.95
        Level of the intervals.

    Returns
    -------
    CorrelationMeta

    Raises
    ------
    ValueError
        For a correlation outside (-1, 1), fewer than 4 models in a setting, or inputs
        of different lengths.

    Notes
    -----
    The variance 1 / (n - 3) is that of Fisher's z of a Pearson correlation; for a
    Spearman correlation (the paper's) it is the usual approximation, slightly small
    (Fieller, Hartley & Pearson 1957 give 1.06 / (n - 3)), so the intervals are, if
    anything, a little narrow.

    Examples
    --------
    >>> meta = meta_correlation([0.81, 0.70, 0.45, 0.62], [26, 27, 148, 27])
    >>> round(meta.r, 3), round(meta.i2, 2), meta.z.q_df
    (0.645, 0.71, 3)
    """
    rs, ns = _paired(r, n, ("r", "n"))
    if not np.all(np.abs(rs) < 1):
        raise ValueError(f"correlations must lie in (-1, 1); got {rs.tolist()}.")
    if not np.all(ns >= 4) or not np.all(ns == np.round(ns)):
        raise ValueError(f"each n must be a whole number of at least 4; got {ns.tolist()}.")
    z = random_effects(np.arctanh(rs), 1.0 / (ns - 3), confidence=confidence)
    return CorrelationMeta(
        r=math.tanh(z.estimate),
        ci_low=math.tanh(z.ci_low),
        ci_high=math.tanh(z.ci_high),
        pi_low=math.tanh(z.pi_low),
        pi_high=math.tanh(z.pi_high),
        fixed_r=math.tanh(z.fixed_estimate),
        z=z,
        correlations=rs,
        n=ns.astype(np.int64),
    )
