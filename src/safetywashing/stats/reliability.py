"""Internal reliability of a set of items: Cronbach's alpha and the split-half coefficient.

Both take a models x items array with NaN for missing cells. Alpha needs every cell: a
missing cell is filled with its item's mean over the models that have it (which pulls
alpha down a little, never up). The split-half coefficient scores each half as the mean
of a model's present items, so it needs no filling.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
ReliabilityMethod = Literal["alpha", "split-half"]
RELIABILITY_METHODS: tuple[ReliabilityMethod, ...] = ("alpha", "split-half")


def cronbach_alpha(values: npt.ArrayLike) -> float:
    """Cronbach's alpha of the items (columns) over the models (rows).

    ``alpha = k / (k - 1) * (1 - sum of item variances / variance of the total)``, with
    population variances (ddof = 0; the ratio does not depend on the choice).

    Parameters
    ----------
    values : array_like of shape (n_models, n_items)

    Returns
    -------
    float
        NaN with fewer than 2 items or 2 models, or a constant total.

    Examples
    --------
    >>> round(cronbach_alpha([[1, 1, 0], [1, 1, 1], [0, 0, 0], [1, 0, 1]]), 4)
    0.6316
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 2 or x.shape[0] < 2:
        return float("nan")
    present = ~np.isnan(x)
    counts = present.sum(axis=0)
    keep = counts > 0
    x = x[:, keep]
    present = present[:, keep]
    k = x.shape[1]
    if k < 2:
        return float("nan")
    means = np.where(present, x, 0.0).sum(axis=0) / present.sum(axis=0)
    filled = np.where(present, x, means)
    total_variance = float(filled.sum(axis=1).var())
    if total_variance == 0.0:
        return float("nan")
    return float(k / (k - 1.0) * (1.0 - filled.var(axis=0).sum() / total_variance))


def split_half(values: npt.ArrayLike, *, seed: int | None = 0) -> float:
    """Split-half reliability, Spearman-Brown corrected, over a random split of the items.

    The items are split into two halves at random (seeded); each model's half score is
    the mean of its present items in that half; the Pearson correlation ``r`` of the
    halves over the models is stepped up to the full length as ``2 r / (1 + r)``.

    Returns
    -------
    float
        NaN with fewer than 2 items or 3 models with both halves.
    """
    from safetywashing.stats.correlation import pearson

    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 2:
        return float("nan")
    order = np.random.default_rng(seed).permutation(x.shape[1])
    halves = [order[::2], order[1::2]]
    scores = [_row_means(x[:, half]) for half in halves]
    both = ~(np.isnan(scores[0]) | np.isnan(scores[1]))
    if both.sum() < 3:
        return float("nan")
    r = pearson(scores[0][both], scores[1][both])
    if np.isnan(r) or r <= -1.0:
        return float("nan")
    return float(2.0 * r / (1.0 + r))


def reliability(values: npt.ArrayLike, method: ReliabilityMethod = "alpha") -> float:
    """Internal reliability by ``method``: ``"alpha"`` or ``"split-half"``."""
    if method == "alpha":
        return cronbach_alpha(values)
    if method == "split-half":
        return split_half(values)
    raise ValueError(f"Unknown reliability {method!r}; use one of {RELIABILITY_METHODS}.")


def _row_means(x: FloatArray) -> FloatArray:
    present = ~np.isnan(x)
    counts = present.sum(axis=1)
    totals = np.where(present, x, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, totals / np.maximum(counts, 1), np.nan)


def row_means(values: npt.ArrayLike) -> FloatArray:
    """Each row's mean over its present cells (NaN for a row with none): a subset score."""
    return _row_means(np.asarray(values, dtype=np.float64))
