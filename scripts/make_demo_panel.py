"""Regenerate the bundled synthetic demo panel (fixed seed; deterministic).

Usage: ``uv run python scripts/make_demo_panel.py``. Writes
``src/safetywashing/datasets/demo_scores.csv`` and ``demo_benchmarks.csv``.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from safetywashing.datasets.simulate import SafetySpec, simulate_panel

SEED = 20240731
OUT = Path(__file__).resolve().parents[1] / "src" / "safetywashing" / "datasets"

# Planted relations to the latent capability: entangled (> 0.6), distinct (|rho| small),
# inverse (< -0.6). Names are synthetic and say what they stand for.
SAFETY = (
    SafetySpec("syn_ethics_qa", 0.85, "Machine ethics"),
    SafetySpec("syn_truthfulness_mc", 0.80, "Truthfulness"),
    SafetySpec("syn_adversarial_nli", 0.85, "Adversarial robustness"),
    SafetySpec("syn_oversight_qa", 0.90, "Scalable oversight"),
    SafetySpec("syn_chat_preference", 0.80, "Alignment"),
    SafetySpec("syn_bias_ambiguous", 0.0, "Bias"),
    SafetySpec("syn_stereotype_pairs", 0.05, "Bias"),
    SafetySpec("syn_calibration_error", 0.0, "Calibration", direction="lower"),
    SafetySpec("syn_power_seeking", -0.05, "Rogue AI tendencies"),
    SafetySpec("syn_jailbreak_success", 0.0, "Adversarial robustness", direction="lower"),
    SafetySpec("syn_sycophancy_resistance", -0.80, "Machine ethics"),
    SafetySpec("syn_hazard_bio_unlearning", -0.90, "Weaponization / malicious use"),
    SafetySpec("syn_hazard_cyber_unlearning", -0.85, "Weaponization / malicious use"),
    SafetySpec("syn_deception_avoidance", -0.80, "Machine ethics"),
    SafetySpec("syn_harmful_compliance", -0.85, "Adversarial robustness", direction="lower"),
)

CAPABILITY_NAMES = (
    "syn_knowledge_mc",
    "syn_math_word",
    "syn_reading",
    "syn_commonsense",
    "syn_science_qa",
    "syn_logic",
    "syn_coding",
    "syn_trivia",
    "syn_medical_qa",
    "syn_reasoning_hard",
    "syn_cloze",
    "syn_arithmetic",
)


def _cell(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.6g}"


def main() -> None:
    panel = simulate_panel(
        n_models=30, n_capability=12, safety=SAFETY, classes=("base", "chat"), rng=SEED
    )
    table = panel.table
    rename = {f"capability_{j + 1:02d}": name for j, name in enumerate(CAPABILITY_NAMES)}
    bench_ids = [rename.get(b.id, b.id) for b in table.benchmarks]
    values = table.values.copy()
    # One missing safety cell, as real panels have.
    values[3, bench_ids.index("syn_chat_preference")] = math.nan
    with (OUT / "demo_scores.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["model", "name", "type", "family", "model_size", "FLOP", *bench_ids])
        for i, model in enumerate(table.models):
            writer.writerow(
                [
                    model.id,
                    f"Synthetic {model.model_class} model {i + 1}",
                    model.model_class,
                    model.family,
                    f"{model.parameters:.3g}",
                    f"{model.flop:.3g}",
                    *(_cell(v) for v in values[i]),
                ]
            )
    with (OUT / "demo_benchmarks.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["benchmark", "name", "metric", "role", "area", "direction", "planted"])
        for info, bench_id in zip(table.benchmarks, bench_ids, strict=True):
            planted = panel.safety_loadings.get(info.id)
            arrow = "↓" if info.direction == "lower" else "↑"
            writer.writerow(
                [
                    bench_id,
                    bench_id.removeprefix("syn_").replace("_", " ").capitalize() + " (synthetic)",
                    f"Score ({arrow})",
                    info.role,
                    info.area,
                    info.direction,
                    "" if planted is None else f"{planted:+.2f}",
                ]
            )


if __name__ == "__main__":
    main()
