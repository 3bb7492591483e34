"""DerSimonian-Laird random-effects meta-analysis (``safetywashing.stats.meta``).

Reference values:

- PCB28 interlaboratory data (six laboratories' measurements and standard
  uncertainties, a worked example of NIST's consensus-building literature) with the
  output printed for it by ``metafor::rma(yi=x, sei=u, method="DL")``: tau^2 2.9289,
  I^2 92.67%, H^2 13.64, Q(df = 5) 68.2154, estimate 33.6004, se 0.7450, CI
  [32.1403, 35.0606]; ``metRology::dsl`` gives 33.60043 (u 0.7449979).
- ``metafor``'s ``dat.molloy2014`` (16 correlations between conscientiousness and
  medication adherence; its help page lists ri and ni): Q(df = 15) = 38.1595,
  p = 0.0009 (``rma`` output on that page) and the fixed-effect mean of Fisher's z,
  0.12518 (metafor's "rma vs lm" tip).
- An independent implementation written below with plain Python loops.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safetywashing.stats.meta import chi2_sf, meta_correlation, random_effects

PCB28_X = [34.3, 32.9, 34.53, 32.42, 31.9, 35.8]
PCB28_U = [1.03, 0.69, 0.83, 0.29, 0.4, 0.38]
MOLLOY_R = [0.187, 0.162, 0.340, 0.320, 0.270, 0.000, 0.175, 0.050,
            0.260, 0.010, -0.090, 0.370, 0.000, 0.150, 0.240, 0.040]  # fmt: skip
MOLLOY_N = [109, 749, 55, 107, 72, 65, 174, 326, 58, 771, 56, 91, 116, 537, 158, 65]


def test_pcb28_matches_metafor_dl() -> None:
    result = random_effects(PCB28_X, np.square(PCB28_U))
    assert round(result.tau2, 4) == 2.9289
    assert round(100 * result.i2, 2) == 92.67
    assert round(result.h2, 2) == 13.64
    assert round(result.q, 4) == 68.2154 and result.q_df == 5
    assert round(result.estimate, 4) == 33.6004
    assert round(result.se, 4) == 0.7450
    assert (round(result.ci_low, 4), round(result.ci_high, 4)) == (32.1403, 35.0606)
    assert result.estimate == pytest.approx(33.60043, abs=5e-6)  # metRology::dsl
    assert result.se == pytest.approx(0.7449979, abs=5e-8)
    assert result.q_pvalue < 1e-4


def test_molloy_correlations_match_metafor() -> None:
    meta = meta_correlation(MOLLOY_R, MOLLOY_N)
    assert round(meta.z.q, 4) == 38.1595 and meta.z.q_df == 15
    assert round(meta.z.q_pvalue, 4) == 0.0009
    assert round(meta.z.fixed_estimate, 5) == 0.12518
    # With the DL tau^2, I^2 = (Q - df) / Q (Higgins & Thompson 2002).
    assert meta.i2 == pytest.approx((meta.z.q - 15) / meta.z.q)
    assert meta.r == pytest.approx(math.tanh(meta.z.estimate))


def _by_hand(r: list[float], n: list[int]) -> dict[str, float]:
    """DerSimonian & Laird (1986) on Fisher's z, one loop at a time."""
    z = [0.5 * math.log((1 + x) / (1 - x)) for x in r]
    v = [1 / (m - 3) for m in n]
    w = [1 / x for x in v]
    fixed = sum(a * b for a, b in zip(w, z, strict=True)) / sum(w)
    q = sum(a * (b - fixed) ** 2 for a, b in zip(w, z, strict=True))
    c = sum(w) - sum(a * a for a in w) / sum(w)
    tau2 = max(0.0, (q - (len(r) - 1)) / c)
    ws = [1 / (x + tau2) for x in v]
    mu = sum(a * b for a, b in zip(ws, z, strict=True)) / sum(ws)
    se = (1 / sum(ws)) ** 0.5
    return {
        "tau2": tau2,
        "q": q,
        "mu": mu,
        "low": math.tanh(mu - 1.959963984540054 * se),
        "high": math.tanh(mu + 1.959963984540054 * se),
        "i2": max(0.0, (q - (len(r) - 1)) / q) if q > 0 else 0.0,
        "w0": ws[0] / sum(ws),
    }


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-0.95, 0.95), st.integers(4, 400)), min_size=2, max_size=8))
def test_agrees_with_an_independent_implementation(pairs: list[tuple[float, int]]) -> None:
    r = [p[0] for p in pairs]
    n = [p[1] for p in pairs]
    expected = _by_hand(r, n)
    meta = meta_correlation(r, n)
    assert meta.tau2 == pytest.approx(expected["tau2"], rel=1e-9, abs=1e-12)
    assert meta.z.q == pytest.approx(expected["q"], rel=1e-9, abs=1e-12)
    assert meta.z.estimate == pytest.approx(expected["mu"], rel=1e-9, abs=1e-12)
    assert meta.ci_low == pytest.approx(expected["low"], rel=1e-9, abs=1e-12)
    assert meta.ci_high == pytest.approx(expected["high"], rel=1e-9, abs=1e-12)
    assert meta.i2 == pytest.approx(expected["i2"], rel=1e-9, abs=1e-9)
    assert meta.weights[0] == pytest.approx(expected["w0"], rel=1e-9)
    assert meta.weights.sum() == pytest.approx(1.0)
    assert meta.ci_low <= meta.r <= meta.ci_high
    assert meta.pi_low <= meta.ci_low and meta.ci_high <= meta.pi_high


def test_identical_settings_have_no_heterogeneity() -> None:
    meta = meta_correlation([0.5, 0.5, 0.5], [30, 40, 50])
    assert meta.tau2 == 0 and meta.i2 == 0 and meta.z.q == pytest.approx(0, abs=1e-24)
    assert meta.r == pytest.approx(0.5)
    # tau^2 = 0: random-effects weights are the fixed-effect weights, n - 3.
    np.testing.assert_allclose(meta.weights, np.array([27, 37, 47]) / 111)


def test_one_setting_is_its_own_summary() -> None:
    meta = meta_correlation([0.4], [28])
    assert meta.r == pytest.approx(0.4) and meta.z.q_df == 0
    assert math.isnan(meta.i2) and math.isnan(meta.z.q_pvalue)
    assert meta.ci_low == pytest.approx(math.tanh(math.atanh(0.4) - 1.959963984540054 / 5))


@pytest.mark.parametrize(
    ("r", "n", "message"),
    [
        ([0.5, 1.0], [10, 10], r"correlations must lie in \(-1, 1\)"),
        ([0.5, 0.2], [10, 3], r"each n must be a whole number of at least 4"),
        ([0.5], [10, 12], r"differ in shape"),
        ([], [], r"non-empty 1-D array"),
        ([0.5, math.nan], [10, 10], r"r must be finite"),
    ],
)
def test_bad_inputs(r: list[float], n: list[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        meta_correlation(r, n)


def test_to_dict_is_plain_json() -> None:
    import json

    document = meta_correlation([0.8, 0.6, 0.7], [26, 27, 148]).to_dict()
    assert json.loads(json.dumps(document))["n"] == [26, 27, 148]


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 7, 15, 30, 101])
@pytest.mark.parametrize("x", [0.0, 0.01, 0.5, 1.0, 3.84, 10.0, 38.1595, 68.2154, 200.0])
def test_chi2_tail_equals_scipy(x: float, df: int) -> None:
    from scipy.special import chdtrc

    assert chi2_sf(x, df) == pytest.approx(float(chdtrc(df, x)), rel=1e-10, abs=1e-300)
