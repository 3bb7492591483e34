"""Power analysis and robustness variants, checked against independent audits."""

from __future__ import annotations

import json

import numpy as np
import pytest

from safetywashing.audit.compute import audit
from safetywashing.cli.app import main
from safetywashing.core.decision import DecisionRule
from safetywashing.core.errors import InputError
from safetywashing.datasets.simulate import SafetySpec, simulate_panel
from safetywashing.power.compute import power_analysis
from safetywashing.robustness.compute import robustness_audit


def test_power_rows_and_verdict_shares() -> None:
    found = power_analysis(rho=0.9, models=[15, 40], panels=300, seed=3)
    assert [row.n_models for row in found.rows] == [15, 40]
    for row in found.rows:
        assert sum(row.verdicts.values()) == pytest.approx(1.0)
        assert 0.0 <= row.coverage <= 1.0 and 0.0 <= row.power <= 1.0
    # more models, narrower intervals, more power
    assert found.rows[1].mean_width < found.rows[0].mean_width
    assert found.rows[1].power >= found.rows[0].power
    again = power_analysis(rho=0.9, models=[15, 40], panels=300, seed=3)
    assert again.to_dict() == found.to_dict()


def test_power_bad_input() -> None:
    with pytest.raises(InputError, match=r"^Panel size 4 is too small"):
        power_analysis(rho=0.4, models=[4], panels=2)
    with pytest.raises(InputError, match=r"^rho=1.5 is not a correlation in \[-1, 1\]\.$"):
        power_analysis(rho=1.5, models=[10], panels=2)


def test_power_command_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(
        [
            "power",
            "--rho",
            "0.4",
            "--models",
            "10,20",
            "--panels",
            "3",
            "--bootstrap",
            "200",
            "--seed",
            "1",
            "--format",
            "json",
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0
    document = json.loads(out)
    assert [row["n_models"] for row in document["rows"]] == [10, 20]
    assert document["settings"]["rho"] == 0.4 and document["settings"]["engine"] == "bootstrap"
    assert all(0 <= row["power"] <= 1 and row["reading"] for row in document["rows"])


def test_power_command_bad_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["power", "--models", "20,x"])
    assert rc == 2
    assert capsys.readouterr().err.strip() == (
        "error: --models takes whole numbers separated by commas; 'x' is not one "
        "(e.g. --models 20,30,50)."
    )


@pytest.fixture(scope="module")
def panel_table():  # type: ignore[no-untyped-def]
    return simulate_panel(
        n_models=30,
        safety=[SafetySpec("strong", 0.9), SafetySpec("edge", 0.45), SafetySpec("none", 0.0)],
        rng=12,
    ).table


def test_leave_one_capability_out_equals_an_audit_without_it(panel_table) -> None:  # type: ignore[no-untyped-def]
    found = robustness_audit(panel_table)["all"]
    capabilities = [b.id for b in panel_table.benchmarks if b.role == "capability"]
    dropped = capabilities[3]
    reduced = audit(panel_table, capabilities=[c for c in capabilities if c != dropped])["all"]
    row = found.variants.index(f"without {dropped}")
    for j, benchmark in enumerate(found.benchmark_ids):
        if benchmark in ("strong", "edge", "none"):
            expected = reduced.benchmark(benchmark).capabilities_correlation
            assert found.correlations[row, j] == pytest.approx(expected, abs=1e-12)
    assert found.variance_explained[row] == pytest.approx(reduced.variance_explained, abs=1e-12)


def test_leave_one_family_out_equals_an_audit_without_it(panel_table) -> None:  # type: ignore[no-untyped-def]
    found = robustness_audit(panel_table)["all"]
    keep = [i for i, m in enumerate(panel_table.models) if m.family != "beta"]
    reduced = audit(panel_table.select_models(keep))["all"]
    row = found.variants.index("without family beta")
    j = found.benchmark_ids.index("edge")
    assert found.correlations[row, j] == pytest.approx(
        reduced.benchmark("edge").capabilities_correlation, abs=1e-12
    )


def test_leave_one_family_out_keeps_models_without_a_family(panel_table) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    # Three models lose their family: each known family is still left out in turn, and
    # the family-less models stay in every refit (an audit without family beta only).
    models = tuple(replace(m, family="") if i < 3 else m for i, m in enumerate(panel_table.models))
    table = replace(panel_table, models=models)
    found = robustness_audit(table)["all"]
    assert "without family beta" in found.variants
    keep = [i for i, m in enumerate(table.models) if m.family != "beta"]
    reduced = audit(table.select_models(keep))["all"]
    row = found.variants.index("without family beta")
    j = found.benchmark_ids.index("edge")
    assert found.correlations[row, j] == pytest.approx(
        reduced.benchmark("edge").capabilities_correlation, abs=1e-12
    )


def test_measures_flags_partials_and_adjusted_scores(panel_table) -> None:  # type: ignore[no-untyped-def]
    found = robustness_audit(panel_table)["all"]
    assert "measure: mean z-score" in found.variants
    assert "measure: one-factor model" in found.variants
    for benchmark in found.flagged:
        j = found.benchmark_ids.index(benchmark)
        zones = {DecisionRule(0.4).zone(float(v)) for v in found.correlations[:, j]} - {""}
        assert len(zones | {DecisionRule(0.4).zone(float(found.estimate[j]))}) > 1
    assert "strong" not in found.flagged
    assert found.adjusted.shape == (30, 3)
    ranking = found.ranking()
    assert ranking[0][1] == pytest.approx(np.nanmax(found.adjusted_mean))
    assert np.all(np.isfinite(found.partial_compute[-3:]))
    json.dumps(found.to_dict(), allow_nan=False)


@pytest.mark.filterwarnings("ignore::safetywashing.core.errors.InputWarning")
def test_variants_start_from_the_audit_capability_block_when_gaps_were_imputed() -> None:
    # Regression: the variants used the raw capability block and dropped the models whose
    # gaps the audit imputed, so even the audit's own measure disagreed with the audit.
    from dataclasses import replace

    table = simulate_panel(n_models=20, safety={"s1": 0.5, "s2": 0.0}, rng=3).table
    values = table.values.copy()
    values[0, 0] = values[5, 3] = values[9, 7] = np.nan
    table = replace(table, values=values)
    result = audit(table)
    assert len(result["all"].imputed_cells) == 3
    found = robustness_audit(result)["all"]
    row = found.variants.index("measure: PC1 of spearman matrix")
    np.testing.assert_allclose(found.correlations[row], found.estimate, rtol=0, atol=1e-12)


@pytest.mark.parametrize("count", [0, 1])
def test_power_needs_two_capability_benchmarks(count: int) -> None:
    # Regression: 0 ended in an IndexError traceback and 1 in a message naming
    # --capabilities, an option the power command does not have.
    with pytest.raises(InputError) as caught:
        power_analysis(rho=0.4, models=[10], panels=1, n_resamples=50, n_capability=count)
    assert str(caught.value) == (
        f"n_capability={count} is below 2; the capability score needs two."
    )


def test_leave_one_capability_out_range_leaves_the_family_variants_out(panel_table) -> None:  # type: ignore[no-untyped-def]
    # Regression: the range was taken over every label starting "without ", which
    # includes "without family ...", so the JSON and the table's leave-one-out column
    # mixed in the leave-one-family-out refits.
    found = robustness_audit(panel_table)["all"]
    capabilities = [b.id for b in panel_table.benchmarks if b.role == "capability"]
    rows = [found.variants.index(f"without {c}") for c in capabilities]
    assert sorted(found.rows_of("capability")) == sorted(rows)
    assert len(found.rows_of("family")) == 6  # the simulator's six families
    j = found.benchmark_ids.index("edge")
    expected = [min(found.correlations[rows, j]), max(found.correlations[rows, j])]
    document = found.to_dict()
    assert document["benchmarks"]["edge"]["leave_one_capability_out"] == expected
    shares = found.variance_explained[rows]
    assert document["leave_one_capability_out_variance_explained"] == {
        "min": min(shares),
        "max": max(shares),
    }


def test_the_covariance_variant_uses_the_unstandardized_scores(panel_table) -> None:  # type: ignore[no-untyped-def]
    # Before: the covariance of z-scores, which is their Pearson matrix (identical output).
    from safetywashing.stats.correlation import correlate_columns

    result = audit(panel_table)
    found = robustness_audit(result)["all"]
    covariance = found.variant("measure: PC1 of covariance matrix")
    pearson = found.variant("measure: PC1 of pearson matrix")
    assert np.nanmax(np.abs(covariance - pearson)) > 1e-3
    # Independently: PC1 of numpy's covariance of the raw capability block.
    raw = np.asarray(result["all"].prepared.capability)
    centred = raw - raw.mean(axis=0)
    _, vectors = np.linalg.eigh(np.cov(raw, rowvar=False, bias=True))
    scores = centred @ vectors[:, -1]
    scores *= np.sign(np.corrcoef(scores, centred.mean(axis=1))[0, 1])
    expected, _ = correlate_columns(scores, np.asarray(result["all"].prepared.targets))
    np.testing.assert_allclose(covariance, expected, atol=1e-12)
    assert (
        "unstandardized"
        in found.to_dict()["variant_descriptions"]["measure: PC1 of covariance matrix"]
    )
    with pytest.raises(InputError, match="matrix='covariance' is not one of spearman, pearson"):
        audit(panel_table, matrix="covariance")
