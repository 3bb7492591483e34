"""Permutation p-values for Spearman correlations with a fixed reference vector."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from safetywashing.stats.bootstrap import DRAW_BLOCK, block_generator
from safetywashing.stats.ranks import rank_average, rank_columns

FloatArray = npt.NDArray[np.float64]


def permutation_pvalues(
    reference: npt.ArrayLike,
    values: npt.ArrayLike,
    n_permutations: int,
    seed: np.random.SeedSequence,
    *,
    tag: int = 1,
) -> FloatArray:
    """Two-sided permutation p-value of the Spearman correlation of each column.

    The column's scores are permuted against the fixed reference (the capability score)
    over the models that have both; the p-value is
    ``(1 + #{|r_perm| >= |r_observed|}) / (1 + n_permutations)`` (never 0). Columns that
    share a missing-value pattern share permutations, so a batch of permutations is one
    matrix product. Rank numerators are multiples of 1/4 and compared exactly.

    Parameters
    ----------
    reference : array_like of shape (n,)
        NaN marks a model without a reference value.
    values : array_like of shape (n, J)
    n_permutations : int
    seed : numpy.random.SeedSequence
    tag : int, default 1
        Stream label under ``seed`` (the bootstrap uses 0).

    Returns
    -------
    ndarray of shape (J,)
        NaN where the correlation is undefined (fewer than 3 pairs, a constant side).
    """
    ref = np.asarray(reference, dtype=np.float64)
    x = np.asarray(values, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    p = np.full(x.shape[1], np.nan)
    retained = ~np.isnan(x) & ~np.isnan(ref)[:, None]
    patterns, inverse = np.unique(retained.T, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    for g in range(patterns.shape[0]):
        members = np.flatnonzero(inverse == g)
        rows = np.flatnonzero(patterns[g])
        size = rows.size
        if size < 3:
            continue
        middle = (size + 1) / 2.0
        ref_ranks = rank_average(ref[rows]) - middle
        ranks = rank_columns(x[np.ix_(rows, members)]) - middle
        observed = np.abs(ref_ranks @ ranks)
        defined = (np.abs(ref_ranks).sum() > 0) & (np.abs(ranks).sum(axis=0) > 0)
        exceed = np.zeros(members.size, dtype=np.int64)
        for block in range((n_permutations + DRAW_BLOCK - 1) // DRAW_BLOCK):
            generator = block_generator(seed, tag, block)
            order = np.argsort(generator.random((DRAW_BLOCK, size)), axis=1)
            order = order[: min(DRAW_BLOCK, n_permutations - block * DRAW_BLOCK)]
            permuted = np.abs(ref_ranks[order] @ ranks)
            exceed += (permuted >= observed).sum(axis=0)
        p[members] = np.where(defined, (1.0 + exceed) / (1.0 + n_permutations), np.nan)
    return p
