"""Parity with the Safetywashing paper on its released data.

Reference values: ``shared/datasets/README.md`` ("Numbers the paper reports on this data",
v3 of arXiv 2407.21792), in percent, rounded to one decimal (model scores to two), so a
faithful implementation agrees within half a unit of the last printed digit. A second set
of tests recomputes every correlation with an independent, straightforward pandas/numpy
implementation written here, sharing no code with ``src``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from safetywashing.audit.compute import AuditResult, audit
from safetywashing.io.tables.readers import read_scores

PAPER_CAPABILITIES = [
    "logiqa",
    "piqa",
    "hellaswag",
    "winogrande",
    "superglue_copa",
    "medqa_4options",
    "arc_challenge",
    "mmlu",
    "minerva_math",
    "lambada_openai",
    "gsm8k",
    "bbh",
]
FILES = {
    "base": "benchmarks_base_models.csv",
    "chat": "benchmarks_chat_models.csv",
    "chat-compute": "benchmarks_chat_models_compute.csv",
}

# Capabilities correlation (percent), from the datasets README: benchmark -> (base, chat).
CAPABILITIES_CORRELATION = {
    "ethics_all": (70.3, 82.2),
    "truthfulqa_mc1": (69.7, 81.2),
    "sycophancy": (-65.6, -66.8),
    "machiavelli-utility.Σ": (-48.3, -49.9),
    "crows_pairs_english": (-31.6, 28.5),
    "discrim_eval": (14.1, 33.2),
    "bbq_amb": (30.8, -37.3),
    "gpqa": (80.4, 77.7),
    "anli": (74.5, 81.5),
    "adv_glue": (63.9, 65.5),
    "HarmBench-HumanJailbreaks-all": (-79.2, -31.4),
    "HarmBench-TAP-T-all": (-78.7, -42.8),
    "wmdp_bio": (-92.5, -87.5),
    "wmdp_chem": (-90.8, -81.1),
    "wmdp_cyber": (-88.4, -86.0),
    "cyberseceval2_mitre": (-19.6, 40.4),
    "MT_Bench": (64.2, 78.7),
    "mmlu": (93.1, 83.2),
}
# Compute correlation of the chat models (percent), computed on the compute file.
CHAT_COMPUTE_CORRELATION = {
    "ethics_all": 81.6,
    "truthfulqa_mc1": 83.1,
    "sycophancy": -66.8,
    "machiavelli-utility.Σ": -31.6,
    "crows_pairs_english": 2.8,
    "discrim_eval": 34.2,
    "bbq_amb": -17.5,
    "gpqa": 77.2,
    "anli": 86.1,
    "adv_glue": 69.2,
    "HarmBench-HumanJailbreaks-all": -15.2,
    "HarmBench-TAP-T-all": -22.5,
    "wmdp_bio": -91.1,
    "wmdp_chem": -83.0,
    "wmdp_cyber": -85.7,
    "MT_Bench": 79.8,
    "LMSYS_Chatbot_Arena": 61.5,
}
# Calibration against the task's own accuracy: benchmark -> (reference, base, chat).
CALIBRATION = {
    "rmsce_mmlu": ("mmlu", 2.5, 20.1),
    "brier_mmlu": ("mmlu", 98.6, 95.5),
    "rmsce_piqa": ("piqa", 31.9, 47.9),
    "brier_medqa_4options": ("medqa_4options", 98.7, 83.4),
}
HALF_DIGIT = 0.05 + 1e-9  # percentage points


def close_to_printed(value: float, printed_percent: float) -> bool:
    return abs(100.0 * value - printed_percent) <= HALF_DIGIT


@pytest.fixture(scope="module")
def results(paper_dir: Path) -> dict[str, AuditResult]:
    return {
        key: audit(read_scores(paper_dir / name), preset="paper") for key, name in FILES.items()
    }


@pytest.mark.parametrize(
    ("key", "model_class", "variance", "mean", "std"),
    [("base", "base", 78.3, 75.8, 13.4), ("chat", "chat", 70.8, 67.5, 14.3)],
)
def test_pc1_variance_and_pairwise_correlations(
    results: dict[str, AuditResult],
    key: str,
    model_class: str,
    variance: float,
    mean: float,
    std: float,
) -> None:
    result = results[key][model_class]
    assert close_to_printed(result.variance_explained, variance)
    assert close_to_printed(result.mean_capability_correlation, mean)
    assert close_to_printed(result.std_capability_correlation, std)


@pytest.mark.parametrize(
    ("key", "model_class", "expected", "n"),
    [("base", "base", 96.5, 24), ("chat", "chat", 94.3, 21), ("chat-compute", "chat", 93.7, 23)],
)
def test_capability_score_against_compute(
    results: dict[str, AuditResult], key: str, model_class: str, expected: float, n: int
) -> None:
    result = results[key][model_class]
    assert close_to_printed(result.score_compute_correlation, expected)
    assert result.score_compute_n == n


@pytest.mark.parametrize(
    ("key", "model", "expected"),
    [
        ("base", "Meta-Llama-3-70B", 4.47),
        ("chat", "Meta-Llama-3-70B-Instruct", 4.58),
        ("base", "Qwen1.5-0.5B", -7.80),
        ("chat", "Qwen1.5-0.5B-Chat", -7.56),
    ],
)
def test_capability_scores_of_models(
    results: dict[str, AuditResult], key: str, model: str, expected: float
) -> None:
    assert abs(results[key][key].score_of(model) - expected) <= 0.005 + 1e-9


@pytest.mark.parametrize("benchmark", sorted(CAPABILITIES_CORRELATION))
def test_capabilities_correlations(results: dict[str, AuditResult], benchmark: str) -> None:
    base, chat = CAPABILITIES_CORRELATION[benchmark]
    assert close_to_printed(
        results["base"]["base"].benchmark(benchmark).capabilities_correlation, base
    )
    assert close_to_printed(
        results["chat"]["chat"].benchmark(benchmark).capabilities_correlation, chat
    )


def test_chatbot_arena_has_twenty_models(results: dict[str, AuditResult]) -> None:
    arena = results["chat"]["chat"].benchmark("LMSYS_Chatbot_Arena")
    assert arena.n == 20
    assert close_to_printed(arena.capabilities_correlation, 62.1)


@pytest.mark.parametrize("benchmark", sorted(CHAT_COMPUTE_CORRELATION))
def test_chat_compute_correlations(results: dict[str, AuditResult], benchmark: str) -> None:
    value = results["chat-compute"]["chat"].benchmark(benchmark).compute_correlation
    assert close_to_printed(value, CHAT_COMPUTE_CORRELATION[benchmark])


@pytest.mark.parametrize("benchmark", sorted(CALIBRATION))
def test_calibration_against_task_accuracy(results: dict[str, AuditResult], benchmark: str) -> None:
    reference, base, chat = CALIBRATION[benchmark]
    for key, expected in (("base", base), ("chat", chat)):
        row = results[key][key].benchmark(benchmark)
        assert row.correlated_with == reference
        assert close_to_printed(row.capabilities_correlation, expected)


def test_paper_data_is_already_oriented(results: dict[str, AuditResult]) -> None:
    # The released files hold higher-is-safer columns; the preset flips nothing.
    assert all(not result.flipped for result in results.values())


# -- an independent, straightforward implementation -----------------------------------------

METADATA = ["model_size", "FLOP", "name", "type"]


def straightforward(path: Path) -> tuple[pd.Series, pd.DataFrame]:
    """The paper's method written plainly with pandas: scores and per-benchmark results."""
    frame = pd.read_csv(path, index_col="model")
    capabilities = frame[PAPER_CAPABILITIES]
    z = (capabilities - capabilities.mean()) / capabilities.std(ddof=0)
    spearman_matrix = z.rank().corr(method="pearson").to_numpy()
    eigenvalues, eigenvectors = np.linalg.eigh(spearman_matrix)
    pc1 = eigenvectors[:, np.argmax(eigenvalues)]
    if pc1[np.argmax(np.abs(pc1))] < 0:
        pc1 = -pc1
    score = pd.Series(z.to_numpy() @ pc1, index=frame.index)
    rows = {}
    for column in frame.columns:
        if column in METADATA:
            continue
        pair = pd.concat([score.rename("s"), frame[column].rename("b")], axis=1).dropna()
        capabilities_r = pair["s"].rank().corr(pair["b"].rank())
        flop_pair = pd.concat([frame["FLOP"].rename("f"), frame[column].rename("b")], axis=1)
        flop_pair = flop_pair.dropna()
        compute_r = flop_pair["f"].rank().corr(flop_pair["b"].rank())
        rows[column] = {
            "capabilities": capabilities_r,
            "n": len(pair),
            "compute": compute_r,
            "n_compute": len(flop_pair),
        }
    return score, pd.DataFrame(rows).T


@pytest.mark.parametrize("key", ["base", "chat", "chat-compute"])
def test_every_correlation_matches_an_independent_computation(
    results: dict[str, AuditResult], paper_dir: Path, key: str
) -> None:
    expected_scores, expected = straightforward(paper_dir / FILES[key])
    result = results[key][key.split("-")[0]]
    np.testing.assert_allclose(
        [result.score_of(m) for m in expected_scores.index], expected_scores.to_numpy(), atol=1e-9
    )
    checked = 0
    for benchmark in result.benchmarks:
        if benchmark.correlated_with != "capability score":
            continue
        row = expected.loc[benchmark.id]
        assert benchmark.n == row["n"]
        assert benchmark.n_compute == row["n_compute"]
        for mine, theirs in (
            (benchmark.capabilities_correlation, row["capabilities"]),
            (benchmark.compute_correlation, row["compute"]),
        ):
            if math.isnan(theirs):
                assert math.isnan(mine), benchmark.id
            else:
                assert abs(mine - theirs) <= 1e-9, benchmark.id
        checked += 1
    assert checked > 150
