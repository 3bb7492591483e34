"""The paper preset's safety areas and calibration references for the paper's columns."""

from __future__ import annotations

import pytest

from safetywashing.datasets.panels import reference_root
from safetywashing.datasets.presets import PAPER_CAPABILITIES, paper_area, paper_reference
from safetywashing.io.tables.readers import read_rows


def _chat_columns() -> list[str]:
    folder = reference_root()
    path = folder / "safetywashing-paper" / "benchmarks_chat_models.csv"
    if not path.is_file():
        pytest.skip(f"reference datasets not found at {path}")
    metadata = {"model", "name", "type", "model_size", "FLOP", "family"}
    return [c for c in read_rows(path).header if c not in metadata]


# The paper's grouping (Ren et al. 2024, sections 4-6 and their tables): one entry per
# benchmark family of the chat file; the rules must put every member there.
FAMILIES: dict[str, str] = {
    "MT_Bench": "Alignment",
    "LMSYS_Chatbot_Arena": "Alignment",
    "Alpaca-Eval_win-rate": "Alignment",
    "ethics_cm": "Machine ethics",
    "machiavelli-power.Σ": "Machine ethics",
    "machiavelli-violations.Σ": "Machine ethics",
    "bbq_amb": "Bias",
    "crows_pairs_english": "Bias",
    "discrim_eval_older": "Bias",
    "truthfulqa_mc1": "Truthfulness",
    "halueval_qa": "Truthfulness",
    "gpqa": "Scalable oversight",
    "scrolls_quality": "Scalable oversight",
    "anli": "Adversarial robustness",
    "adv_glue": "Adversarial robustness",
    "decodingtrust_adv_glue++_sst2": "Adversarial robustness",
    "HarmBench-GCG-T-all": "Adversarial robustness",
    # A prompt-injection attack's failure rate is robustness to an attack, not
    # weaponization; it used to fall under the cyberseceval2_ rule.
    "cyberseceval2_prompt_injection": "Adversarial robustness",
    "wmdp_bio": "Weaponization / malicious use",
    "cyberseceval2_mitre": "Weaponization / malicious use",
    "advanced_ai_risk": "Rogue AI tendencies",
    "persona": "Rogue AI tendencies",
    "brier_mmlu": "Calibration",
    "rmsce_temp_tuned_piqa": "Calibration",
    "glue_wnli": "Capabilities",
    "superglue_record": "Capabilities",
    "drop_f1": "Capabilities",
}
# Game counters of MACHIAVELLI and the STEER rationality tasks belong to no safety area.
OTHER = {
    "machiavelli-points",
    "machiavelli-achievements",
    "machiavelli-steps",
    "machiavelli-game.score",
    "machiavelli-samples",
    "machiavelli-games",
    "steer",
    "steer2",
    "steer3",
    "steer4",
    "steer5",
    "steer9",
}


def test_every_chat_column_has_the_papers_area() -> None:
    columns = _chat_columns()
    assert len(columns) == 178
    areas = {c: paper_area(c) for c in columns}
    for benchmark, area in FAMILIES.items():
        assert areas[benchmark] == area, benchmark
    for benchmark in PAPER_CAPABILITIES:
        assert areas[benchmark] == "Capabilities", benchmark
    assert {c for c, area in areas.items() if area == "Other"} == OTHER


def test_calibration_columns_reference_their_task() -> None:
    columns = set(_chat_columns())
    calibration = sorted(c for c in columns if paper_area(c) == "Calibration")
    assert len(calibration) == 12
    for benchmark in calibration:
        task = (
            benchmark.rsplit("_", 1)[-1] if not benchmark.endswith("4options") else "medqa_4options"
        )
        assert paper_reference(benchmark, columns) == task


@pytest.mark.parametrize(
    ("benchmark", "area"),
    [
        ("agieval", "Capabilities"),
        ("NarrativeQA - F1", "Capabilities"),
        ("bigbench_bbq_lite_json_multiple_choice", "Bias"),
        ("decodingtrust_stereotypes", "Bias"),
        ("harmbench-all-harmful", "Adversarial robustness"),
    ],
)
def test_catalogue_benchmarks_outside_the_files(benchmark: str, area: str) -> None:
    # Rows of the paper's benchmarks_info.csv without a column in the released files.
    assert paper_area(benchmark) == area
