"""Permutation p-values for Spearman correlations with a fixed reference vector.

Permutation ``i`` of a test over ``m`` models is the ascending order of ``m`` uniform
keys, row ``i % DRAW_BLOCK`` of ``random((DRAW_BLOCK, m))`` drawn from a fresh
generator of block ``i // DRAW_BLOCK`` (:func:`~.resample.block_generator`). It depends
on the seed, the block and ``m`` only: not on the column, its missing-value pattern or
its reference. So every pattern of every test with the same number of models shares
one draw and one sort of keys per block (:class:`PermutationPlan`), with exactly the
permutations each pattern would have drawn alone, and a block's counts add up with any
other block's wherever they were computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
    share a missing-value pattern share a batch of permutations as one matrix product,
    and patterns of the same size share the draw (see the module's note). Rank
    numerators are multiples of 1/4 and compared exactly.

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
    plan = permutation_plan([(reference, values)])
    if blocks is None:
        blocks = range(permutation_blocks(n_permutations))
    (exceed,) = plan.counts(n_permutations, seed, tag=tag, blocks=blocks)
    return exceed, plan.defined[0]


@dataclass(frozen=True)
class _Pattern:
    """Columns of one test that share their models: centred ranks, observed sums."""

    test: int
    members: IntArray  # columns of the test
    reference_ranks: FloatArray  # (m,) centred
    ranks: FloatArray  # (m, J_p) centred
    observed: FloatArray  # (J_p,) |reference_ranks @ ranks|


@dataclass(frozen=True)
class PermutationPlan:
    """The permutation tests of several (reference, columns) pairs, grouped by size.

    Build with :func:`permutation_plan`; count with :meth:`counts`.
    """

    #: Columns of each test.
    widths: tuple[int, ...]
    #: Per test and column: False where the correlation is undefined (fewer than 3 pairs, a constant
    #: side).
    defined: tuple[BoolArray, ...]
    #: tuple of (int, tuple of _Pattern): Patterns by their number of models, ascending.
    by_size: tuple[tuple[int, tuple[_Pattern, ...]], ...]

    def counts(
        self,
        n_permutations: int,
        seed: np.random.SeedSequence,
        *,
        tag: int = 1,
        blocks: range,
    ) -> list[IntArray]:
        """Per test, the exceedance counts of every column over permutation ``blocks``.

        One draw and one sort of keys per block and size, shared by every pattern of
        that size (see the module's note).
        """
        exceed = [np.zeros(width, dtype=np.int64) for width in self.widths]
        for block in blocks:
            rows = min(DRAW_BLOCK, n_permutations - block * DRAW_BLOCK)
            for size, patterns in self.by_size:
                keys = block_generator(seed, tag, block).random((DRAW_BLOCK, size))
                order = np.argsort(keys[:rows], axis=1)
                for pattern in patterns:
                    permuted = np.abs(pattern.reference_ranks[order] @ pattern.ranks)
                    exceed[pattern.test][pattern.members] += (permuted >= pattern.observed).sum(
                        axis=0
                    )
        return exceed


def permutation_plan(tests: Sequence[tuple[npt.ArrayLike, npt.ArrayLike]]) -> PermutationPlan:
    """Ranks of every (reference, columns) test, by missing-value pattern and size.

    Parameters
    ----------
    tests : sequence of (array_like of shape (n,), array_like of shape (n, J_t))
        Each test's reference (NaN: a model without one) and its columns.

    Returns
    -------
    PermutationPlan
    """
    sized: dict[int, list[_Pattern]] = {}
    widths: list[int] = []
    defined: list[BoolArray] = []
    for test, (reference, values) in enumerate(tests):
        ref = np.asarray(reference, dtype=np.float64)
        x = np.asarray(values, dtype=np.float64)
        if x.ndim == 1:
            x = x[:, None]
        widths.append(x.shape[1])
        known = np.zeros(x.shape[1], dtype=bool)
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
            known[members] = (np.abs(ref_ranks).sum() > 0) & (np.abs(ranks).sum(axis=0) > 0)
            sized.setdefault(size, []).append(
                _Pattern(test, members, ref_ranks, ranks, np.abs(ref_ranks @ ranks))
            )
        defined.append(known)
    return PermutationPlan(
        widths=tuple(widths),
        defined=tuple(defined),
        by_size=tuple((size, tuple(sized[size])) for size in sorted(sized)),
    )


def pvalues_from_counts(exceed: IntArray, defined: BoolArray, n_permutations: int) -> FloatArray:
    """``(1 + exceed) / (1 + n_permutations)`` where defined, NaN elsewhere."""
    return np.where(defined, (1.0 + exceed) / (1.0 + n_permutations), np.nan)
