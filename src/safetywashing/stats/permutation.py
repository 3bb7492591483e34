"""Permutation p-values for Spearman correlations with a fixed reference vector."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from safetywashing.stats.ranks import rank_average, rank_columns
from safetywashing.stats.resample import DRAW_BLOCK, block_generator

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


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
    exceed, defined = permutation_counts(reference, values, n_permutations, seed, tag=tag)
    return pvalues_from_counts(exceed, defined, n_permutations)


def permutation_blocks(n_permutations: int) -> int:
    """How many blocks of :data:`DRAW_BLOCK` permutations ``n_permutations`` take."""
    return (n_permutations + DRAW_BLOCK - 1) // DRAW_BLOCK


def permutation_counts(
    reference: npt.ArrayLike,
    values: npt.ArrayLike,
    n_permutations: int,
    seed: np.random.SeedSequence,
    *,
    tag: int = 1,
    blocks: range | None = None,
) -> tuple[IntArray, BoolArray]:
    """Permuted correlations at least as extreme as the observed one, block by block.

    Permutation ``i`` comes from block ``i // DRAW_BLOCK`` of its own generator, so the
    counts of disjoint ranges of ``blocks`` add up to the counts of all of them, and a
    p-value can be assembled from chunks computed anywhere.

    Parameters
    ----------
    reference, values, n_permutations, seed, tag
        As in :func:`permutation_pvalues`.
    blocks : range, optional
        The blocks to count (all ``permutation_blocks(n_permutations)`` by default).

    Returns
    -------
    exceed : ndarray of int of shape (J,)
    defined : ndarray of bool of shape (J,)
        False where the correlation is undefined (fewer than 3 pairs, a constant side).
    """
    ref = np.asarray(reference, dtype=np.float64)
    x = np.asarray(values, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if blocks is None:
        blocks = range(permutation_blocks(n_permutations))
    exceed = np.zeros(x.shape[1], dtype=np.int64)
    defined = np.zeros(x.shape[1], dtype=bool)
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
        defined[members] = (np.abs(ref_ranks).sum() > 0) & (np.abs(ranks).sum(axis=0) > 0)
        for block in blocks:
            generator = block_generator(seed, tag, block)
            order = np.argsort(generator.random((DRAW_BLOCK, size)), axis=1)
            order = order[: min(DRAW_BLOCK, n_permutations - block * DRAW_BLOCK)]
            permuted = np.abs(ref_ranks[order] @ ranks)
            exceed[members] += (permuted >= observed).sum(axis=0)
    return exceed, defined


def pvalues_from_counts(exceed: IntArray, defined: BoolArray, n_permutations: int) -> FloatArray:
    """``(1 + exceed) / (1 + n_permutations)`` where defined, NaN elsewhere."""
    return np.where(defined, (1.0 + exceed) / (1.0 + n_permutations), np.nan)
