"""The monotone (isotonic) fit against scikit-learn's ``IsotonicRegression``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.isotonic import IsotonicRegression

from safetywashing.stats.isotonic import isotonic_fit

TOLERANCE = 1e-12


def _reference(
    x: np.ndarray, y: np.ndarray, increasing: bool, weights: np.ndarray | None = None
) -> np.ndarray:
    """scikit-learn's fit at the sorted distinct ``x`` (it pools tied ``x`` the same way)."""
    model = IsotonicRegression(increasing=increasing).fit(x, y, sample_weight=weights)
    return np.asarray(model.predict(np.unique(x)), dtype=np.float64)


@pytest.mark.parametrize("increasing", [True, False])
@pytest.mark.parametrize("seed", range(5))
def test_the_fit_is_scikit_learns(increasing: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=80)
    y = (1 if increasing else -1) * x + rng.normal(0, 1.5, 80)
    distinct, fit = isotonic_fit(x, y, increasing=increasing)
    assert np.array_equal(distinct, np.sort(x))
    np.testing.assert_allclose(fit, _reference(x, y, increasing), rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("increasing", [True, False])
def test_tied_x_values_are_pooled_into_one_fitted_value(increasing: bool) -> None:
    rng = np.random.default_rng(5)
    x = rng.integers(0, 8, 60).astype(float)
    y = x + rng.normal(0, 3, 60)
    distinct, fit = isotonic_fit(x, y, increasing=increasing)
    assert np.array_equal(distinct, np.unique(x))
    np.testing.assert_allclose(fit, _reference(x, y, increasing), rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("increasing", [True, False])
def test_weights_are_scikit_learns_sample_weights(increasing: bool) -> None:
    rng = np.random.default_rng(11)
    x = rng.integers(0, 15, 70).astype(float)
    y = rng.normal(size=70) + 0.2 * x
    weights = rng.uniform(0.1, 5.0, 70)
    distinct, fit = isotonic_fit(x, y, increasing=increasing, weights=weights)
    assert np.array_equal(distinct, np.unique(x))
    np.testing.assert_allclose(fit, _reference(x, y, increasing, weights), rtol=0, atol=TOLERANCE)


def test_equal_weights_give_the_unweighted_fit_exactly() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=40), rng.normal(size=40)
    _, plain = isotonic_fit(x, y)
    _, weighted = isotonic_fit(x, y, weights=np.ones(40))
    assert np.array_equal(plain, weighted)


def test_a_worked_example_by_hand() -> None:
    # 3 > 2 violates the order: the two pool into their mean 2.5.
    distinct, fit = isotonic_fit([1, 2, 3, 4], [1.0, 3.0, 2.0, 4.0])
    assert distinct.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert fit.tolist() == [1.0, 2.5, 2.5, 4.0]
    # Decreasing: the fit of -y, negated.
    _, down = isotonic_fit([1, 2, 3, 4], [4.0, 2.0, 3.0, 1.0], increasing=False)
    assert down.tolist() == [4.0, 2.5, 2.5, 1.0]


def test_monotone_data_is_its_own_fit_and_one_point_is_itself() -> None:
    x = np.arange(10.0)
    assert np.array_equal(isotonic_fit(x, x**2)[1], x**2)
    assert np.array_equal(isotonic_fit(x, -x, increasing=False)[1], -x)
    distinct, fit = isotonic_fit([3.0], [7.0])
    assert distinct.tolist() == [3.0] and fit.tolist() == [7.0]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(-5, 5),  # few distinct x: many ties
            st.floats(-100, 100, allow_nan=False),
            st.floats(0.01, 10, allow_nan=False),
        ),
        min_size=1,
        max_size=40,
    ),
    st.booleans(),
)
def test_any_data_fits_like_scikit_learn_and_is_monotone(
    points: list[tuple[int, float, float]], increasing: bool
) -> None:
    x = np.array([p[0] for p in points], dtype=float)
    y = np.array([p[1] for p in points])
    weights = np.array([p[2] for p in points])
    distinct, fit = isotonic_fit(x, y, increasing=increasing, weights=weights)
    assert distinct.shape == fit.shape == (np.unique(x).size,)
    steps = np.diff(fit)
    assert np.all(steps >= -1e-9) if increasing else np.all(steps <= 1e-9)
    expected = _reference(x, y, increasing, weights)
    np.testing.assert_allclose(fit, expected, rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize(
    ("x", "y", "weights"),
    [
        ([1.0, 2.0], [1.0], None),
        ([[1.0, 2.0]], [[1.0, 2.0]], None),
        ([1.0, 2.0], [1.0, 2.0], [1.0]),
        ([1.0, 2.0], [1.0, 2.0], [1.0, 0.0]),
    ],
)
def test_bad_shapes_and_weights_are_refused(
    x: list[float], y: list[float], weights: list[float] | None
) -> None:
    with pytest.raises(ValueError, match="isotonic_fit expects"):
        isotonic_fit(x, y, weights=weights)
