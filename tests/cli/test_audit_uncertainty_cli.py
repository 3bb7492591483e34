"""``safetywashing audit --bootstrap ...`` and ``--robustness``: output and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safetywashing.cli.app import main
from safetywashing.datasets.simulate import simulate_panel
from safetywashing.uncertainty.result import PERMUTATION_RULE


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(argv)
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def test_bootstrap_json_has_intervals_verdicts_and_settings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rc, out, _ = _run(
        [
            "audit",
            "--bootstrap",
            "300",
            "--seed",
            "3",
            "--confidence",
            "0.9",
            "--format",
            "json",
            "--interval",
            "bca",
            "--adjust",
            "holm",
            "--verdict-threshold",
            "0.3",
        ],
        capsys,
    )
    assert rc == 0
    document = json.loads(out)
    settings = document["uncertainty"]["settings"]
    assert settings == {
        "method": "bootstrap over models, whole pipeline refit per resample",
        "n_resamples": 300,
        "confidence": 0.9,
        "seed": 3,
        "interval": "bca",
        "cluster": None,
        "permutations": None,
        "permutation_rule": PERMUTATION_RULE,
        "adjustment": "holm",
        "alpha": 0.05,
        "verdict_lines": [-0.3, 0.3],
        "min_valid_resamples": 100,
    }
    benchmark = document["classes"]["chat"]["benchmarks"]["syn_knowledge_mc"]
    assert benchmark["ci_low"] <= benchmark["ci_high"]
    assert benchmark["verdict"] in ("entangled", "inconclusive", "distinct", "inverse")


def test_same_seed_same_output(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["audit", "--bootstrap", "200", "--seed", "9", "--format", "json"]
    first = _run(argv, capsys)[1]
    second = _run(argv, capsys)[1]
    assert first == second


def test_table_and_markdown_show_interval_and_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(["audit", "--bootstrap", "200", "--seed", "1"], capsys)
    assert rc == 0 and "capab. corr. %" in out and "[interval]" in out and "decision" in out
    assert "Decision (the interval against ±0.40)" in out
    rc, out, _ = _run(
        ["audit", "--bootstrap", "200", "--seed", "1", "--format", "markdown"], capsys
    )
    assert rc == 0 and "| interval | verdict |" in out


def test_robustness_table_and_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(["audit", "--robustness", "--out", str(tmp_path / "o")], capsys)
    assert rc == 0, err
    assert "robustness of the capabilities correlation" in out
    document = json.loads((tmp_path / "o" / "robustness.json").read_text())
    assert "without syn_knowledge_mc" in document["classes"]["chat"]["variants"]


def test_robustness_of_the_paper_says_why_it_has_no_families_column(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before: a "families %" column of "– .. –" on every row (the paper's files have no
    # family column, so there is no leave-one-family-out variant).
    rc, out, err = _run(
        ["audit", "--dataset", "paper", "--class", "chat", "--robustness"],
        capsys,
    )
    assert rc == 0, err
    header = " ".join(line for line in out.splitlines() if line.startswith("┃"))
    assert "estimate" in header and "families" not in header
    assert "– .. –" not in out
    assert "to add leave-one-family-out variants" in " ".join(out.split())
    assert "--family-column COLUMN" in " ".join(out.split())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--bootstrap", "0"],
            "error: --bootstrap 0 asks for no bootstrap resamples; give a "
            "positive number such as --bootstrap 2000, or leave it out.",
        ),
        (
            ["--bootstrap", "-3"],
            "error: --bootstrap -3 is negative; give a whole number such as --bootstrap 2000.",
        ),
        (
            ["--bootstrap", "1.5"],
            "error: --bootstrap 1.5 is not a whole number of bootstrap resamples; "
            "give a whole number such as --bootstrap 2000.",
        ),
        (
            ["--bootstrap", "many"],
            "error: --bootstrap many is not a whole number of bootstrap resamples; "
            "give a whole number such as --bootstrap 2000.",
        ),
        (
            ["--bootstrap", "100", "--confidence", "1.5"],
            "error: --confidence 1.5 is not strictly between 0 and 1; try --confidence 0.95.",
        ),
        (
            ["--bootstrap", "100", "--confidence", "0"],
            "error: --confidence 0.0 is not strictly between 0 and 1; try --confidence 0.95.",
        ),
        (
            ["--bootstrap", "100", "--permutations", "-1"],
            "error: --permutations -1 is negative; give a whole number such as "
            "--permutations 2000.",
        ),
        (
            ["--permutations", "100"],
            "error: --permutations needs --bootstrap N; add --bootstrap 2000 or leave it out.",
        ),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, _, err = _run(["audit", *argv], capsys)
    assert rc == 2
    assert err.strip() == message


def test_too_few_models_for_a_bootstrap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    panel = simulate_panel(n_models=4, n_capability=3, safety={"s": 0.4}, rng=2)
    frame = panel.table.to_frame()
    path = tmp_path / "small.csv"
    frame.to_csv(path)
    rc, _, err = _run(
        [
            "audit",
            str(path),
            "--capabilities",
            "capability_01,capability_02,capability_03",
            "--bootstrap",
            "100",
        ],
        capsys,
    )
    assert rc == 2
    assert err.strip().splitlines()[-1] == (
        "error: The bootstrap needs at least 5 models with a capability score; only 4 have one; "
        "add models or do without the bootstrap."
    )


def test_robustness_refuses_a_non_spearman_method(capsys: pytest.CaptureFixture[str]) -> None:
    # Regression: the variants are Spearman correlations; compared with Kendall or
    # Pearson estimates they flagged benchmarks whose reading had not moved.
    rc, _, err = _run(["audit", "--method", "kendall", "--robustness"], capsys)
    assert rc == 2
    assert err.strip() == (
        "error: The robustness variants support the Spearman correlation only; the audit used "
        "--method kendall; audit with --method spearman or do without the robustness variants."
    )


@pytest.mark.parametrize("threshold", ["-0.4", "0", "1.5"])
def test_robustness_refuses_a_threshold_outside_zero_one(
    threshold: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Regression: without --bootstrap nothing checked the threshold, and -0.4 swapped the
    # zones, flagging benchmarks whose reading had not changed.
    rc, _, err = _run(["audit", "--robustness", "--verdict-threshold", threshold], capsys)
    assert rc == 2
    assert err.strip() == (
        f"error: --threshold {float(threshold)} is outside (0, 1]; give a correlation such as "
        "--threshold 0.40 (the paper's line)."
    )


def test_robustness_with_a_machine_format_and_no_out_folder_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Regression: --robustness --format json computed the variants and dropped them.
    rc, out, err = _run(["audit", "--robustness", "--format", "json"], capsys)
    assert rc == 2 and out == ""
    assert err.strip() == (
        "error: --robustness results are printed with --format table or written to "
        "robustness.json under --out, not with --format json; add --out DIR."
    )


def test_adjust_by_and_alpha_reach_the_settings(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["audit", "--bootstrap", "200", "--seed", "2", "--adjust", "by", "--alpha", "0.1"]
    rc, out, _ = _run([*argv, "--format", "json"], capsys)
    assert rc == 0
    settings = json.loads(out)["uncertainty"]["settings"]
    assert settings["adjustment"] == "by" and settings["alpha"] == 0.1
    rc, _, err = _run(["audit", "--bootstrap", "200", "--alpha", "1.5"], capsys)
    assert rc == 2 and "error: --alpha 1.5 is not strictly between 0 and 1" in err
    rc, _, err = _run(["audit", "--alpha", "0.1"], capsys)
    assert rc == 2 and "--alpha needs --bootstrap N" in err
