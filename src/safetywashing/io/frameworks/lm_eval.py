"""Results files of EleutherAI's lm-evaluation-harness (0.4.x, and the older 0.3 layout).

The harness writes ``<output>/<model>/results_<timestamp>.json`` (0.4.x) or a single
``results.json`` (0.3). A results file holds:

- ``results``: task -> ``{"alias": ..., "acc,none": 0.41, "acc_stderr,none": 0.01, ...}``.
  Metric keys are ``metric,filter`` in 0.4 and bare ``metric`` in 0.3; every metric has a
  ``<metric>_stderr`` twin that may be the string ``"N/A"``; ``alias``, ``name`` and
  ``sample_len`` are not metrics.
- ``groups``: the aggregate of each group (0.4); ``group_subtasks``: group -> its subtasks
  (0.4.2 and later; earlier files name the group in ``configs[task]["group"]``).
- ``higher_is_better``: task -> metric -> bool; ``configs[task]["metric_list"]``: the
  task's metrics in the order its author listed them.
- the model: ``model_name`` (0.4.3 and later) or ``config.model_args`` (a
  ``"pretrained=org/name,dtype=..."`` string or a dict).

By default one score per top-level entry is read: each group's aggregate and each task
that belongs to no group. A group without an aggregate score is replaced by its subtasks.
The metric is the first of the task's ``metric_list`` that the file has, else the first of
``acc, exact_match, acc_norm, mc2, mc1, f1, em`` ..., else the first metric in the file;
the ``none`` filter is preferred, else the first filter listed. A metric map overrides
the choice for the tasks it names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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
from safetywashing.io.frameworks.metric_map import MetricChoice

#: Keys of a task's result entry that are not metrics.
NON_METRIC_KEYS = frozenset(
    {
        "alias",
        "name",
        "sample_len",
        "sample_count",
        "samples",
        "n",
        "n-shot",
        "num_fewshot",
        "version",
        "task",
        "group",
        " ",
    }
)
#: Default metric preference when a task's config does not list its metrics.
PREFERRED_METRICS: tuple[str, ...] = (
    "acc",
    "exact_match",
    "acc_norm",
    "mc2",
    "mc1",
    "f1",
    "em",
    "pass@1",
    "bleu",
    "rouge1",
    "word_perplexity",
    "bits_per_byte",
    "perplexity",
)
_MODEL_ARG_KEYS = ("pretrained", "model", "model_name", "model_id", "path", "engine")


@dataclass(frozen=True)
class Metric:
    """One metric of a task entry: name, filter, value and standard error."""

    name: str
    filter: str
    value: float
    stderr: float
    bare: bool

    @property
    def label(self) -> str:
        """``name`` for the ``none`` filter (or the 0.3 layout), else ``name,filter``."""
        return self.name if self.bare or self.filter == "none" else f"{self.name},{self.filter}"


def looks_like_lm_eval(document: Any) -> bool:
    """Whether a parsed JSON document is an lm-evaluation-harness results file."""
    if not isinstance(document, dict) or not isinstance(document.get("results"), dict):
        return False
    if any(isinstance(k, str) and k.startswith("harness|") for k in document["results"]):
        return False
    markers = ("versions", "config", "configs", "n-shot", "group_subtasks", "higher_is_better")
    if any(marker in document for marker in markers):
        return True
    entries = list(document["results"].values())
    return bool(entries) and all(isinstance(e, dict) for e in entries)


def is_leaderboard_v2(document: Any) -> bool:
    """Whether an lm-eval results file is an Open LLM Leaderboard v2 run (``leaderboard_*``)."""
    results = document.get("results", {}) if isinstance(document, dict) else {}
    names = [name for name in results if isinstance(name, str)]
    return bool(names) and all(name.startswith("leaderboard") for name in names)


def metrics_of(entry: dict[str, Any]) -> list[Metric]:
    """The metrics of one task entry, in file order, each with its stderr twin.

    Parameters
    ----------
    entry : dict
        ``results[task]`` of a results file.

    Returns
    -------
    list of Metric
        Metrics whose value is a finite number; ``_stderr`` keys and non-metric keys
        (``alias``, ``sample_len``, ...) are left out.
    """
    found: list[Metric] = []
    for key, value in entry.items():
        if not isinstance(key, str) or key in NON_METRIC_KEYS:
            continue
        name, sep, filter_name = key.partition(",")
        if name.endswith("_stderr") or not name:
            continue
        score = number(value)
        if score is None:
            continue
        twin = f"{name}_stderr,{filter_name}" if sep else f"{name}_stderr"
        found.append(
            Metric(
                name=name,
                filter=filter_name if sep else "none",
                value=score,
                stderr=stderr_value(entry.get(twin)),
                bare=not sep,
            )
        )
    return found


def choose_metric(
    metrics: list[Metric], declared: Iterable[str], choice: MetricChoice | None
) -> Metric | None:
    """Pick the metric to report for a task.

    Parameters
    ----------
    metrics : list of Metric
        What the file has for the task.
    declared : iterable of str
        The task's own metric order (its config's ``metric_list``).
    choice : MetricChoice or None
        The user's choice from the metric map.

    Returns
    -------
    Metric or None
        None when the user's choice is not among ``metrics`` (or there are none).
    """
    if not metrics:
        return None
    if choice is not None:
        matching = [m for m in metrics if choice.matches(m.name, m.filter)]
        return _prefer_none_filter(matching)
    for name in (*declared, *PREFERRED_METRICS):
        picked = _prefer_none_filter([m for m in metrics if m.name == name])
        if picked is not None:
            return picked
    return metrics[0]


def _prefer_none_filter(candidates: list[Metric]) -> Metric | None:
    for metric in candidates:
        if metric.filter == "none":
            return metric
    return candidates[0] if candidates else None


def model_name(document: dict[str, Any], path: Path) -> str | None:
    """The evaluated model: ``model_name``, else ``config.model_args`` (``pretrained=``,
    ``model=``, ...), else ``model_name_sanitized`` with ``__`` read as ``/``; None if the
    file names none (the folder name is not used: it need not be the model's)."""
    name = document.get("model_name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    config = document.get("config")
    if isinstance(config, dict):
        args = config.get("model_args")
        parsed: dict[str, Any] = {}
        if isinstance(args, dict):
            parsed = args
        elif isinstance(args, str):
            for part in args.split(","):
                key, sep, value = part.partition("=")
                if sep:
                    parsed[key.strip()] = value.strip()
        for key in _MODEL_ARG_KEYS:
            candidate = parsed.get(key)
            if isinstance(candidate, str) and candidate.strip():
                return candidate.strip()
    sanitized = document.get("model_name_sanitized")
    if isinstance(sanitized, str) and sanitized.strip():
        return sanitized.strip().replace("__", "/")
    return None


def _declared_metrics(document: dict[str, Any], task: str) -> list[str]:
    configs = document.get("configs")
    config = configs.get(task) if isinstance(configs, dict) else None
    metric_list = config.get("metric_list") if isinstance(config, dict) else None
    if not isinstance(metric_list, list):
        return []
    return [
        item["metric"]
        for item in metric_list
        if isinstance(item, dict) and isinstance(item.get("metric"), str)
    ]


#: Metrics lm-evaluation-harness declares lower-is-better in its own task code, for the
#: 0.3 results files, which do not say (CrowS-Pairs: the likelihood difference and the
#: share of stereotyped choices).
LOWER_IS_BETTER = frozenset({"likelihood_difference", "pct_stereotype"})


def _direction(document: dict[str, Any], task: str, metric: str) -> bool | None:
    """Whether a higher value of ``metric`` is better, as the file says; for a metric the
    file says nothing about, False where :data:`LOWER_IS_BETTER` knows it, else None."""
    said = _declared_direction(document, task, metric)
    if said is None and metric in LOWER_IS_BETTER:
        return False
    return said


def _declared_direction(document: dict[str, Any], task: str, metric: str) -> bool | None:
    table = document.get("higher_is_better")
    if isinstance(table, dict) and isinstance(table.get(task), dict):
        value = table[task].get(metric)
        if isinstance(value, bool):
            return value
    configs = document.get("configs")
    config = configs.get(task) if isinstance(configs, dict) else None
    metric_list = config.get("metric_list") if isinstance(config, dict) else None
    if isinstance(metric_list, list):
        for item in metric_list:
            if isinstance(item, dict) and item.get("metric") == metric:
                value = item.get("higher_is_better")
                if isinstance(value, bool):
                    return value
    return None


def _children(document: dict[str, Any]) -> dict[str, list[str]]:
    group_subtasks = document.get("group_subtasks")
    children: dict[str, list[str]] = {}
    if isinstance(group_subtasks, dict):
        for group, subtasks in group_subtasks.items():
            if isinstance(subtasks, list):
                children[str(group)] = [str(s) for s in subtasks if isinstance(s, str)]
        return children
    configs = document.get("configs")
    if isinstance(configs, dict):
        for task, config in configs.items():
            group = config.get("group") if isinstance(config, dict) else None
            groups = [group] if isinstance(group, str) else group if isinstance(group, list) else []
            for name in groups:
                if isinstance(name, str) and name != task:
                    children.setdefault(name, []).append(str(task))
    return children


def _run_timestamp(document: dict[str, Any], path: Path) -> float:
    date = number(document.get("date"))
    if date is not None and date > 0:
        return date
    from_name = timestamp_from_name(path.name)
    if from_name is not None:
        return from_name
    return file_mtime(path)


def parse(document: Any, path: Path, context: Context, *, framework: str = "lm-eval") -> Parsed:
    """Read one lm-evaluation-harness results document.

    A reader of the protocol described at :class:`~safetywashing.io.frameworks._common.Parsed`,
    with ``framework``, the name recorded (``"openllm"`` for Open LLM Leaderboard v2 files).
    It is unreadable if the document has no results or no model name.
    """
    if not isinstance(document, dict) or not isinstance(document.get("results"), dict):
        raise Unreadable("has no 'results' object; it is not an lm-evaluation-harness file")
    model = model_name(document, path)
    if model is None:
        raise Unreadable(
            "names no model (no 'model_name' and no 'pretrained=' in config.model_args)"
        )
    results: dict[str, Any] = document["results"]
    raw_groups = document.get("groups")
    groups: dict[str, Any] = raw_groups if isinstance(raw_groups, dict) else {}
    children = _children(document)
    names = list(dict.fromkeys([*results, *groups]))
    child_set = {child for subtasks in children.values() for child in subtasks}
    expand = {"leaderboard"} if framework == "openllm" else set()
    timestamp = _run_timestamp(document, path)
    parsed = Parsed()
    seen: set[str] = set()

    def entry_metrics(name: str) -> list[Metric]:
        for source in (groups.get(name), results.get(name)):
            if isinstance(source, dict):
                found = metrics_of(source)
                if found:
                    return found
        return []

    def visit(name: str, depth: int = 0) -> None:
        if name in seen or depth > 20:
            return
        seen.add(name)
        if name in expand and children.get(name):
            for child in children[name]:
                visit(child, depth + 1)
            return
        metrics = entry_metrics(name)
        choice = context.choice(name)
        if not metrics and children.get(name):
            for child in children[name]:
                visit(child, depth + 1)
            return
        picked = choose_metric(metrics, _declared_metrics(document, name), choice)
        if picked is None:
            if choice is not None:
                available = ", ".join(sorted({m.label for m in metrics})) or "none"
                parsed.notes.append(
                    f"{path}: task '{name}' has no metric '{choice.metric}"
                    f"{',' + choice.qualifier if choice.qualifier else ''}' (it has "
                    f"{available}); left out."
                )
            return
        direction = _direction(document, name, picked.name)
        if choice is not None:
            direction = choice.higher_is_better(direction)
        parsed.records.append(
            ResultRecord(
                model=model,
                benchmark=name,
                score=picked.value,
                stderr=picked.stderr,
                source=str(path),
                framework=framework,
                metric=picked.label,
                higher_is_better=direction,
                timestamp=timestamp,
            )
        )
        if context.subtasks:
            for child in children.get(name, []):
                visit(child, depth + 1)

    for name in names:
        if name not in child_set or name in context.metric_map:
            visit(name)
    if context.subtasks:
        for name in names:
            visit(name)
    if not parsed.records and not parsed.notes:
        raise Unreadable("has no numeric scores in its 'results'")
    return parsed
