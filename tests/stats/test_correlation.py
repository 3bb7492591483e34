"""Correlations with pairwise deletion, checked against scipy.stats."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from safetywashing.stats.correlation import (
    correlate_columns,
    correlate_columns_each,
    correlation,
    correlation_matrix,
)

# Scores on a 0.01 grid (ties are common, as in benchmark accuracies), or missing.
values = st.one_of(st.integers(-500, 500).map(lambda v: v / 100), st.just(np.nan))


@settings(max_examples=200)
@given(arrays(np.float64, (15, 2), elements=values))
def test_spearman_and_kendall_match_scipy_on_complete_pairs(pair: np.ndarray) -> None:
    x, y = pair[:, 0], pair[:, 1]
    keep = ~(np.isnan(x) | np.isnan(y))
    for method, reference in (
        ("spearman", scipy.stats.spearmanr),
        ("kendall", scipy.stats.kendalltau),
        ("pearson", scipy.stats.pearsonr),
    ):
        r, n = correlation(x, y, method)
        assert n == keep.sum()
        xs, ys = x[keep], y[keep]
        if n < 3 or np.all(xs == xs[0]) or np.all(ys == ys[0]):
            assert math.isnan(r)
            continue
        expected = float(reference(xs, ys)[0])
        assert r == pytest.approx(expected, abs=1e-12)


def test_spearman_reranks_after_pairwise_deletion() -> None:
    # With the NaN pair dropped, x = (1, 2, 3) and y = (1, 4, 9) are perfectly monotone.
    assert correlation([1.0, 2.0, 3.0, np.nan], [1.0, 4.0, 9.0, 2.0]) == (1.0, 3)


def test_constant_column_gives_nan_not_an_error() -> None:
    r, n = correlation(np.arange(5.0), np.ones(5))
    assert math.isnan(r) and n == 5


def test_correlate_columns_matches_one_at_a_time(rng: np.random.Generator) -> None:
    reference = rng.normal(size=20)
    matrix = rng.normal(size=(20, 6))
    matrix[rng.random((20, 6)) < 0.2] = np.nan
    r, n = correlate_columns(reference, matrix)
    for j in range(6):
        assert (r[j], n[j]) == correlation(reference, matrix[:, j])


def test_correlation_matrix_matches_scipy(rng: np.random.Generator) -> None:
    data = rng.normal(size=(25, 5))
    data[:, 1] = np.round(data[:, 1])  # ties
    expected = scipy.stats.spearmanr(data).statistic
    np.testing.assert_allclose(correlation_matrix(data, "spearman"), expected, atol=1e-12)
    np.testing.assert_allclose(correlation_matrix(data, "pearson"), np.corrcoef(data.T), atol=1e-12)


@settings(max_examples=200)
@given(
    st.tuples(st.integers(1, 25), st.integers(0, 7)).flatmap(
        lambda shape: st.tuples(
            arrays(np.float64, shape[0], elements=values),
            arrays(np.float64, shape, elements=values),
        )
    )
)
def test_spearman_columns_equal_the_one_at_a_time_loop_bit_for_bit(
    case: tuple[np.ndarray, np.ndarray],
) -> None:
    # The whole-matrix kernel against correlation() per column (itself checked against
    # scipy above): same r to the last bit, same n, on ties, gaps and short columns.
    reference, matrix = case
    r, n = correlate_columns(reference, matrix)
    for j in range(matrix.shape[1]):
        expected_r, expected_n = correlation(reference, matrix[:, j])
        assert n[j] == expected_n
        assert np.array_equal(r[j], expected_r, equal_nan=True)


def test_spearman_columns_in_small_chunks(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import safetywashing.stats.ranks as ranks

    reference = np.round(rng.normal(size=40), 1)
    matrix = np.round(rng.normal(size=(40, 23)), 1)
    matrix[rng.random(matrix.shape) < 0.3] = np.nan
    whole = correlate_columns(reference, matrix)
    monkeypatch.setattr(ranks, "CHUNK_ELEMENTS", 100)  # 2 columns per chunk
    chunked = correlate_columns(reference, matrix)
    for a, b in zip(whole, chunked, strict=True):
        assert np.array_equal(a, b, equal_nan=True)
    expected = [
        scipy.stats.spearmanr(reference, matrix[:, j], nan_policy="omit").statistic
        for j in range(23)
    ]
    np.testing.assert_allclose(whole[0], expected, atol=1e-12)


def test_correlate_columns_each_equals_one_reference_at_a_time(rng: np.random.Generator) -> None:
    # Several references share the columns' sorts; each result is that of the reference
    # alone, bit for bit (ties and gaps in references and columns).
    references = [np.round(rng.normal(size=60), 1) for _ in range(3)]
    references[1][rng.random(60) < 0.2] = np.nan
    matrix = np.round(rng.normal(size=(60, 9)), 1)
    matrix[rng.random(matrix.shape) < 0.3] = np.nan
    matrix[:, 4] = np.nan
    for reference, (r, n) in zip(
        references, correlate_columns_each(references, matrix), strict=True
    ):
        alone_r, alone_n = correlate_columns(reference, matrix)
        assert np.array_equal(r, alone_r, equal_nan=True)
        assert np.array_equal(n, alone_n)
