"""Batched bootstrap kernels: the whole audit pipeline refit for many resamples at once.

A bootstrap resample over ``n`` models is a vector of counts ``c`` (how often each
original model is drawn; they sum to ``n``; :mod:`.resample` draws them). Every
statistic of the audit is a function of the *weighted* sample in which model ``i``
appears ``c_i`` times, so a batch of resamples is a ``(B, n)`` array of counts and no
resample is ever materialised. Spearman correlations use the average ranks of that
sample, which :mod:`.weighted_ranks` computes from the counts.

All rank sums are multiples of 1/4 well below 2**53, so numerators and sums of squares
are exact in float64: results do not depend on the batch size or summation order.

The plan (:func:`make_plan`) holds everything that does not change between resamples.
Up to :data:`COUNTS_KERNEL_MAX_MODELS` models (where it is faster) and
:data:`OPERATOR_BYTES` of operators, it stacks the columns of a group into one
``(n, n * J)`` rank operator, so the ranks of a batch of resamples and benchmarks are
one matrix product with no sort per resample (the *counts* kernel). The operators hold
``n * n * J`` numbers: 10,000 models and 100 benchmarks would need 80 GB, and the
capability score's comparison matrix ``(B, n, n)`` per batch as much again. Above
either bound the plan keeps each fixed column's ascending order and runs of ties, and a
resample's ranks come from one cumulative sum of its counts along that order (O(n) per
column and resample); the capability scores, which change with every resample, are
sorted once per resample (the *sorted* kernel). Memory is then O(B_chunk x n x J), with
``evaluate`` splitting a large batch. Both give the same exact ranks and every later sum
is exact, so both kernels give the same bytes for the same counts (tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from safetywashing.stats.resample import (
    DRAW_BLOCK,
    block_generator,
    counts_from_indices,
    draw_counts,
    jackknife_counts,
)
from safetywashing.stats.weighted_ranks import (
    SortedOrder,
    column_order,
    cumulative_ranks,
    rank_operator,
    resample_ranks,
    sorted_order,
)

__all__ = [
    "COUNTS_KERNEL_MAX_MODELS",
    "DRAW_BLOCK",
    "OPERATOR_BYTES",
    "SORTED_BATCH_CELLS",
    "BootstrapPlan",
    "block_generator",
    "counts_from_indices",
    "draw_counts",
    "duplicate_rows",
    "jackknife_counts",
    "make_plan",
    "rank_operator",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
MatrixKind = Literal["spearman", "pearson", "covariance"]

COUNTS_KERNEL_MAX_MODELS = 16
"""Up to this many models plans use the operators (the counts kernel); above, the sorted
kernel. Measured by ``benchmarks/bench_bootstrap_kernels.py`` (12 capability benchmarks,
20 targets, per resample): 10 models 0.15 ms against 0.21 ms, 15 models even, 26 models
0.69 ms against 0.29 ms, 400 models 278 ms against 4.6 ms."""

OPERATOR_BYTES = 1 << 28
"""Whatever the number of models, plans whose operators (n * n * (J + k) * 8 bytes) would
pass this use the sorted kernel."""

SORTED_BATCH_CELLS = 1 << 23
"""The sorted kernel evaluates at most this many resample x model x column cells at once."""


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
    operator: FloatArray | None  # (n, n * J_g); None in the sorted kernel
    offset: FloatArray  # (n * J_g,) 0.5 where retained
    reference: FloatArray | None  # (n, n) comparison matrix of a fixed reference, or None
    ordering: SortedOrder | None = None  # the sorted kernel: the columns' orders
    reference_ordering: SortedOrder | None = None  # ... and the fixed reference's


@dataclass(frozen=True)
class BootstrapPlan:
    """Precomputed operators for refitting one model class's audit on counts.

    Build with :func:`make_plan`; evaluate with :meth:`evaluate`.
    """

    n_models: int
    kind: MatrixKind
    capability: FloatArray  # (n, k), zeros where the model is excluded
    complete: FloatArray  # (n,) 0/1
    capability_operator: FloatArray | None  # (n, n * k); None in the sorted kernel
    reference_loadings: FloatArray  # (k,)
    duplicate_of: IntArray  # (n,) first model with an identical capability row
    score_groups: tuple[_Group, ...]
    fixed_groups: tuple[_Group, ...]
    compute_groups: tuple[_Group, ...]
    n_targets: int
    n_compute: int
    score_flop_group: _Group | None = field(default=None)
    capability_ordering: SortedOrder | None = field(default=None)

    @property
    def kernel(self) -> Literal["counts", "sorted"]:
        """Which kernel evaluates the plan (see :data:`OPERATOR_BYTES`)."""
        return "counts" if self.capability_operator is not None else "sorted"

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
        if self.kernel == "sorted":
            width = self.n_models * max(self.n_targets, self.capability.shape[1], 1)
            step = max(1, SORTED_BATCH_CELLS // width)
            if batch > step:
                parts = [self.evaluate(counts[i : i + step]) for i in range(0, batch, step)]
                return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
        scores, share, valid = self._scores(counts)
        capabilities = np.full((batch, self.n_targets), np.nan)
        greater: FloatArray | SortedOrder | None = None
        if self.score_groups and self.kernel == "sorted":
            greater = sorted_order(scores)
        elif self.score_groups:
            greater = (scores[:, :, None] < scores[:, None, :]).astype(np.float64)
            greater += 0.5 * (scores[:, :, None] == scores[:, None, :])
        if self.score_groups:
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
            if self.capability_ordering is not None:
                ranks = np.empty((counts.shape[0], n, k))
                for column in range(k):
                    ranks[:, :, column] = cumulative_ranks(
                        weights, self.capability_ordering, column
                    )
                ranks *= self.complete[None, :, None]
            else:
                assert self.capability_operator is not None
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


def _group_spearman(
    counts: FloatArray, group: _Group, greater: FloatArray | SortedOrder | None
) -> FloatArray:
    n = counts.shape[1]
    weights = counts * group.retained
    if group.reference_ordering is not None:
        reference_ranks = cumulative_ranks(weights, group.reference_ordering, 0)
    elif group.reference is not None:
        reference_ranks = weights @ group.reference + 0.5
    elif isinstance(greater, SortedOrder):
        reference_ranks = resample_ranks(weights, greater)
    else:
        assert greater is not None
        reference_ranks = np.einsum("bk,bki->bi", weights, greater) + 0.5
    reference_ranks *= group.retained
    if group.ordering is not None:
        members = group.columns.size
        ranks = np.empty((counts.shape[0], n, members))
        for member in range(members):
            ranks[:, :, member] = cumulative_ranks(weights, group.ordering, member)
        ranks *= group.retained[None, :, None]
    else:
        assert group.operator is not None
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


def _groups_by_pattern(
    values: FloatArray,
    retained: BoolArray,
    columns: IntArray,
    reference: FloatArray | None,
    *,
    sorted_kernel: bool = False,
) -> list[_Group]:
    groups: list[_Group] = []
    if values.shape[1] == 0:
        return groups
    patterns, inverse = np.unique(retained.T, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    for p in range(patterns.shape[0]):
        members = np.flatnonzero(inverse == p)
        mask = patterns[p].astype(bool)
        offset = np.repeat(0.5 * mask.astype(np.float64), members.size)
        if sorted_kernel:
            groups.append(
                _Group(
                    columns=columns[members],
                    retained=mask.astype(np.float64),
                    operator=None,
                    offset=offset,
                    reference=None,
                    ordering=column_order(values[:, members]),
                    reference_ordering=None
                    if reference is None
                    else column_order(reference[:, None]),
                )
            )
            continue
        reference_matrix = None
        if reference is not None:
            reference_matrix = rank_operator(reference[:, None], mask)
        groups.append(
            _Group(
                columns=columns[members],
                retained=mask.astype(np.float64),
                operator=rank_operator(values[:, members], mask),
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
    sorted_kernel = (
        n > COUNTS_KERNEL_MAX_MODELS
        or n * n * (n_targets + capability.shape[1]) * 8 > OPERATOR_BYTES
    )
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
        sorted_kernel=sorted_kernel,
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
            targets[:, members],
            present[:, members] & ~np.isnan(ref)[:, None],
            members,
            ref,
            sorted_kernel=sorted_kernel,
        )
    compute_groups: list[_Group] = []
    score_flop_group = None
    n_compute = 0
    if flop is not None:
        has_flop = ~np.isnan(flop)
        n_compute = n_targets
        compute_groups = _groups_by_pattern(
            targets,
            present & has_flop[:, None],
            np.arange(n_targets, dtype=np.int64),
            flop,
            sorted_kernel=sorted_kernel,
        )
        flop_column = flop[:, None]
        score_flop_group = _groups_by_pattern(
            flop_column,
            (has_flop & complete_mask)[:, None],
            np.zeros(1, dtype=np.int64),
            None,
            sorted_kernel=sorted_kernel,
        )[0]
    return BootstrapPlan(
        n_models=n,
        kind=kind,
        capability=x,
        complete=np.asarray(complete_mask, dtype=np.float64),
        capability_operator=None if sorted_kernel else rank_operator(x, complete_mask),
        reference_loadings=np.asarray(reference_loadings, dtype=np.float64),
        duplicate_of=duplicate_of,
        score_groups=tuple(score_groups),
        fixed_groups=tuple(fixed_groups),
        compute_groups=tuple(compute_groups),
        n_targets=n_targets,
        n_compute=n_compute,
        score_flop_group=score_flop_group,
        capability_ordering=column_order(x) if sorted_kernel else None,
    )
