"""Subset selection and cross-fitting: invariants that hold for any data."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from safetywashing.stats.correlation import correlation
from safetywashing.stats.reliability import cronbach_alpha, row_means
from safetywashing.stats.subset import cross_fit, select_subset


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_models=st.integers(8, 25),
    n_items=st.integers(3, 40),
    missing=st.sampled_from([0.0, 0.1, 0.3]),
)
def test_the_selection_reports_what_it_selected(
    seed: int, n_models: int, n_items: int, missing: float
) -> None:
    rng = np.random.default_rng(seed)
    capability = rng.normal(size=n_models)
    values = (
        capability[:, None] * rng.uniform(0, 1, n_items) + rng.normal(size=(n_models, n_items)) > 0
    )
    values = values.astype(float)
    values[rng.random(values.shape) < missing] = np.nan
    fit = select_subset(values, capability, band=0.4)
    assert fit.selected.shape == (n_items,)
    if fit.selected.any():
        # Independent recomputation of the reported subset correlation and reliability.
        expected, _ = correlation(row_means(values[:, fit.selected]), capability)
        np.testing.assert_allclose(fit.correlation, expected, equal_nan=True)
        if fit.selected.sum() >= 2:
            np.testing.assert_allclose(
                fit.reliability, cronbach_alpha(values[:, fit.selected]), equal_nan=True
            )
    # Either the aim (half the band) is met, or it stopped at the smallest subset.
    assert np.isnan(fit.correlation) or abs(fit.correlation) < 0.2 or fit.selected.sum() <= 2
    assert fit.inside_band == (not np.isnan(fit.correlation) and abs(fit.correlation) < 0.4)


def test_cross_fitting_uses_disjoint_halves_and_both_directions() -> None:
    rng = np.random.default_rng(1)
    capability = rng.normal(size=21)
    values = (capability[:, None] + rng.normal(size=(21, 30)) > 0).astype(float)
    folds = cross_fit(values, capability, n_repeats=3, seed=4)
    assert folds.test_correlation.size == 6
    assert sorted(set(zip(folds.n_train.tolist(), folds.n_test.tolist(), strict=True))) == [
        (10, 11),
        (11, 10),
    ]
    again = cross_fit(values, capability, n_repeats=3, seed=4)
    np.testing.assert_array_equal(folds.test_correlation, again.test_correlation)
