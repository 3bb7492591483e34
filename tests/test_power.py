"""``power`` reports power in the conventional sense, and its Fisher-z engine agrees with
the audit's own bootstrap and permutation test on simulated panels."""

from __future__ import annotations

import json

import pytest

from safetywashing.cli.app import main
from safetywashing.power.compute import power_analysis
from safetywashing.stats.fisher import models_to_decide, nonzero_power


def test_power_is_the_chance_of_rejecting_a_zero_correlation() -> None:
    # Before: no power at all, only verdict shares (94-100% inconclusive at rho 0.4).
    null = power_analysis(rho=0.0, models=[30], panels=4000, seed=1).rows[0]
    assert null.power == pytest.approx(0.05, abs=0.012)  # the test's size is its level
    # The README's old example (planted 0.4: a true value near 0.379, on the verdict line).
    found = power_analysis(rho=0.4, models=[20, 30, 50], panels=4000, seed=2)
    for row in found.rows:
        assert row.true_correlation == pytest.approx(0.379, abs=0.01)
        # Fisher-z power with the Spearman variance 1.06 / (n - 3) (stats/fisher.py;
        # 0.36 / 0.52 / 0.76) against the simulated estimator.
        analytic = float(nonzero_power(row.true_correlation, [row.n_models])[0])
        assert row.power == pytest.approx(analytic, abs=0.04)


def test_models_needed_decide_with_eighty_percent_in_simulated_panels() -> None:
    truth = power_analysis(rho=0.8, models=[10], panels=50, seed=3).rows[0].true_correlation
    needed = int(models_to_decide(truth, threshold=0.4))
    row = power_analysis(rho=0.8, models=[needed], panels=4000, seed=4).rows[0]
    assert row.verdicts["entangled"] == pytest.approx(0.80, abs=0.04)
    distinct = power_analysis(rho=0.0, models=[66], panels=4000, seed=5).rows[0]
    assert models_to_decide(0.0, threshold=0.4) == 66
    assert distinct.verdicts["distinct"] == pytest.approx(0.80, abs=0.04)


def test_the_fisher_engine_agrees_with_the_audits_bootstrap() -> None:
    fast = power_analysis(rho=0.6, models=[30], panels=2000, seed=6).rows[0]
    slow = power_analysis(
        rho=0.6, models=[30], panels=40, engine="bootstrap", n_resamples=200, seed=6
    ).rows[0]
    assert slow.power == pytest.approx(fast.power, abs=0.15)
    assert slow.mean_width == pytest.approx(fast.mean_width, abs=0.08)
    assert slow.verdicts["entangled"] == pytest.approx(fast.verdicts["entangled"], abs=0.2)


def test_the_power_command_prints_power_and_a_reading_per_row(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["power", "--models", "20,50", "--panels", "500", "--seed", "1"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # wrapped at the terminal's width
    assert "rejects a zero correlation" in out and "power" in out
    assert out.count("is detected as non-zero (alpha 0.05) in") == 2
    argv = ["power", "--models", "20", "--panels", "200", "--seed", "1", "--format", "json"]
    assert main(argv) == 0
    row = json.loads(capsys.readouterr().out)["rows"][0]
    assert {"power", "verdicts", "mean_width", "coverage", "reading"} <= set(row)
