"""Iterative PCA imputation kernel."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safetywashing.stats.impute import impute_pca


def _rank_one(n: int, k: int, seed: int, noise: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n)
    loadings = rng.uniform(0.5, 2.0, size=k)
    offsets = rng.uniform(-1, 1, size=k)
    return latent[:, None] * loadings + offsets + noise * rng.normal(size=(n, k))


def test_exact_rank_one_block_is_recovered() -> None:
    # A noise-free rank-1 block (plus column offsets) is reproduced exactly by the
    # rank-1 reconstruction: the truth is the independent reference here.
    block = _rank_one(30, 6, seed=1)
    gappy = block.copy()
    gappy[[2, 5, 9, 17], [0, 3, 5, 1]] = np.nan
    result = impute_pca(gappy, tolerance=1e-14, max_iter=5000)
    assert result.converged
    np.testing.assert_allclose(result.completed, block, atol=1e-5)
    assert result.n_imputed == 4


def test_observed_cells_never_change_and_mask_is_reported() -> None:
    block = _rank_one(25, 5, seed=2, noise=0.3)
    gappy = block.copy()
    gappy[0, 0] = gappy[4, 2] = np.nan
    result = impute_pca(gappy)
    observed = ~np.isnan(gappy)
    assert np.array_equal(result.completed[observed], gappy[observed])
    assert np.array_equal(result.missing, ~observed)
    assert not np.isnan(result.completed).any()


def test_complete_block_is_returned_unchanged_without_iterating() -> None:
    block = _rank_one(10, 4, seed=3, noise=0.5)
    result = impute_pca(block)
    assert np.array_equal(result.completed, block)
    assert (result.iterations, result.converged, result.n_imputed) == (0, True, 0)


def test_iteration_cap_reports_non_convergence() -> None:
    block = _rank_one(20, 5, seed=4, noise=1.0)
    block[:8, 0] = np.nan
    block[5:12, 1] = np.nan
    result = impute_pca(block, max_iter=1, tolerance=1e-15)
    assert result.iterations == 1
    assert not result.converged


def test_imputation_is_scale_invariant_per_column() -> None:
    # Columns are standardized first, so rescaling a column rescales its imputed values.
    block = _rank_one(20, 4, seed=5, noise=0.4)
    block[3, 1] = block[7, 2] = np.nan
    scaled = block * np.array([1.0, 100.0, 0.01, 5.0]) + np.array([0.0, 3.0, -2.0, 1.0])
    a = impute_pca(block).completed
    b = impute_pca(scaled).completed
    np.testing.assert_allclose((b - [0.0, 3.0, -2.0, 1.0]) / [1.0, 100.0, 0.01, 5.0], a, atol=1e-8)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rank": 0}, "rank must be between 1 and 3"),
        ({"rank": 4}, "rank must be between 1 and 3"),
        ({"tolerance": 0.0}, "tolerance must be positive"),
        ({"max_iter": 0}, "iteration cap must be at least 1"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, float], message: str) -> None:
    block = _rank_one(10, 4, seed=6)
    block[0, 0] = np.nan
    with pytest.raises(ValueError, match=message):
        impute_pca(block, **kwargs)  # type: ignore[arg-type]


def test_constant_observed_column_is_refused() -> None:
    block = _rank_one(10, 3, seed=7)
    block[:, 2] = 1.0
    block[0, 2] = np.nan
    with pytest.raises(ValueError, match="Column 2 has fewer than two distinct"):
        impute_pca(block)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(6, 25),
    k=st.integers(2, 7),
    rank=st.integers(1, 3),
    seed=st.integers(0, 10_000),
    fraction=st.floats(0.0, 0.3),
)
def test_shapes_and_missing_patterns(n: int, k: int, rank: int, seed: int, fraction: float) -> None:
    rank = min(rank, k - 1)
    rng = np.random.default_rng(seed)
    block = _rank_one(n, k, seed, noise=0.5)
    mask = rng.random((n, k)) < fraction
    mask[:2] = False  # keep two complete rows so every column has two observed values
    gappy = np.where(mask, np.nan, block)
    result = impute_pca(gappy, rank=rank)
    assert result.completed.shape == (n, k)
    assert np.isfinite(result.completed).all()
    assert np.array_equal(result.missing, mask)
    assert np.array_equal(result.completed[~mask], block[~mask])
