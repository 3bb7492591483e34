"""Item kernels: bulk ranks and correlations agree with scipy and with the 1-D kernels."""

from __future__ import annotations

import numpy as np
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from safetywashing.stats.correlation import correlation
from safetywashing.stats.items import (
    binary_columns,
    bootstrap_chunk,
    bootstrap_item_correlations,
    fisher_p_values,
    item_correlations,
    masked_pearson,
    resample_indices,
)
from safetywashing.stats.ranks import rank_columns

cells = st.sampled_from([0.0, 1.0, 0.5, 2.0, np.nan])


@given(arrays(np.float64, st.tuples(st.integers(1, 15), st.integers(1, 5)), elements=cells))
def test_rank_columns_matches_scipy_per_column(matrix: np.ndarray) -> None:
    ranked = rank_columns(matrix)
    for j in range(matrix.shape[1]):
        expected = scipy.stats.rankdata(matrix[:, j], method="average", nan_policy="omit")
        np.testing.assert_array_equal(ranked[:, j], expected)


@settings(max_examples=60)
@given(
    arrays(np.float64, (14, 6), elements=cells),
    arrays(np.float64, 14, elements=st.floats(-3, 3) | st.just(np.nan)),
)
def test_item_correlations_match_the_one_dimensional_kernel(
    matrix: np.ndarray, capability: np.ndarray
) -> None:
    # Independent computation: correlation() per column, Pearson for 0/1 columns
    # (point-biserial), Spearman otherwise, with pairwise deletion.
    r, n = item_correlations(matrix, capability)
    binary = binary_columns(matrix)
    for j in range(matrix.shape[1]):
        method = "pearson" if binary[j] else "spearman"
        expected, count = correlation(capability, matrix[:, j], method)
        assert n[j] == count
        np.testing.assert_allclose(r[j], expected, atol=1e-12, equal_nan=True)


def test_point_biserial_equals_scipy() -> None:
    # Reference: scipy.stats.pointbiserialr on the same data.
    rng = np.random.default_rng(3)
    y = rng.normal(size=40)
    item = (y + rng.normal(size=40) > 0).astype(float)
    r, _ = item_correlations(item[:, None], y)
    assert abs(r[0] - scipy.stats.pointbiserialr(item, y).statistic) < 1e-12


def test_graded_items_use_spearman_as_scipy() -> None:
    # Reference: scipy.stats.spearmanr over the rows present for the item.
    rng = np.random.default_rng(4)
    y = rng.normal(size=30)
    item = np.round(np.clip(y + rng.normal(size=30), -1, 1) * 2) / 4 + 0.5
    item[[2, 7]] = np.nan
    r, n = item_correlations(item[:, None], y)
    keep = ~np.isnan(item)
    assert n[0] == keep.sum()
    assert abs(r[0] - scipy.stats.spearmanr(item[keep], y[keep]).statistic) < 1e-12


def test_constant_and_short_columns_give_nan() -> None:
    values = np.array([[1.0, 1.0], [1.0, np.nan], [1.0, np.nan], [1.0, 0.0]])
    r, n = masked_pearson(values, np.arange(4.0))
    assert np.isnan(r).all()
    assert n.tolist() == [4, 2]


def test_chunks_do_not_change_the_numbers() -> None:
    rng = np.random.default_rng(5)
    values = (rng.random((25, 37)) > 0.5).astype(float)
    values[rng.random(values.shape) < 0.1] = np.nan
    y = rng.normal(size=25)
    whole, _ = item_correlations(values, y, chunk=10_000)
    pieces, _ = item_correlations(values, y, chunk=4)
    np.testing.assert_allclose(whole, pieces, rtol=0, atol=1e-14)


def test_bootstrap_is_seeded_and_chunk_free() -> None:
    rng = np.random.default_rng(6)
    values = (rng.random((20, 9)) > 0.4).astype(float)
    y = rng.normal(size=20)
    a = bootstrap_item_correlations(values, y, n_resamples=200, seed=11, chunk=2)
    b = bootstrap_item_correlations(values, y, n_resamples=200, seed=11, chunk=100)
    np.testing.assert_allclose(a[0], b[0], rtol=0, atol=1e-14)
    np.testing.assert_allclose(a[1], b[1], rtol=0, atol=1e-14)
    r, _ = item_correlations(values, y)
    inside = (a[0] <= r) & (r <= a[1])
    assert inside[~np.isnan(r)].all()


def test_bootstrap_chunk_is_the_correlation_of_each_resample() -> None:
    rng = np.random.default_rng(7)
    values = (rng.random((15, 3)) > 0.5).astype(float)
    y = rng.normal(size=15)
    indices = resample_indices(15, 4, seed=1)
    replicates = bootstrap_chunk(values, y, np.zeros(3, dtype=bool), indices)
    for b, rows in enumerate(indices):
        expected, _ = item_correlations(values[rows], y[rows], np.zeros(3, dtype=bool))
        np.testing.assert_array_equal(replicates[b], expected)


def test_fisher_p_values_match_the_normal_approximation() -> None:
    # Independent computation: z = atanh(r) sqrt(n - 3), p = 2 (1 - Phi(|z|)) via scipy.
    r = np.array([0.3, -0.5, np.nan, 0.1])
    n = np.array([30, 20, 30, 3])
    p = fisher_p_values(r, n)
    expected = 2 * scipy.stats.norm.sf(np.abs(np.arctanh(r[:2]) * np.sqrt(n[:2] - 3)))
    np.testing.assert_allclose(p[:2], expected, rtol=1e-10)
    assert np.isnan(p[2:]).all()


def test_two_way_score_sums_are_weighted_means_in_any_blocks() -> None:
    from safetywashing.stats.items import score_sums, two_way_resamples

    rng = np.random.default_rng(8)
    values = (rng.random((12, 17)) > 0.5).astype(float)
    values[rng.random(values.shape) < 0.2] = np.nan
    models, counts = two_way_resamples(12, 17, 5, seed=2)
    assert models.shape == (5, 12) and (counts.sum(axis=1) == 17).all()
    totals, n = score_sums(values, counts, chunk=4)
    for b in range(5):
        # Independent computation: repeat each item as often as it was drawn.
        drawn = np.repeat(np.arange(17), counts[b])
        expected = np.nanmean(values[:, drawn], axis=1)
        np.testing.assert_allclose(totals[:, b] / n[:, b], expected, rtol=1e-12)
    whole = score_sums(values, counts, chunk=1000)
    np.testing.assert_allclose(whole[0], totals, rtol=1e-12)


def test_the_two_way_interval_covers_the_estimate_and_is_wider_than_models_alone() -> None:
    from safetywashing.stats.items import bootstrap_benchmark_correlation, two_way_resamples

    rng = np.random.default_rng(9)
    capability = rng.normal(size=40)
    loadings = rng.uniform(-0.2, 1.0, size=60)
    values = (capability[:, None] * loadings + rng.normal(size=(40, 60)) > 0).astype(float)
    estimate, _ = correlation(np.nanmean(values, axis=1), capability)
    low, high = bootstrap_benchmark_correlation(values, capability, n_resamples=400, seed=1)
    assert low < estimate < high
    # Models alone: the same model resamples, every item once.
    models, _ = two_way_resamples(40, 60, 400, seed=1)
    only = [correlation(np.nanmean(values[rows], axis=1), capability[rows])[0] for rows in models]
    narrow = np.quantile(only, [0.025, 0.975])
    assert high - low > narrow[1] - narrow[0]


def test_a_capability_spread_whose_squares_underflow_has_no_item_correlation() -> None:
    # Found by hypothesis: one score of 6.6e-244 among zeros has squares that underflow,
    # and the bulk kernel divided by that zero (r = -1) where correlation() gives NaN.
    matrix = np.ones((14, 6))
    matrix[0, 0] = 0.0
    capability = np.zeros(14)
    capability[0] = 6.5604877e-244
    r, n = item_correlations(matrix, capability)
    assert np.isnan(r).all() and (n == 14).all()
    assert np.isnan(correlation(capability, matrix[:, 0], "pearson")[0])
