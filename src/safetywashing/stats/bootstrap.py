"""Batched bootstrap kernels: the whole audit pipeline refit for many resamples at once.

A bootstrap resample over ``n`` models is a vector of counts ``c`` (how often each
original model is drawn; they sum to ``n``). Every statistic of the audit is a function
of the *weighted* sample in which model ``i`` appears ``c_i`` times, so a batch of
resamples is a ``(B, n)`` array of counts and no resample is ever materialised.

Ranks from counts
-----------------
Spearman correlations use average ranks ("mid-ranks") of the materialised sample. In the
weighted sample, a model with value ``x_i`` is tied with its own copies and with every
model of equal value, so its average rank is::

    rank_i = sum_k w_k [x_k < x_i] + (sum_k w_k [x_k == x_i] + 1) / 2

with ``w_k = c_k`` for models retained in the pair and 0 for missing cells. This is
exactly the rank that ``scipy.stats.rankdata(method="average")`` gives every copy of
model ``i`` in ``numpy.repeat(x, c)``. For a fixed column it is *linear in the counts*:
``rank = c @ M + 1/2`` with ``M[k, i] = [x_k < x_i] + [x_k == x_i] / 2``, a matrix that
depends only on the column's sorted order. All columns of a group are stacked into one
``(n, n * J)`` operator, so the ranks of a whole batch of resamples and benchmarks are
one matrix product, with no sort per resample.

All rank sums are multiples of 1/4 well below 2**53, so numerators and sums of squares
are exact in float64: results do not depend on the batch size or summation order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
MatrixKind = Literal["spearman", "pearson", "covariance"]

DRAW_BLOCK = 1024
"""Resamples drawn per generator block; fixed so that results do not depend on chunking."""


# -- drawing resamples ---------------------------------------------------------------------


def _block_generator(seed: np.random.SeedSequence, tag: int, block: int) -> np.random.Generator:
    child = np.random.SeedSequence(
        entropy=seed.entropy, spawn_key=(*seed.spawn_key, tag, block), pool_size=seed.pool_size
    )
    return np.random.default_rng(child)


def draw_counts(
    seed: np.random.SeedSequence,
    start: int,
    stop: int,
    *,
    n_models: int,
    clusters: IntArray | None = None,
    tag: int = 0,
) -> FloatArray:
    """Bootstrap counts for resamples ``start`` to ``stop - 1`` of a reproducible stream.

    Resample ``b`` always comes from block ``b // DRAW_BLOCK`` of its own generator, so
    the counts of a resample do not depend on how the stream is cut into chunks.

    Parameters
    ----------
    seed : numpy.random.SeedSequence
        Root of the stream.
    start, stop : int
        Half-open range of resample numbers.
    n_models : int
    clusters : ndarray of int of shape (n_models,), optional
        Cluster (e.g. model family) of each model, numbered 0..G-1. When given, whole
        clusters are drawn with replacement (G draws) and every model of a drawn
        cluster enters the resample.
    tag : int, default 0
        Separates independent streams from the same root.

    Returns
    -------
    ndarray of shape (stop - start, n_models)
        Counts as floats.
    """
    parts: list[FloatArray] = []
    first_block = start // DRAW_BLOCK
    last_block = (stop - 1) // DRAW_BLOCK if stop > start else first_block - 1
    units = n_models if clusters is None else int(clusters.max()) + 1
    for block in range(first_block, last_block + 1):
        generator = _block_generator(seed, tag, block)
        indices = generator.integers(0, units, size=(DRAW_BLOCK, units))
        lo = max(start, block * DRAW_BLOCK) - block * DRAW_BLOCK
        hi = min(stop, (block + 1) * DRAW_BLOCK) - block * DRAW_BLOCK
        parts.append(counts_from_indices(indices[lo:hi], units))
    counts = np.concatenate(parts) if parts else np.zeros((0, units))
    if clusters is None:
        return counts
    membership = np.zeros((units, n_models))
    membership[clusters, np.arange(n_models)] = 1.0
    return np.asarray(counts @ membership, dtype=np.float64)


def counts_from_indices(indices: npt.ArrayLike, n_models: int) -> FloatArray:
    """Turn resample indices ``(B, m)`` into counts ``(B, n_models)``.

    Examples
    --------
    >>> counts_from_indices([[0, 0, 2]], 3).tolist()
    [[2.0, 0.0, 1.0]]
    """
    idx = np.asarray(indices, dtype=np.int64)
    rows = idx.shape[0]
    flat = (idx + (np.arange(rows, dtype=np.int64) * n_models)[:, None]).ravel()
    return np.bincount(flat, minlength=rows * n_models).reshape(rows, n_models).astype(np.float64)


def jackknife_counts(n_models: int, clusters: IntArray | None = None) -> FloatArray:
    """Leave-one-out counts: one row per left-out model (or cluster)."""
    if clusters is None:
        return np.asarray(1.0 - np.eye(n_models), dtype=np.float64)
    groups = int(clusters.max()) + 1
    return np.asarray(clusters[None, :] != np.arange(groups)[:, None], dtype=np.float64)


# -- rank operators -------------------------------------------------------------------------


def rank_operator(values: FloatArray, retained: BoolArray) -> FloatArray:
    """The matrix that turns counts into weighted average ranks of fixed columns.

    Parameters
    ----------
    values : ndarray of shape (n, J)
        Columns to rank; entries outside ``retained`` are ignored.
    retained : ndarray of bool of shape (n,) or (n, J)
        Models that take part in each column's ranking.

    Returns
    -------
    ndarray of shape (n, n * J)
        ``counts @ operator + 0.5 * retained`` (reshaped to ``(B, n, J)``) are the
        average ranks of each retained model in each resample, and 0 elsewhere.
    """
    x = np.where(np.isnan(values), 0.0, values)
    keep = np.broadcast_to(retained if retained.ndim == 2 else retained[:, None], x.shape)
    below = (x[:, None, :] < x[None, :, :]).astype(np.float64)
    below += 0.5 * (x[:, None, :] == x[None, :, :])
    below *= keep[:, None, :] & keep[None, :, :]
    return np.ascontiguousarray(below.reshape(x.shape[0], -1))


def _spearman_from_sums(
    cross: FloatArray,
    squares_x: FloatArray,
    squares_y: FloatArray,
    weight: FloatArray,
    distinct: FloatArray,
) -> FloatArray:
    # Undefined, as in the audit, with fewer than 3 distinct models: copies of two
    # models would otherwise give a spurious +-1.
    mean_term = weight * ((weight + 1.0) / 2.0) ** 2
    var_x = squares_x - mean_term
    var_y = squares_y - mean_term
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (cross - mean_term) / np.sqrt(var_x * var_y)
    bad = (distinct < 3) | ~(var_x > 0) | ~(var_y > 0)
    return np.asarray(np.where(bad, np.nan, np.clip(r, -1.0, 1.0)), dtype=np.float64)


# -- the plan: everything that does not change between resamples -----------------------------


@dataclass(frozen=True)
class _Group:
    """Columns ranked against one reference ranking over one retained set."""

    columns: IntArray  # positions in the output
    retained: FloatArray  # (n,) 0/1
    operator: FloatArray  # (n, n * J_g)
    offset: FloatArray  # (n * J_g,) 0.5 where retained
    reference: FloatArray | None  # (n, n) comparison matrix of a fixed reference, or None


@dataclass(frozen=True)
class BootstrapPlan:
    """Precomputed operators for refitting one model class's audit on counts.

    Build with :func:`make_plan`; evaluate with :meth:`evaluate`.
    """

    n_models: int
    kind: MatrixKind
    capability: FloatArray  # (n, k), zeros where the model is excluded
    complete: FloatArray  # (n,) 0/1
    capability_operator: FloatArray  # (n, n * k)
    reference_loadings: FloatArray  # (k,)
    duplicate_of: IntArray  # (n,) first model with an identical capability row
    score_groups: tuple[_Group, ...]
    fixed_groups: tuple[_Group, ...]
    compute_groups: tuple[_Group, ...]
    n_targets: int
    n_compute: int
    score_flop_group: _Group | None = field(default=None)

    def evaluate(self, counts: FloatArray) -> dict[str, FloatArray]:
        """Refit the pipeline on every resample of a batch.

        Parameters
        ----------
        counts : ndarray of shape (B, n)

        Returns
        -------
        dict
            ``"capabilities"`` (B, J) capabilities correlations; ``"compute"`` (B, J_c)
            compute correlations; ``"variance_explained"`` (B,) top eigenvalue share;
            ``"score_compute"`` (B,) capability score vs FLOP; ``"valid"`` (B,) bool,
            False where the resample left too few distinct models or a constant
            capability column.
        """
        counts = np.asarray(counts, dtype=np.float64)
        batch = counts.shape[0]
        scores, share, valid = self._scores(counts)
        capabilities = np.full((batch, self.n_targets), np.nan)
        if self.score_groups:
            greater = (scores[:, :, None] < scores[:, None, :]).astype(np.float64)
            greater += 0.5 * (scores[:, :, None] == scores[:, None, :])
            for group in self.score_groups:
                capabilities[:, group.columns] = _group_spearman(counts, group, greater)
            capabilities[~valid] = np.nan
        for group in self.fixed_groups:
            capabilities[:, group.columns] = _group_spearman(counts, group, None)
        compute = np.full((batch, self.n_compute), np.nan)
        for group in self.compute_groups:
            compute[:, group.columns] = _group_spearman(counts, group, None)
        score_compute = np.full(batch, np.nan)
        if self.score_flop_group is not None and self.score_groups:
            score_compute = _group_spearman(counts, self.score_flop_group, greater)[:, 0]
            score_compute[~valid] = np.nan
        share[~valid] = np.nan
        return {
            "capabilities": capabilities,
            "compute": compute,
            "variance_explained": share,
            "score_compute": score_compute,
            "valid": valid,
        }

    def _scores(self, counts: FloatArray) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
        n, k = self.capability.shape
        weights = counts * self.complete
        total = weights.sum(axis=1)
        x = self.capability
        # Weighted moments by elementwise products and axis sums: deterministic per row.
        mean = (weights[:, :, None] * x[None, :, :]).sum(axis=1) / total[:, None]
        centered = x[None, :, :] - mean[:, None, :]
        variance = (weights[:, :, None] * centered**2).sum(axis=1) / total[:, None]
        drawn = (weights > 0)[:, :, None]
        lowest = np.where(drawn, x[None, :, :], np.inf).min(axis=1)
        highest = np.where(drawn, x[None, :, :], -np.inf).max(axis=1)
        valid = ((weights > 0).sum(axis=1) >= 3) & np.all(highest > lowest, axis=1)
        std = np.sqrt(np.where(variance > 0, variance, 1.0))
        if self.kind == "spearman":
            ranks = (counts @ self.capability_operator).reshape(-1, n, k)
            ranks += 0.5 * self.complete[None, :, None]
            ranks -= ((total + 1.0) / 2.0)[:, None, None]
            ranks *= self.complete[None, :, None]
            weighted = ranks * counts[:, :, None]
            matrix = np.matmul(weighted.transpose(0, 2, 1), ranks)
        else:
            scaled = centered / std[:, None, :] * self.complete[None, :, None]
            matrix = np.matmul((scaled * weights[:, :, None]).transpose(0, 2, 1), scaled)
            matrix /= total[:, None, None]
        diagonal = np.einsum("bii->bi", matrix)
        safe = np.where(diagonal > 0, diagonal, 1.0)
        if self.kind != "covariance":
            matrix = matrix / np.sqrt(safe[:, :, None] * safe[:, None, :])
            idx = np.arange(k)
            matrix[:, idx, idx] = 1.0
        valid &= np.all(diagonal > 0, axis=1)
        matrix[~valid] = np.eye(k)
        eigenvalues, eigenvectors = np.linalg.eigh(matrix)
        loadings = eigenvectors[:, :, -1]
        sign = np.where(loadings @ self.reference_loadings >= 0, 1.0, -1.0)
        loadings = loadings * sign[:, None]
        z = centered / std[:, None, :]
        scores = (z * loadings[:, None, :]).sum(axis=2)
        scores = scores[:, self.duplicate_of]
        trace = np.einsum("bii->b", matrix)
        share = eigenvalues[:, -1] / trace
        return scores, share, valid


def _group_spearman(counts: FloatArray, group: _Group, greater: FloatArray | None) -> FloatArray:
    n = counts.shape[1]
    weights = counts * group.retained
    if group.reference is None:
        assert greater is not None
        reference_ranks = np.einsum("bk,bki->bi", weights, greater) + 0.5
    else:
        reference_ranks = weights @ group.reference + 0.5
    reference_ranks *= group.retained
    ranks = counts @ group.operator
    ranks += group.offset
    ranks = ranks.reshape(counts.shape[0], n, -1)
    total = weights.sum(axis=1)
    distinct = (weights > 0).sum(axis=1).astype(np.float64)
    cross = np.einsum("bi,bij->bj", counts * reference_ranks, ranks)
    ranks *= ranks
    squares = np.einsum("bi,bij->bj", counts, ranks)
    reference_squares = (weights * reference_ranks**2).sum(axis=1)
    return _spearman_from_sums(
        cross,
        squares,
        reference_squares[:, None],
        np.broadcast_to(total[:, None], cross.shape),
        np.broadcast_to(distinct[:, None], cross.shape),
    )


def _comparison(values: FloatArray) -> FloatArray:
    x = np.where(np.isnan(values), 0.0, values)
    below = (x[:, None] < x[None, :]).astype(np.float64)
    below += 0.5 * (x[:, None] == x[None, :])
    return np.asarray(below, dtype=np.float64)


def _groups_by_pattern(
    values: FloatArray,
    retained: BoolArray,
    columns: IntArray,
    reference: FloatArray | None,
) -> list[_Group]:
    groups: list[_Group] = []
    if values.shape[1] == 0:
        return groups
    patterns, inverse = np.unique(retained.T, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    for p in range(patterns.shape[0]):
        members = np.flatnonzero(inverse == p)
        mask = patterns[p].astype(bool)
        operator = rank_operator(values[:, members], mask)
        offset = np.repeat(0.5 * mask.astype(np.float64), members.size)
        reference_matrix = None
        if reference is not None:
            reference_matrix = _comparison(reference) * (mask[:, None] & mask[None, :])
        groups.append(
            _Group(
                columns=columns[members],
                retained=mask.astype(np.float64),
                operator=operator,
                offset=offset,
                reference=reference_matrix,
            )
        )
    return groups


def duplicate_rows(x: FloatArray, complete: BoolArray) -> IntArray:
    """For each row, the first complete row equal to it (itself if none; incomplete rows
    map to themselves). Models with identical capability rows get identical scores.

    One sort of the rows instead of comparing every pair (10,000 models: 50 million
    comparisons in Python).

    Examples
    --------
    >>> x = np.array([[1.0, 2.0], [0.0, 1.0], [1.0, 2.0], [-0.0, 1.0]])
    >>> duplicate_rows(x, np.array([True, True, True, True])).tolist()
    [0, 1, 0, 1]
    """
    duplicate_of = np.arange(x.shape[0], dtype=np.int64)
    rows = np.flatnonzero(complete)
    if rows.size:
        # + 0.0 turns -0.0 into 0.0, so that equal values have equal bytes for unique().
        _, first, inverse = np.unique(x[rows] + 0.0, axis=0, return_index=True, return_inverse=True)
        duplicate_of[rows] = rows[first[np.asarray(inverse).ravel()]]
    return duplicate_of


def make_plan(
    capability: FloatArray,
    targets: FloatArray,
    *,
    reference_loadings: FloatArray,
    kind: MatrixKind = "spearman",
    references: Sequence[FloatArray | None] | None = None,
    flop: FloatArray | None = None,
) -> BootstrapPlan:
    """Precompute everything the refit needs for one model class.

    Parameters
    ----------
    capability : ndarray of shape (n, k)
        Oriented capability scores of all models of the class, cells the audit imputed
        filled in; a row with a NaN (a model the audit left out) takes no part in the
        capability score.
    targets : ndarray of shape (n, J)
        Oriented scores of the benchmarks whose correlations are bootstrapped.
    reference_loadings : ndarray of shape (k,)
        Full-data PC1 loadings; each resample's PC1 is signed to agree with them.
    kind : {"spearman", "pearson", "covariance"}
        Matrix whose top eigenvector is the capability component.
    references : sequence of (ndarray of shape (n,) or None), optional
        Per target, a fixed reference column to correlate with instead of the
        capability score (the paper's calibration benchmarks).
    flop : ndarray of shape (n,), optional
        Training FLOP; enables compute correlations.

    Returns
    -------
    BootstrapPlan
    """
    n = capability.shape[0]
    complete_mask: BoolArray = np.asarray(~np.isnan(capability).any(axis=1), dtype=bool)
    x = np.where(complete_mask[:, None], capability, 0.0)
    duplicate_of = duplicate_rows(x, complete_mask)
    targets = np.asarray(targets, dtype=np.float64)
    n_targets = targets.shape[1]
    refs: list[FloatArray | None] = (
        list(references) if references is not None else [None] * n_targets
    )
    present = ~np.isnan(targets)
    score_columns = np.array([j for j in range(n_targets) if refs[j] is None], dtype=np.int64)
    score_groups = _groups_by_pattern(
        targets[:, score_columns],
        present[:, score_columns] & complete_mask[:, None],
        score_columns,
        None,
    )
    fixed_groups: list[_Group] = []
    seen: dict[bytes, list[int]] = {}
    for j in range(n_targets):
        ref = refs[j]
        if ref is not None:
            seen.setdefault(np.asarray(ref, dtype=np.float64).tobytes(), []).append(j)
    for members_list in seen.values():
        members = np.asarray(members_list, dtype=np.int64)
        ref = np.asarray(refs[int(members[0])], dtype=np.float64)
        fixed_groups += _groups_by_pattern(
            targets[:, members], present[:, members] & ~np.isnan(ref)[:, None], members, ref
        )
    compute_groups: list[_Group] = []
    score_flop_group = None
    n_compute = 0
    if flop is not None:
        has_flop = ~np.isnan(flop)
        n_compute = n_targets
        compute_groups = _groups_by_pattern(
            targets, present & has_flop[:, None], np.arange(n_targets, dtype=np.int64), flop
        )
        flop_column = flop[:, None]
        score_flop_group = _groups_by_pattern(
            flop_column, (has_flop & complete_mask)[:, None], np.zeros(1, dtype=np.int64), None
        )[0]
    return BootstrapPlan(
        n_models=n,
        kind=kind,
        capability=x,
        complete=np.asarray(complete_mask, dtype=np.float64),
        capability_operator=rank_operator(x, complete_mask),
        reference_loadings=np.asarray(reference_loadings, dtype=np.float64),
        duplicate_of=duplicate_of,
        score_groups=tuple(score_groups),
        fixed_groups=tuple(fixed_groups),
        compute_groups=tuple(compute_groups),
        n_targets=n_targets,
        n_compute=n_compute,
        score_flop_group=score_flop_group,
    )
