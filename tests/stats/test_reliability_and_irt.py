"""Reliability coefficients and the two-parameter logistic fit, against references."""

from __future__ import annotations

import numpy as np
import pytest

from safetywashing.stats.irt import fit_2pl
from safetywashing.stats.reliability import cronbach_alpha, reliability, split_half


def _alpha_by_definition(x: np.ndarray) -> float:
    # Independent computation from the covariance matrix (ddof=1 throughout).
    k = x.shape[1]
    cov = np.cov(x, rowvar=False)
    return float(k / (k - 1) * (1 - np.trace(cov) / cov.sum()))


def test_alpha_equals_the_covariance_form() -> None:
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(40, 1)) + rng.normal(size=(40, 8)) > 0).astype(float)
    assert cronbach_alpha(x) == pytest.approx(_alpha_by_definition(x), rel=1e-12)


def test_alpha_hand_example() -> None:
    # Hand computation: item variances (ddof=0) 3/16, 1/4, 1/4 sum 11/16; totals 2, 3, 0, 2
    # have variance 19/16; alpha = 3/2 * (1 - 11/19) = 12/19.
    x = [[1, 1, 0], [1, 1, 1], [0, 0, 0], [1, 0, 1]]
    assert cronbach_alpha(x) == pytest.approx(12 / 19)


def test_split_half_is_high_for_a_one_factor_test_and_low_for_noise() -> None:
    rng = np.random.default_rng(2)
    factor = rng.normal(size=(60, 1))
    strong = (factor + 0.7 * rng.normal(size=(60, 40)) > 0).astype(float)
    noise = (rng.normal(size=(60, 40)) > 0).astype(float)
    assert split_half(strong) > 0.9
    assert abs(split_half(noise)) < 0.5
    assert reliability(strong, "split-half") == split_half(strong)


def test_two_parameter_logistic_recovers_planted_parameters() -> None:
    # Planted truth: a = (0.5, 1.5, 3), b = (-1, 0, 1) over 20,000 abilities.
    rng = np.random.default_rng(3)
    theta = rng.normal(size=20_000)
    a = np.array([0.5, 1.5, 3.0])
    b = np.array([-1.0, 0.0, 1.0])
    p = 1 / (1 + np.exp(-a * (theta[:, None] - b)))
    items = (rng.random(p.shape) < p).astype(float)
    found_a, found_b, ok = fit_2pl(items, theta, ridge=0.0)
    assert ok.all()
    np.testing.assert_allclose(found_a, a, rtol=0.1)
    np.testing.assert_allclose(found_b, b, atol=0.08)


def test_two_parameter_logistic_matches_scipy_maximum_likelihood() -> None:
    # Reference: the logistic likelihood maximized by scipy.optimize.minimize (BFGS);
    # the slope is a and the intercept -a b.
    import scipy.optimize

    rng = np.random.default_rng(4)
    theta = rng.normal(size=300)
    item = (rng.random(300) < 1 / (1 + np.exp(-(1.2 * theta - 0.3)))).astype(float)

    def loss(beta: np.ndarray) -> float:
        eta = beta[0] + beta[1] * theta
        return float(np.sum(np.logaddexp(0, eta) - item * eta))

    best = scipy.optimize.minimize(loss, np.zeros(2), method="BFGS", options={"gtol": 1e-10})
    a, b, _ = fit_2pl(item[:, None], theta, ridge=0.0)
    assert a[0] == pytest.approx(best.x[1], rel=1e-5)
    assert -a[0] * b[0] == pytest.approx(best.x[0], rel=1e-5)
