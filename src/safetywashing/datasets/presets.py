"""Presets: benchmark roles, areas and references that come with the package.

The ``paper`` preset encodes the Safetywashing paper's choices for the column ids of its
released files: the 12 capability benchmarks that form the capability score, a safety
area for every other column (used to group reports like the paper's tables), and the
calibration columns' reference tasks (the paper correlates 1 - Brier and 1 - RMS
calibration error with the task's own accuracy, not with the capability score).
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass, replace

from safetywashing.core.errors import InputError, suggestion
from safetywashing.core.table import BenchmarkInfo, Role, ScoreTable

PAPER_CAPABILITIES: tuple[str, ...] = (
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
)

AREAS: tuple[str, ...] = (
    "Alignment",
    "Machine ethics",
    "Bias",
    "Truthfulness",
    "Scalable oversight",
    "Adversarial robustness",
    "Weaponization / malicious use",
    "Rogue AI tendencies",
    "Calibration",
    "Capabilities",
    "Other",
)

# Ordered (pattern, area) rules for the paper's column ids; the first match wins.
_PAPER_AREA_RULES: tuple[tuple[str, str], ...] = (
    (r"^(brier|rmsce)_", "Calibration"),
    (r"^machiavelli-(power|utility|violations)", "Machine ethics"),
    (r"^machiavelli-", "Other"),
    (r"^(ethics_|moralchoice$|scruples$|sycophancy$)", "Machine ethics"),
    (
        r"^(bbq|bigbench_bbq|crows_pairs|discrim_eval|winogender$|simple_cooccurrence_bias$"
        r"|toxigen$|decodingtrust_(stereotypes|fairness)$)",
        "Bias",
    ),
    (r"^(truthfulqa|halueval)", "Truthfulness"),
    (r"^(gpqa$|scrolls_quality$)", "Scalable oversight"),
    (
        r"^(adv_|anli$|decodingtrust_adv|harmbench-|rules_|cyberseceval2_prompt_injection$)",
        "Adversarial robustness",
    ),
    (r"^(wmdp|cyberseceval2_)", "Weaponization / malicious use"),
    (r"^(advanced_ai_risk$|persona$)", "Rogue AI tendencies"),
    (
        r"^(mt_bench$|lmsys_chatbot_arena$|alpaca-eval|ifeval$|beavertails$|safety_bench$)",
        "Alignment",
    ),
    (
        r"^(glue|superglue|drop_|mc_taco$|eq_bench$|lambada|logiqa$|piqa$|hellaswag$"
        r"|winogrande$|medqa|arc_|mmlu$|minerva_math$|gsm8k$|bbh$|agieval$|wikitext$"
        r"|pile_10k$|narrativeqa)",
        "Capabilities",
    ),
)

_CALIBRATION_REFERENCE = re.compile(r"^(?:brier|rmsce)_(?:temp_tuned_)?(?P<task>.+)$")


def paper_area(benchmark_id: str) -> str:
    """The paper's safety area for one of its benchmark column ids ("Other" if none)."""
    lowered = benchmark_id.lower()
    for pattern, area in _PAPER_AREA_RULES:
        if re.search(pattern, lowered):
            return area
    return "Other"


def paper_reference(benchmark_id: str, columns: set[str]) -> str | None:
    """The task accuracy column a calibration column is correlated with, if present."""
    match = _CALIBRATION_REFERENCE.match(benchmark_id)
    if match and match.group("task") in columns:
        return match.group("task")
    return None


@dataclass(frozen=True)
class Preset:
    """A named set of capability benchmarks and benchmark metadata rules."""

    name: str
    description: str
    capabilities: tuple[str, ...]
    #: A shipped ``benchmarks_info.csv`` (``folder/file`` under the reference data) whose
    #: display names and metrics fill the ones the table lacks.
    metadata_file: str | None = None

    @property
    def names(self) -> dict[str, tuple[str, str]]:
        """Benchmark id -> (display name, metric) from :attr:`metadata_file`."""
        return _shipped_names(self.metadata_file) if self.metadata_file else {}

    def apply(self, table: ScoreTable) -> ScoreTable:
        """Set roles, areas and references of the table's benchmarks from this preset.

        Metadata already given (a display name, a metric, a direction) is kept; roles
        and areas are the preset's; names and metrics the table lacks come from the
        preset's metadata file (the paper's ``benchmarks_info.csv``). Capability
        benchmarks missing from the table are an error naming them.
        """
        columns = set(table.benchmark_ids)
        missing = [name for name in self.capabilities if name not in columns]
        if missing:
            first = missing[0]
            raise InputError(
                f"The '{self.name}' preset needs capability benchmark '{first}'"
                f"{suggestion(first, columns)}, which the scores do not have"
                f"{f' (nor {len(missing) - 1} more)' if len(missing) > 1 else ''}; "
                "add it or choose capability benchmarks with --capabilities."
            )
        capability_set = set(self.capabilities)
        updated: list[BenchmarkInfo] = []
        for info in table.benchmarks:
            role: Role = (
                "capability"
                if info.id in capability_set
                else ("ignore" if info.role == "ignore" else "safety")
            )
            name, metric = self.names.get(info.id, ("", "")) if self.names else ("", "")
            updated.append(
                replace(
                    info,
                    role=role,
                    area=info.area or paper_area(info.id),
                    reference=info.reference or paper_reference(info.id, columns),
                    name=info.name if info.name != info.id or not name else name,
                    metric=info.metric or metric,
                )
            )
        return table.with_benchmarks(updated)


PRESETS: dict[str, Preset] = {
    "paper": Preset(
        name="paper",
        description=(
            "Ren et al. (2024): 12 capability benchmarks, the paper's safety areas, "
            "calibration columns against their task's accuracy"
        ),
        capabilities=PAPER_CAPABILITIES,
        metadata_file="safetywashing-paper/benchmarks_info.csv",
    ),
}


@functools.lru_cache(maxsize=4)
def _shipped_names(relative: str) -> dict[str, tuple[str, str]]:
    from safetywashing.datasets.panels import reference_root

    path = reference_root() / relative
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["benchmark"]: (row.get("name") or "", row.get("metric") or "")
            for row in csv.DictReader(handle)
        }


def get_preset(name: str) -> Preset:
    """Look up a preset by name; raises :class:`InputError` naming the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        known = ", ".join(sorted(PRESETS))
        raise InputError(
            f"There is no preset '{name}'{suggestion(name, PRESETS)}; the presets are {known}."
        ) from None
