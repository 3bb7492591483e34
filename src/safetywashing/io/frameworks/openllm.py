"""Per-model results files of the Hugging Face Open LLM Leaderboard.

Version 1 (2023-2024) files hold ``results`` keyed ``harness|<task>|<shots>`` (e.g.
``harness|arc:challenge|25``, ``harness|hendrycksTest-anatomy|5``,
``harness|truthfulqa:mc|0``) with bare metric keys and ``_stderr`` twins, an ``all``
average, and the model in ``config_general.model_name`` (``config.model_name`` in the
earliest files). Tasks are named as the lm-evaluation-harness names them
(``arc_challenge``, ``hellaswag``, ``mmlu``, ``truthfulqa_mc1``, ``truthfulqa_mc2``,
``winogrande``, ``gsm8k``, ``drop``) and scored with the leaderboard's own metric
(``acc_norm`` for ARC and HellaSwag, ``mc2`` for TruthfulQA, ``acc`` otherwise); MMLU is the
mean over its subject tasks, as the leaderboard computed it.

Version 2 files are lm-evaluation-harness 0.4 results of ``leaderboard_*`` tasks and are
read by :mod:`safetywashing.io.frameworks.lm_eval` (the six benchmarks under the
``leaderboard`` group are reported, not the group's mixed average).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from safetywashing.io.frameworks._common import (
    Context,
    Parsed,
    file_mtime,
    number,
    stderr_value,
    timestamp_from_name,
)
from safetywashing.io.frameworks._records import ResultRecord
from safetywashing.io.frameworks._safe import Unreadable

#: v1 task -> (benchmark id, leaderboard metric).
V1_TASKS: dict[str, tuple[str, str]] = {
    "arc:challenge": ("arc_challenge", "acc_norm"),
    "hellaswag": ("hellaswag", "acc_norm"),
    "winogrande": ("winogrande", "acc"),
    "gsm8k": ("gsm8k", "acc"),
    "drop": ("drop", "f1"),
}
MMLU_PREFIX = "hendrycksTest-"
MMLU_SUBJECTS = 57


def looks_like_v1(document: Any) -> bool:
    """Whether a parsed JSON document is an Open LLM Leaderboard v1 results file."""
    if not isinstance(document, dict) or not isinstance(document.get("results"), dict):
        return False
    if "config_general" in document:
        return True
    return any(isinstance(k, str) and k.startswith("harness|") for k in document["results"])


def _model(document: dict[str, Any]) -> str | None:
    for key in ("config_general", "config"):
        config = document.get(key)
        if isinstance(config, dict):
            name = config.get("model_name")
            if isinstance(name, str) and name.strip():
                return name.strip()
    name = document.get("model_name")
    return name.strip() if isinstance(name, str) and name.strip() else None


def _task(key: str) -> str:
    parts = key.split("|")
    return parts[1] if len(parts) >= 2 else key


def _default_metric(entry: dict[str, Any]) -> str | None:
    for name in ("acc_norm", "acc", "mc2", "f1", "em"):
        if number(entry.get(name)) is not None:
            return name
    for key, value in entry.items():
        if not key.endswith("_stderr") and number(value) is not None:
            return str(key)
    return None


def parse(document: Any, path: Path, context: Context) -> Parsed:
    """Read one Open LLM Leaderboard v1 results document.

    A reader of the protocol described at :class:`~safetywashing.io.frameworks._common.Parsed`.
    It is unreadable if the file names no model or has no scores.
    """
    if not looks_like_v1(document):
        raise Unreadable("is not an Open LLM Leaderboard v1 results file")
    model = _model(document)
    if model is None:
        raise Unreadable("names no model (no config_general.model_name)")
    timestamp = timestamp_from_name(path.name)
    if timestamp is None:
        timestamp = file_mtime(path)
    parsed = Parsed()
    mmlu: list[tuple[float, float]] = []
    mmlu_metric = ""

    def add(benchmark: str, metric: str, entry: dict[str, Any]) -> None:
        value = number(entry.get(metric))
        if value is None:
            parsed.notes.append(f"{path}: '{benchmark}' has no metric '{metric}'; left out.")
            return
        parsed.records.append(
            ResultRecord(
                model=model,
                benchmark=benchmark,
                score=value,
                stderr=stderr_value(entry.get(f"{metric}_stderr")),
                source=str(path),
                framework="openllm",
                metric=metric,
                higher_is_better=_direction(benchmark, True),
                timestamp=timestamp,
            )
        )

    def _direction(benchmark: str, default: bool | None) -> bool | None:
        choice = context.metric_map.get(benchmark)
        return choice.higher_is_better(default) if choice is not None else default

    for key, entry in document["results"].items():
        if key == "all" or not isinstance(entry, dict):
            continue
        task = _task(str(key))
        if task.startswith(MMLU_PREFIX):
            choice = context.choice("mmlu")
            mmlu_metric = choice.metric if choice is not None else "acc"
            value = number(entry.get(mmlu_metric))
            if value is not None:
                mmlu.append((value, stderr_value(entry.get(f"{mmlu_metric}_stderr"))))
            continue
        if task == "truthfulqa:mc":
            for benchmark, default in (("truthfulqa_mc1", "mc1"), ("truthfulqa_mc2", "mc2")):
                choice = context.choice(benchmark)
                add(benchmark, choice.metric if choice is not None else default, entry)
            continue
        benchmark, default_metric = V1_TASKS.get(
            task, (task.replace(":", "_").replace("-", "_"), "")
        )
        choice = context.choice(benchmark, task)
        metric = choice.metric if choice is not None else default_metric
        metric = metric or _default_metric(entry) or ""
        if metric:
            add(benchmark, metric, entry)
    if mmlu:
        scores = [value for value, _ in mmlu]
        errors = [error for _, error in mmlu]
        stderr = (
            math.sqrt(sum(e * e for e in errors)) / len(errors)
            if all(math.isfinite(e) for e in errors)
            else math.nan
        )
        if len(mmlu) != MMLU_SUBJECTS:
            parsed.notes.append(
                f"{path}: mmlu is the mean of {len(mmlu)} subjects (the leaderboard "
                f"averages {MMLU_SUBJECTS})."
            )
        parsed.records.append(
            ResultRecord(
                model=model,
                benchmark="mmlu",
                score=sum(scores) / len(scores),
                stderr=stderr,
                source=str(path),
                framework="openllm",
                metric=mmlu_metric,
                higher_is_better=_direction("mmlu", True),
                timestamp=timestamp,
            )
        )
    if not parsed.records:
        raise Unreadable("has no numeric scores in its 'results'")
    return parsed
