"""Find result files under the given paths, read each with its framework's reader."""

from __future__ import annotations

import hashlib
import math
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetywashing.core.errors import InputError, suggestion
from safetywashing.core.table import SourceFile
from safetywashing.io.frameworks import helm, inspect_logs, lm_eval, openllm
from safetywashing.io.frameworks._common import Context, Parsed
from safetywashing.io.frameworks._records import IngestReport, ResultRecord, SkippedFile
from safetywashing.io.frameworks._safe import Unreadable, parse_json, read_bounded
from safetywashing.io.frameworks.metric_map import MetricChoice, read_metric_map
from safetywashing.io.tables.readers import file_sha256

#: Accepted values of ``format``.
FORMATS: tuple[str, ...] = ("auto", "lm-eval", "inspect", "helm", "openllm")
_FORMAT_ALIASES = {
    "lm_eval": "lm-eval",
    "lmeval": "lm-eval",
    "lm-evaluation-harness": "lm-eval",
    "harness": "lm-eval",
    "inspect_ai": "inspect",
    "inspect-ai": "inspect",
    "open-llm": "openllm",
    "open_llm": "openllm",
    "open-llm-leaderboard": "openllm",
}
_CANDIDATE_SUFFIXES = frozenset({".json", ".eval"})
_NAMES = {
    "lm-eval": "lm-evaluation-harness",
    "inspect": "Inspect",
    "helm": "HELM",
    "openllm": "Open LLM Leaderboard",
}


def normalize_format(text: str) -> str:
    """Canonical format name for ``text`` (case-insensitive, common aliases accepted).

    Raises
    ------
    InputError
        For an unknown format.
    """
    lowered = text.strip().lower()
    lowered = _FORMAT_ALIASES.get(lowered, lowered)
    if lowered not in FORMATS:
        raise InputError(
            f"Unknown format '{text}'{suggestion(text, FORMATS)}; use one of {', '.join(FORMATS)}."
        )
    return lowered


def classify(document: Any) -> str | None:
    """Which framework wrote a parsed JSON document.

    Returns
    -------
    str or None
        ``"inspect"``, ``"openllm"`` (v1), ``"openllm-v2"``, ``"lm-eval"``, or None.
    """
    if inspect_logs.looks_like_inspect(document):
        return "inspect"
    if openllm.looks_like_v1(document):
        return "openllm"
    if lm_eval.looks_like_lm_eval(document):
        return "openllm-v2" if lm_eval.is_leaderboard_v2(document) else "lm-eval"
    return None


@dataclass
class _Found:
    files: list[Path] = field(default_factory=list)
    helm_runs: list[Path] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    other: Counter[str] = field(default_factory=Counter)
    helm_files: int = 0


def collect_files(paths: Iterable[str | Path]) -> _Found:
    """The results files under ``paths`` (files, or folders walked), by framework."""
    found = _Found()
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder; check the path.")
        if path.is_file():
            if path.name in (helm.RUN_SPEC, helm.STATS):
                found.helm_runs.append(path.parent)
            elif path not in seen:
                seen.add(path)
                found.files.append(path)
            continue
        for folder, dirnames, filenames in os.walk(path):
            here = Path(folder)
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            if helm.RUN_SPEC in filenames:
                found.helm_runs.append(here)
                dirnames[:] = []
                continue
            suite = any(helm.is_run_folder(here / d) for d in dirnames)
            for name in sorted(filenames):
                file_path = here / name
                suffix = file_path.suffix.lower()
                if name.startswith("."):
                    found.other["hidden"] += 1
                elif suite and suffix == ".json":
                    found.helm_files += name != helm.SCHEMA
                elif suffix in _CANDIDATE_SUFFIXES:
                    if file_path not in seen:
                        seen.add(file_path)
                        found.files.append(file_path)
                else:
                    found.other[suffix or "no extension"] += 1
    found.helm_runs = list(dict.fromkeys(found.helm_runs))
    return found


def _read_file(path: Path, wanted: str, context: Context) -> tuple[Parsed, SourceFile]:
    if path.suffix.lower() == ".eval":
        if wanted not in ("auto", "inspect"):
            raise Unreadable(f"is an Inspect log, not {_NAMES[wanted]} output")
        document = inspect_logs.read_eval_archive(path)
        return inspect_logs.parse(document, path, context), SourceFile(str(path), file_sha256(path))
    if path.name in inspect_logs.LISTING_FILES:
        raise Unreadable("is an Inspect eval-set listing, not a log")
    data = read_bounded(path)
    source = SourceFile(str(path), hashlib.sha256(data).hexdigest())
    document = parse_json(data)
    kind = classify(document)
    if kind is None:
        raise Unreadable(
            "is not a results file of lm-evaluation-harness, Inspect, HELM or the Open LLM "
            "Leaderboard"
        )
    family = "openllm" if kind == "openllm-v2" else kind
    compatible = wanted in ("auto", family) or (wanted == "lm-eval" and kind == "openllm-v2")
    if not compatible and not (wanted == "openllm" and kind == "lm-eval"):
        raise Unreadable(f"is {_NAMES[family]} output, not {_NAMES[wanted]} output")
    if kind == "inspect":
        return inspect_logs.parse(document, path, context), source
    if kind == "openllm":
        return openllm.parse(document, path, context), source
    as_openllm = wanted == "openllm" or (wanted == "auto" and kind == "openllm-v2")
    framework = "openllm" if as_openllm else "lm-eval"
    return lm_eval.parse(document, path, context, framework=framework), source


def _run_order(record: ResultRecord) -> tuple[float, str]:
    return (-math.inf if math.isnan(record.timestamp) else record.timestamp, record.source)


def _resolve(records: list[ResultRecord]) -> tuple[list[ResultRecord], list[str]]:
    """Keep one record per (model, benchmark): the newest run's; say what was set aside."""
    by_key: dict[tuple[str, str], list[ResultRecord]] = {}
    for record in records:
        by_key.setdefault((record.model, record.benchmark), []).append(record)
    winners: set[int] = set()
    superseded: dict[tuple[str, str, str, bool], list[str]] = {}
    for (model, benchmark), group in by_key.items():
        ordered = sorted(group, key=_run_order)
        winner = ordered[-1]
        winners.add(id(winner))
        for loser in ordered[:-1]:
            dated = not math.isnan(winner.timestamp) and winner.timestamp > loser.timestamp
            key = (model, winner.source, loser.source, dated)
            superseded.setdefault(key, []).append(benchmark)
    notes = []
    for (model, newer, older, dated), benchmarks in superseded.items():
        listed = ", ".join(benchmarks[:5])
        if len(benchmarks) > 5:
            listed += f" and {len(benchmarks) - 5} more"
        if dated:
            notes.append(
                f"model '{model}': {newer} is newer than {older}; kept the newer scores for "
                f"{listed}."
            )
        else:
            notes.append(
                f"model '{model}': {newer} and {older} both score {listed} and have no run "
                f"dates to tell them apart; kept {newer} (last by name)."
            )
    return [r for r in records if id(r) in winners], notes


def _metric_map(
    metric_map: Mapping[str, MetricChoice] | str | Path | None,
) -> dict[str, MetricChoice]:
    if metric_map is None:
        return {}
    if isinstance(metric_map, str | Path):
        return read_metric_map(metric_map)
    return dict(metric_map)


def ingest(
    paths: str | Path | Iterable[str | Path],
    *,
    format: str = "auto",
    metric_map: Mapping[str, MetricChoice] | str | Path | None = None,
    subtasks: bool = False,
) -> IngestReport:
    """Read evaluation-framework results from files and folders.

    Folders are searched recursively. Each ``.json`` file is recognized by its content
    (lm-evaluation-harness, Inspect, Open LLM Leaderboard); ``.eval`` files are Inspect
    logs; folders with a ``run_spec.json`` are HELM runs. A file that cannot be used is
    listed in ``skipped`` with the reason, and the rest still load.

    Parameters
    ----------
    paths : path or iterable of paths
        Files and folders.
    format : {"auto", "lm-eval", "inspect", "helm", "openllm"}, default "auto"
        Read only this framework's files (others are skipped and listed).
    metric_map : mapping, path or None
        Task -> :class:`MetricChoice`, or a metric map file (CSV or JSON; see
        :func:`~safetywashing.io.frameworks.metric_map.read_metric_map`).
    subtasks : bool, default False
        Also read the subtasks of lm-evaluation-harness groups (e.g. the MMLU subjects).

    Returns
    -------
    IngestReport

    Raises
    ------
    InputError
        If a path does not exist, the format is unknown or the metric map is invalid.
        Unreadable result files are not errors: they are listed in the report.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "org__model-7b"
    >>> folder.mkdir()
    >>> document = {"model_name": "org/model-7b",
    ...             "results": {"mmlu": {"alias": "mmlu", "acc,none": 0.61}}}
    >>> _ = (folder / "results_2024-06-01T00-00-00.json").write_text(json.dumps(document))
    >>> report = ingest(folder.parent)
    >>> [(r.model, r.benchmark, r.score) for r in report.records]
    [('org/model-7b', 'mmlu', 0.61)]
    """
    wanted = normalize_format(format)
    choices = _metric_map(metric_map)
    given = [paths] if isinstance(paths, str | Path) else list(paths)
    if not given:
        raise InputError("No paths given; name the result files or folders to read.")
    found = collect_files(given)
    context = Context(metric_map=choices, subtasks=subtasks)
    records: list[ResultRecord] = []
    notes: list[str] = []
    skipped = list(found.skipped)
    sources: list[SourceFile] = []
    for path in found.files:
        try:
            parsed, source = _read_file(path, wanted, context)
        except Unreadable as error:
            skipped.append(SkippedFile(str(path), error.reason))
            continue
        except InputError as error:  # a file whose content cannot be used: skipped too
            skipped.append(SkippedFile(str(path), f"cannot be used ({error})"))
            continue
        unnamed = [r for r in parsed.records if not r.benchmark.strip() or not r.model.strip()]
        if unnamed:
            notes.append(
                f"{path}: {len(unnamed)} score{'s' if len(unnamed) > 1 else ''} with an empty "
                "task or model name left out."
            )
        records.extend(r for r in parsed.records if r.benchmark.strip() and r.model.strip())
        notes.extend(parsed.notes)
        sources.append(source)
    if found.helm_runs:
        if wanted in ("auto", "helm"):
            outcome = helm.read_runs(found.helm_runs, context)
            records.extend(outcome.records)
            notes.extend(outcome.notes)
            skipped.extend(outcome.skipped)
            sources.extend(outcome.sources)
        else:
            skipped.extend(
                SkippedFile(str(run), f"is a HELM run, not {_NAMES[wanted]} output")
                for run in found.helm_runs
            )
    kept, resolved = _resolve(records)
    notes.extend(resolved)
    if found.helm_files:
        notes.append(
            f"{found.helm_files} HELM summary files next to the run folders were not needed."
        )
    if found.other:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(found.other.items()))
        notes.append(f"files that are not results were not read: {kinds}.")
    benchmarks = {r.benchmark for r in records}
    for key in choices:
        if key not in context.used:
            notes.append(f"metric map entry '{key}' matched no task{suggestion(key, benchmarks)}.")
    return IngestReport(
        records=tuple(kept),
        skipped=tuple(skipped),
        notes=tuple(notes),
        sources=tuple(dict.fromkeys(sources)),
    )
