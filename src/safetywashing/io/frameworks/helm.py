"""Run folders of Stanford CRFM's HELM (``benchmark_output/runs/<suite>/<run>/``).

Each run folder holds ``run_spec.json`` (the run's ``name``, ``adapter_spec.model`` and
the ``groups`` it belongs to, e.g. ``["mmlu"]``) and ``stats.json`` (a list of statistics,
each ``{"name": {"name": "exact_match", "split": "test", ["perturbation": ...]}, "count",
"sum", "mean", ...}``). Other files of a run (``scenario_state.json``, ``instances.json``,
per-instance stats) are never read.

The benchmark is the run's first group. Its score is the group's *main* metric on its
main split, taken from ``schema.json`` in the suite folder (``run_groups[].environment``
``main_name`` / ``main_split``, written by ``helm-summarize``), else from a metric map,
else ``exact_match`` (then ``quasi_exact_match``, ...) on ``test`` (then ``valid``), with a
note. Only unperturbed statistics are used. The runs of one benchmark for one model in
one suite (e.g. the 57 MMLU subjects) are averaged, as HELM's own tables do. HELM's
per-run statistics carry no standard error of the mean, so ``stderr`` is NaN.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetywashing.core.table import SourceFile
from safetywashing.io.frameworks._common import Context, file_mtime, number
from safetywashing.io.frameworks._records import ResultRecord, SkippedFile
from safetywashing.io.frameworks._safe import Unreadable, parse_json, read_bounded
from safetywashing.io.frameworks.metric_map import MetricChoice

RUN_SPEC = "run_spec.json"
STATS = "stats.json"
SCHEMA = "schema.json"
#: Fallback main metrics, in order, when no schema names one.
FALLBACK_METRICS: tuple[str, ...] = (
    "exact_match",
    "quasi_exact_match",
    "prefix_exact_match",
    "final_number_exact_match",
    "math_equiv_chain_of_thought",
    "f1_score",
    "rouge_l",
    "bleu_4",
)
SPLITS: tuple[str, ...] = ("test", "valid", "train")


@dataclass
class HelmOutcome:
    """What a set of HELM run folders yielded."""

    records: list[ResultRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    sources: list[SourceFile] = field(default_factory=list)


@dataclass(frozen=True)
class _Schema:
    main: dict[str, tuple[str, str]]
    lower_is_better: dict[str, bool]


@dataclass
class _Run:
    path: Path
    value: float
    label: str
    timestamp: float


def _items(value: Any) -> list[Any]:
    """``value`` if it is a JSON array, else no items (a malformed field is ignored)."""
    return value if isinstance(value, list) else []


def is_run_folder(path: Path) -> bool:
    """Whether ``path`` is a HELM run folder (it has a ``run_spec.json``)."""
    return (path / RUN_SPEC).is_file()


def _load(path: Path, sources: list[SourceFile]) -> Any:
    data = read_bounded(path)
    sources.append(SourceFile(path=str(path), sha256=hashlib.sha256(data).hexdigest()))
    return parse_json(data)


def _schema(suite: Path, cache: dict[Path, _Schema | None], outcome: HelmOutcome) -> _Schema | None:
    if suite in cache:
        return cache[suite]
    found: _Schema | None = None
    path = suite / SCHEMA
    if path.is_file():
        try:
            document = _load(path, outcome.sources)
        except Unreadable as error:
            outcome.skipped.append(SkippedFile(str(path), error.reason))
            document = None
        if isinstance(document, dict):
            main: dict[str, tuple[str, str]] = {}
            for group in _items(document.get("run_groups")):
                environment = group.get("environment") if isinstance(group, dict) else None
                if isinstance(environment, dict):
                    name, split = environment.get("main_name"), environment.get("main_split")
                    if isinstance(name, str) and isinstance(split, str) and "$" not in name:
                        main[str(group.get("name"))] = (name, split)
            lower: dict[str, bool] = {}
            for metric in _items(document.get("metrics")):
                if isinstance(metric, dict) and isinstance(metric.get("lower_is_better"), bool):
                    lower[str(metric.get("name"))] = metric["lower_is_better"]
            found = _Schema(main=main, lower_is_better=lower)
    cache[suite] = found
    return found


def _unperturbed(stats: list[Any]) -> dict[tuple[str, str], float]:
    values: dict[tuple[str, str], float] = {}
    for stat in stats:
        if not isinstance(stat, dict) or not isinstance(stat.get("name"), dict):
            continue
        name = stat["name"]
        if name.get("perturbation") or name.get("sub_split"):
            continue
        mean = number(stat.get("mean"))
        if mean is None:
            total, count = number(stat.get("sum")), number(stat.get("count"))
            mean = total / count if total is not None and count else None
        if mean is not None and isinstance(name.get("name"), str):
            values.setdefault((name["name"], str(name.get("split") or "")), mean)
    return values


def _pick(
    values: dict[tuple[str, str], float],
    choice: MetricChoice | None,
    main: tuple[str, str] | None,
) -> tuple[str, str, float] | None:
    if choice is not None:
        names: tuple[str, ...] = (choice.metric,)
        splits: tuple[str, ...] = (choice.qualifier,) if choice.qualifier else (*SPLITS, "")
    elif main is not None:
        names, splits = (main[0],), (main[1],)
    else:
        names, splits = FALLBACK_METRICS, (*SPLITS, "")
    for name in names:
        for split in splits:
            if (name, split) in values:
                return name, split, values[(name, split)]
    return None


def read_runs(run_folders: list[Path], context: Context) -> HelmOutcome:
    """Read HELM run folders and average the runs of each benchmark per model and suite.

    Parameters
    ----------
    run_folders : list of Path
        Folders that hold ``run_spec.json`` and ``stats.json``.
    context : Context
        Metric map and options.

    Returns
    -------
    HelmOutcome
    """
    outcome = HelmOutcome()
    schemas: dict[Path, _Schema | None] = {}
    grouped: dict[tuple[Path, str, str], list[_Run]] = {}
    directions: dict[tuple[Path, str, str], bool | None] = {}
    fallback_noted: set[tuple[Path, str]] = set()
    for folder in sorted(run_folders):
        try:
            spec = _load(folder / RUN_SPEC, outcome.sources)
            if not (folder / STATS).is_file():
                raise Unreadable("has no stats.json (the run did not finish)")
            stats = _load(folder / STATS, outcome.sources)
        except Unreadable as error:
            outcome.skipped.append(SkippedFile(str(folder), error.reason))
            continue
        adapter = spec.get("adapter_spec") if isinstance(spec, dict) else None
        model = adapter.get("model") if isinstance(adapter, dict) else None
        if not isinstance(model, str) or not model or not isinstance(stats, list):
            outcome.skipped.append(
                SkippedFile(str(folder), "is not a HELM run (no adapter_spec.model or stats list)")
            )
            continue
        groups = [g for g in _items(spec.get("groups")) if isinstance(g, str)]
        run_name = str(spec.get("name") or folder.name)
        benchmark = groups[0] if groups else run_name.split(":", 1)[0]
        suite = folder.parent
        schema = _schema(suite, schemas, outcome)
        choice = context.choice(benchmark)
        main = schema.main.get(benchmark) if schema is not None else None
        picked = _pick(_unperturbed(stats), choice, main)
        if picked is None:
            wanted = choice.metric if choice else main[0] if main else "a main metric"
            outcome.skipped.append(
                SkippedFile(str(folder), f"has no unperturbed {wanted} statistic in stats.json")
            )
            continue
        name, split, value = picked
        if choice is None and main is None and (suite, benchmark) not in fallback_noted:
            fallback_noted.add((suite, benchmark))
            outcome.notes.append(
                f"{suite}: no schema.json names the main metric of HELM group '{benchmark}'; "
                f"used {name} on {split or 'all data'} (choose another with a metric map)."
            )
        lower = schema.lower_is_better.get(name) if schema is not None else None
        direction = None if lower is None else not lower
        if choice is not None:
            direction = choice.higher_is_better(direction)
        key = (suite, model, benchmark)
        directions.setdefault(key, direction)
        label = f"{name},{split}" if split else name
        grouped.setdefault(key, []).append(_Run(folder, value, label, file_mtime(folder / STATS)))
    for (suite, model, benchmark), runs in grouped.items():
        labels = sorted({run.label for run in runs})
        if len(labels) > 1:
            outcome.notes.append(
                f"{suite}: the {len(runs)} runs of '{benchmark}' for {model} use different "
                f"metrics ({', '.join(labels)}); their mean mixes them."
            )
        source = str(runs[0].path) if len(runs) == 1 else f"{suite} ({len(runs)} runs)"
        outcome.records.append(
            ResultRecord(
                model=model,
                benchmark=benchmark,
                score=math.fsum(run.value for run in runs) / len(runs),
                stderr=math.nan,
                source=source,
                framework="helm",
                metric=labels[0],
                higher_is_better=directions[(suite, model, benchmark)],
                timestamp=max(run.timestamp for run in runs),
            )
        )
    return outcome
