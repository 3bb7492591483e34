"""Kendall's tau-b by Knight's algorithm, checked against scipy.stats.kendalltau.

scipy's ``kendalltau(variant="b")`` is the reference throughout (scipy computes it by
its own merge count in C); the pairwise definition written out in this file is the
second reference, for the bits on small samples.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from safetywashing.stats.correlation import correlate_columns, correlation
from safetywashing.stats.kendall import dense_ranks, inversions, kendall_tau_b


def scipy_tau(x: np.ndarray, y: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns of constant input
        return float(scipy.stats.kendalltau(x, y, variant="b").statistic)


def pairwise_tau(x: np.ndarray, y: np.ndarray) -> float:
    """The textbook definition over all pairs, O(n**2)."""
    upper = np.triu_indices(x.size, 1)
    sx = np.sign(x[:, None] - x[None, :])[upper]
    sy = np.sign(y[:, None] - y[None, :])[upper]
    denominator = np.sqrt(np.sum(sx != 0) * np.sum(sy != 0))
    return float("nan") if denominator == 0 else float(np.sum(sx * sy) / denominator)


@st.composite
def samples(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of n = 2..500 values: few distinct values (many ties), or continuous."""
    n = draw(st.integers(2, 500))
    levels = draw(st.sampled_from([1, 2, 3, 7, 50, 10_000]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.integers(0, levels, n).astype(np.float64)
    y = x * draw(st.sampled_from([1.0, -1.0, 0.0])) + rng.integers(0, levels, n)
    if draw(st.booleans()):
        x = x + rng.normal(size=n)  # continuous x
    return x, y.astype(np.float64)


def same(a: float, b: float, tolerance: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= tolerance


@settings(max_examples=300, deadline=None)
@given(samples())
def test_tau_b_matches_scipy_with_ties_and_constant_columns(pair: tuple) -> None:
    x, y = pair
    assert same(kendall_tau_b(x, y), scipy_tau(x, y), 1e-14)
    assert same(kendall_tau_b(y, x), scipy_tau(y, x), 1e-14)


@settings(max_examples=100, deadline=None)
@given(samples())
def test_tau_b_equals_the_pairwise_definition_to_the_bit(pair: tuple) -> None:
    x, y = pair
    expected = pairwise_tau(x, y)
    got = kendall_tau_b(x, y)
    assert (math.isnan(got) and math.isnan(expected)) or got == expected


# Scores on a 0.01 grid or missing: pairwise deletion comes first, then tau-b.
cells = st.one_of(st.integers(-300, 300).map(lambda v: v / 100), st.just(np.nan))


@settings(max_examples=200, deadline=None)
@given(st.integers(3, 120).flatmap(lambda n: arrays(np.float64, (n, 2), elements=cells)))
def test_correlation_deletes_missing_pairs_then_matches_scipy(pair: np.ndarray) -> None:
    x, y = pair[:, 0], pair[:, 1]
    keep = ~(np.isnan(x) | np.isnan(y))
    r, n = correlation(x, y, "kendall")
    assert n == keep.sum()
    if n < 3:
        assert math.isnan(r)
        return
    assert same(r, scipy_tau(x[keep], y[keep]), 1e-14)


def test_correlate_columns_agrees_column_by_column(rng: np.random.Generator) -> None:
    reference = np.round(rng.normal(size=300), 1)
    matrix = np.round(rng.normal(size=(300, 5)), 1)
    matrix[rng.random(matrix.shape) < 0.2] = np.nan
    matrix[:, 3] = 1.0  # constant: NaN
    r, n = correlate_columns(reference, matrix, "kendall")
    for j in range(5):
        keep = ~np.isnan(matrix[:, j])
        assert n[j] == keep.sum()
        assert same(r[j], scipy_tau(reference[keep], matrix[keep, j]), 1e-14)
    assert math.isnan(r[3])


def test_twenty_thousand_models_with_ties() -> None:
    rng = np.random.default_rng(20_000)
    x = rng.normal(size=20_000)
    y = np.round(x + rng.normal(size=20_000), 1)  # a few hundred distinct values
    x[::7] = 0.5  # a large tie in x too
    assert same(kendall_tau_b(x, y), scipy_tau(x, y), 1e-14)


def test_small_and_degenerate_inputs() -> None:
    assert math.isnan(kendall_tau_b(np.array([1.0]), np.array([2.0])))
    assert kendall_tau_b(np.array([1.0, 2.0]), np.array([5.0, 3.0])) == -1.0
    assert math.isnan(kendall_tau_b(np.ones(4), np.arange(4.0)))
    assert math.isnan(kendall_tau_b(np.array([1.0, np.nan, 3.0]), np.arange(3.0)))
    infinite = np.array([-np.inf, 1.0, np.inf, np.inf])
    assert kendall_tau_b(infinite, np.arange(4.0)) == pytest.approx(
        scipy_tau(infinite, np.arange(4.0))
    )
    assert kendall_tau_b(np.array([0.0, -0.0, 1.0]), np.array([1.0, 2.0, 3.0])) == pytest.approx(
        scipy_tau(np.array([0.0, -0.0, 1.0]), np.array([1.0, 2.0, 3.0]))
    )


@settings(max_examples=200, deadline=None)
@given(arrays(np.int64, st.integers(0, 80), elements=st.integers(0, 20)))
def test_inversions_count_the_pairs_out_of_order(ranks: np.ndarray) -> None:
    expected = sum(
        int(ranks[i] > ranks[j]) for i in range(ranks.size) for j in range(i + 1, ranks.size)
    )
    assert inversions(ranks) == expected


def test_dense_ranks_and_ties() -> None:
    ranks, tied = dense_ranks(np.array([3.0, 1.0, 3.0, 3.0, 2.0, 1.0]))
    assert ranks.tolist() == [2, 0, 2, 2, 1, 0]
    assert tied == 3 + 1
