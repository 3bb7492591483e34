"""Item-level kernels: each item's correlation with a capability score, in bulk.

A benchmark's items are the columns of a models x items array (NaN where a model did not
answer an item). The kernels work on whole blocks of columns at once, so that 20,000
items over 1,000 models are a few matrix products rather than 20,000 calls:

- :func:`masked_pearson`: Pearson correlation of every column with one vector, over the
  rows where both are present (pairwise deletion, per column);
- :func:`item_correlations`: point-biserial (Pearson with the raw score) for 0/1 items,
  Spearman for graded ones (ranked by :func:`.ranks.rank_columns`), as the item
  analysis reports them;
- :func:`bootstrap_item_correlations`: percentile intervals from resampling models,
  chunked over items, with the resamples fixed by the seed alone (so chunks can run
  anywhere and agree);
- :func:`fisher_p_values`: two-sided p-values of "no correlation" from Fisher's z.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from safetywashing.stats.ranks import rank_columns

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Items per block of the bulk kernels: 1,000 models x 2,048 items is 16 MB per array.
DEFAULT_CHUNK = 2048


def masked_pearson(values: npt.ArrayLike, reference: npt.ArrayLike) -> tuple[FloatArray, IntArray]:
    """Pearson correlation of every column with ``reference``, pairwise-complete.

    Parameters
    ----------
    values : array_like of shape (n, k)
        NaN marks a missing cell.
    reference : array_like of shape (n,) or (n, k)
        One vector for every column, or one per column; NaN marks a missing value.

    Returns
    -------
    r : ndarray of shape (k,)
        NaN where fewer than 3 pairs remain or either side is constant over them.
    n : ndarray of shape (k,)
        Pairs used per column.
    """
    x = np.asarray(values, dtype=np.float64)
    y = np.asarray(reference, dtype=np.float64)
    if y.ndim == 1:
        y = np.broadcast_to(y[:, None], x.shape)
    present = ~(np.isnan(x) | np.isnan(y))
    count = present.sum(axis=0)
    weight = np.maximum(count, 1)
    xs = np.where(present, x, 0.0)
    ys = np.where(present, y, 0.0)
    # Centre each column on its own present mean first: sums of squares of centred
    # values are accurate where the textbook n*sxx - sx**2 cancels badly.
    xs = np.where(present, xs - xs.sum(axis=0) / weight, 0.0)
    ys = np.where(present, ys - ys.sum(axis=0) / weight, 0.0)
    sxy = np.einsum("ij,ij->j", xs, ys)
    sxx = np.einsum("ij,ij->j", xs, xs)
    syy = np.einsum("ij,ij->j", ys, ys)
    denominator = np.sqrt(sxx * syy)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = sxy / denominator
    # As pearson(): a spread whose squares underflow (a column of 1e-244 and zeros) has no
    # correlation, not the +-1 that dividing by the zero product gives.
    r[~(denominator > 0) | ~np.isfinite(denominator)] = np.nan
    # A constant side has zero spread up to rounding: test it exactly, as pearson() does.
    big = np.finfo(np.float64).max
    constant_x = np.where(present, x, big).min(axis=0) == np.where(present, x, -big).max(axis=0)
    constant_y = np.where(present, y, big).min(axis=0) == np.where(present, y, -big).max(axis=0)
    r[(count < 3) | constant_x | constant_y] = np.nan
    return np.clip(r, -1.0, 1.0), count.astype(np.int64)


def binary_columns(values: npt.ArrayLike) -> BoolArray:
    """Which columns hold only 0 and 1 (missing cells aside).

    Parameters
    ----------
    values : array_like of shape (n, k)

    Returns
    -------
    ndarray of bool, shape (k,)
    """
    x = np.asarray(values, dtype=np.float64)
    return np.asarray(np.all(np.isnan(x) | (x == 0.0) | (x == 1.0), axis=0))


def item_correlations(
    values: npt.ArrayLike,
    capability: npt.ArrayLike,
    graded: npt.ArrayLike | None = None,
    *,
    chunk: int = DEFAULT_CHUNK,
) -> tuple[FloatArray, IntArray]:
    """Each item's capabilities correlation: point-biserial for 0/1 items, else Spearman.

    Parameters
    ----------
    values : array_like of shape (n_models, n_items)
        Item scores; NaN where a model has no result for the item.
    capability : array_like of shape (n_models,)
        The capability score of each model (NaN: left out).
    graded : array_like of bool, shape (n_items,), optional
        Which items are graded (Spearman); by default every item that holds a value
        other than 0 and 1. Point-biserial is the Pearson correlation of the 0/1 item
        with the raw capability score.
    chunk : int
        Items per block.

    Returns
    -------
    r : ndarray of shape (n_items,)
    n : ndarray of shape (n_items,)

    Examples
    --------
    >>> r, n = item_correlations([[0, 1.0], [0, 2.0], [1, 3.0], [1, 5.0]], [1.0, 2.0, 3.0, 4.0])
    >>> r.round(3).tolist(), n.tolist()
    ([0.894, 1.0], [4, 4])
    """
    x = np.asarray(values, dtype=np.float64)
    y = np.asarray(capability, dtype=np.float64)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(
            f"item_correlations expects (n, k) items and (n,) scores; got {x.shape}, {y.shape}."
        )
    kinds = ~binary_columns(x) if graded is None else np.asarray(graded, dtype=bool)
    k = x.shape[1]
    r = np.full(k, np.nan)
    n = np.zeros(k, dtype=np.int64)
    for start in range(0, k, max(1, chunk)):
        block = slice(start, min(k, start + max(1, chunk)))
        r[block], n[block] = _block_correlations(x[:, block], y, kinds[block])
    return r, n


def _block_correlations(
    x: FloatArray, y: FloatArray, graded: BoolArray
) -> tuple[FloatArray, IntArray]:
    r = np.full(x.shape[1], np.nan)
    n = np.zeros(x.shape[1], dtype=np.int64)
    plain = np.flatnonzero(~graded)
    if plain.size:
        r[plain], n[plain] = masked_pearson(x[:, plain], y)
    ranked = np.flatnonzero(graded)
    if ranked.size:
        # Both sides are ranked over the rows where both are present, for each item.
        sub = np.where(np.isnan(y)[:, None], np.nan, x[:, ranked])
        reference = np.where(np.isnan(sub), np.nan, y[:, None])
        r[ranked], n[ranked] = masked_pearson(rank_columns(sub), rank_columns(reference))
    return r, n


def resample_indices(n_models: int, n_resamples: int, seed: int | None) -> IntArray:
    """The bootstrap's resamples of models: row ``b`` holds resample ``b``'s indices.

    They depend on the seed, the number of models and the number of resamples only,
    never on how the items are split into chunks, so chunks computed apart (on other
    processes or machines) use the same resamples and agree with a single run.
    """
    generator = np.random.default_rng(seed)
    return generator.integers(0, n_models, size=(n_resamples, n_models)).astype(np.int64)


def bootstrap_chunk(
    values: FloatArray, capability: FloatArray, graded: BoolArray, indices: IntArray
) -> FloatArray:
    """Replicates of the item correlations of one block of items: the unit of work.

    Parameters
    ----------
    values : ndarray of shape (n_models, k)
    capability : ndarray of shape (n_models,)
    graded : ndarray of bool, shape (k,)
    indices : ndarray of shape (n_resamples, n_models)
        From :func:`resample_indices`.

    Returns
    -------
    ndarray of shape (n_resamples, k)
    """
    out = np.empty((indices.shape[0], values.shape[1]))
    for b, rows in enumerate(indices):
        out[b], _ = _block_correlations(values[rows], capability[rows], graded)
    return out


def bootstrap_item_correlations(
    values: npt.ArrayLike,
    capability: npt.ArrayLike,
    graded: npt.ArrayLike | None = None,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | None = None,
    chunk: int = 256,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Percentile bootstrap intervals of every item's correlation, resampling models.

    The resamples come from :func:`resample_indices` (the seed alone fixes them) and the
    items are processed in blocks of ``chunk`` with :func:`bootstrap_chunk`, reduced to
    their quantiles at once, so memory stays at one block's replicates. The blocks are
    independent: a distributed engine can farm them out and concatenate.

    Returns
    -------
    low, high : ndarray of shape (n_items,)
        NaN where fewer than half the resamples give a correlation.
    """
    x = np.asarray(values, dtype=np.float64)
    y = np.asarray(capability, dtype=np.float64)
    kinds = ~binary_columns(x) if graded is None else np.asarray(graded, dtype=bool)
    indices = resample_indices(x.shape[0], n_resamples, seed)
    k = x.shape[1]
    low = np.full(k, np.nan)
    high = np.full(k, np.nan)
    tail = (1.0 - confidence) / 2.0
    step = max(1, chunk)
    for start in range(0, k, step):
        block = slice(start, min(k, start + step))
        replicates = bootstrap_chunk(x[:, block], y, kinds[block], indices)
        enough = np.sum(~np.isnan(replicates), axis=0) >= max(1, n_resamples // 2)
        if enough.any():
            with np.errstate(invalid="ignore"):
                quantiles = np.nanquantile(replicates[:, enough], [tail, 1.0 - tail], axis=0)
            positions = np.arange(block.start, block.stop)[enough]
            low[positions], high[positions] = quantiles[0], quantiles[1]
        if progress is not None:
            progress(block.stop, k)
    return low, high


def fisher_p_values(
    r: npt.ArrayLike, n: npt.ArrayLike, *, spearman: npt.ArrayLike | None = None
) -> FloatArray:
    """Two-sided p-values of zero correlation from Fisher's z (normal approximation).

    ``z = atanh(r) * sqrt(n - 3)``; for Spearman coefficients the standard error is
    Fieller's ``sqrt(1.06 / (n - 3))``. NaN where ``r`` is NaN or ``n < 4``.
    """
    rr = np.asarray(r, dtype=np.float64)
    nn = np.asarray(n, dtype=np.float64)
    factor = (
        np.ones(rr.shape) if spearman is None else np.where(np.asarray(spearman, bool), 1.06, 1.0)
    )
    out = np.full(rr.shape, np.nan)
    ok = ~np.isnan(rr) & (nn >= 4)
    z = np.arctanh(np.clip(rr[ok], -0.999999, 0.999999)) * np.sqrt((nn[ok] - 3.0) / factor[ok])
    out[ok] = [math.erfc(abs(value) / math.sqrt(2.0)) for value in z]
    return out


def two_way_resamples(
    n_models: int, n_items: int, n_resamples: int, seed: int | None
) -> tuple[IntArray, IntArray]:
    """Resamples of models (indices) and of items (counts) for the two-way bootstrap.

    Returns
    -------
    models : ndarray of shape (n_resamples, n_models)
        Indices of the models drawn with replacement.
    item_counts : ndarray of shape (n_resamples, n_items)
        How often each item is drawn (multinomial counts summing to ``n_items``).
    """
    generator = np.random.default_rng(seed)
    models = generator.integers(0, n_models, size=(n_resamples, n_models)).astype(np.int64)
    items = generator.integers(0, n_items, size=(n_resamples, n_items))
    counts = np.zeros((n_resamples, n_items), dtype=np.int64)
    for b in range(n_resamples):
        counts[b] = np.bincount(items[b], minlength=n_items)
    return models, counts


def score_sums(
    values: FloatArray, item_counts: IntArray, *, chunk: int = DEFAULT_CHUNK
) -> tuple[FloatArray, FloatArray]:
    """Each model's item-score total and item count under each item resample.

    Blocks of items add up, so a distributed engine can compute the blocks apart and sum
    them.

    Returns
    -------
    totals, counts : ndarray of shape (n_models, n_resamples)
    """
    n, k = values.shape
    totals = np.zeros((n, item_counts.shape[0]))
    counts = np.zeros((n, item_counts.shape[0]))
    weights = item_counts.T.astype(np.float64)
    for start in range(0, k, max(1, chunk)):
        block = slice(start, min(k, start + max(1, chunk)))
        x = values[:, block]
        present = ~np.isnan(x)
        totals += np.where(present, x, 0.0) @ weights[block]
        counts += present.astype(np.float64) @ weights[block]
    return totals, counts


def bootstrap_benchmark_correlation(
    values: npt.ArrayLike,
    capability: npt.ArrayLike,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | None = None,
) -> tuple[float, float]:
    """Percentile interval of the benchmark score's Spearman correlation, two-way.

    Every resample draws the models *and* the items with replacement: the benchmark's
    score of a model is its mean over the drawn items (each counted as often as drawn),
    correlated with the capability score over the drawn models. The interval so covers
    both the sampling of models and the sampling of items from the benchmark's domain.

    Returns
    -------
    low, high : float
        NaN when fewer than half the resamples give a correlation.
    """
    from safetywashing.stats.correlation import correlation

    x = np.asarray(values, dtype=np.float64)
    y = np.asarray(capability, dtype=np.float64)
    models, item_counts = two_way_resamples(x.shape[0], x.shape[1], n_resamples, seed)
    totals, counts = score_sums(x, item_counts)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, totals / counts, np.nan)
    replicates = np.array(
        [correlation(means[rows, b], y[rows])[0] for b, rows in enumerate(models)]
    )
    usable = replicates[~np.isnan(replicates)]
    if usable.size < max(1, n_resamples // 2):
        return float("nan"), float("nan")
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(usable, [tail, 1.0 - tail])
    return float(low), float(high)
