"""Evaluation logs of UK AISI's Inspect (``inspect_ai``), read without ``inspect_ai``.

Inspect writes one log per task run, either as a ``.json`` file (the whole ``EvalLog``) or
as an ``.eval`` file: a zip archive whose ``header.json`` member holds the log without
its samples (``version``, ``status``, ``eval``, ``plan``, ``results``, ``stats``), next to
``_journal/start.json``, ``summaries.json``, ``reductions.json`` and ``samples/...``.
Recent versions compress members with zstandard (zip method 93), which the standard
library's ``zipfile`` cannot read; members are decompressed here, in memory, with a cap.
Only ``header.json`` is read: samples are never needed.

The model is ``eval.model``, the benchmark is ``eval.task`` without its package prefix
(``inspect_evals/gpqa_diamond`` -> ``gpqa_diamond``) and the scores are
``results.scores[].metrics``. The default metric is ``accuracy`` of the first scorer, else
its first metric that is not a dispersion (stderr, std, var); the standard error is the
same scorer's ``stderr`` metric. Logs whose ``status`` is not ``success`` are skipped.
``logs.json`` and ``eval-set.json`` (listings written by ``inspect eval-set``) are not
logs and are skipped.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from safetywashing.io.frameworks._common import Context, Parsed, file_mtime, iso_timestamp, number
from safetywashing.io.frameworks._records import ResultRecord
from safetywashing.io.frameworks._safe import SafeZip, Unreadable

#: File names that ``inspect eval-set`` writes next to the logs; they are not logs.
LISTING_FILES = frozenset({"logs.json", "eval-set.json"})
#: Metrics that describe a score's spread rather than being a score.
DISPERSION_METRICS = frozenset({"stderr", "std", "var", "bootstrap_stderr", "bootstrap_std"})
HEADER = "header.json"
JOURNAL_START = "_journal/start.json"


def looks_like_inspect(document: Any) -> bool:
    """Whether a parsed JSON document is an Inspect eval log."""
    return (
        isinstance(document, dict)
        and isinstance(document.get("eval"), dict)
        and "status" in document
    )


def read_eval_archive(path: Path) -> Any:
    """The log header of an ``.eval`` archive (its ``header.json``), read in memory.

    Raises
    ------
    Unreadable
        If the archive is unsafe, damaged, a zip bomb, or has no header (an evaluation
        that never finished).
    """
    with SafeZip(path) as archive:
        if HEADER in archive:
            return archive.read_json(HEADER)
        if JOURNAL_START in archive:
            raise Unreadable("has no header.json: the evaluation did not finish (status 'started')")
        raise Unreadable("has no header.json; it is not an Inspect eval log")


def _scores(results: dict[str, Any]) -> list[dict[str, Any]]:
    scores = results.get("scores")
    if isinstance(scores, list):
        return [s for s in scores if isinstance(s, dict)]
    if isinstance(results.get("metrics"), dict):  # schema version 1: one scorer
        scorer = results.get("scorer")
        name = scorer.get("name") if isinstance(scorer, dict) else None
        return [{"name": name or "score", "metrics": results["metrics"]}]
    return []


def _metric_values(score: dict[str, Any]) -> dict[str, float]:
    metrics = score.get("metrics")
    values: dict[str, float] = {}
    if not isinstance(metrics, dict):
        return values
    for key, metric in metrics.items():
        raw = metric.get("value") if isinstance(metric, dict) else metric
        value = number(raw)
        if value is not None:
            values[str(key)] = value
    return values


def parse(document: Any, path: Path, context: Context) -> Parsed:
    """Read one Inspect log document (the ``.json`` log or an ``.eval`` header).

    A reader of the protocol described at :class:`~safetywashing.io.frameworks._common.Parsed`.
    It is unreadable if the run did not succeed, or the log names no model or task, or has
    no scores.
    """
    if not looks_like_inspect(document):
        raise Unreadable("is not an Inspect eval log (no 'eval' and 'status')")
    status = document.get("status")
    if status != "success":
        raise Unreadable(f"has status '{status}', not 'success'; the run's scores are not used")
    spec: dict[str, Any] = document["eval"]
    model, task = spec.get("model"), spec.get("task")
    if not isinstance(model, str) or not model or not isinstance(task, str) or not task:
        raise Unreadable("names no model or task in 'eval'")
    benchmark = task.rsplit("/", 1)[-1]
    results = document.get("results")
    scores = _scores(results) if isinstance(results, dict) else []
    if not scores:
        raise Unreadable("has no results.scores")
    choice = context.choice(benchmark, task)
    timestamp = iso_timestamp(spec.get("created"))
    if timestamp is None:
        timestamp = file_mtime(path)
    parsed = Parsed()
    picked: tuple[str, str, float, float] | None = None
    for score in scores:
        scorer = str(score.get("name") or score.get("scorer") or "score")
        values = _metric_values(score)
        stderr = values.get("stderr", math.nan)
        if choice is not None:
            if choice.qualifier is not None and choice.qualifier != scorer:
                continue
            if choice.metric in values:
                picked = (scorer, choice.metric, values[choice.metric], stderr)
                break
            continue
        if "accuracy" in values:
            picked = (scorer, "accuracy", values["accuracy"], stderr)
            break
        for name, value in values.items():
            if name not in DISPERSION_METRICS:
                picked = (scorer, name, value, stderr)
                break
        if picked is not None:
            break
    if picked is None:
        if choice is not None:
            raise Unreadable(
                f"has no metric '{choice.metric}' for task '{benchmark}'"
                f"{' from scorer ' + repr(choice.qualifier) if choice.qualifier else ''}"
            )
        raise Unreadable("has no numeric metric in results.scores")
    scorer, metric, value, stderr = picked
    scorer_names = list(dict.fromkeys(str(s.get("name") or s.get("scorer")) for s in scores))
    if choice is None and len(scorer_names) > 1:
        parsed.notes.append(
            f"{path}: task '{benchmark}' has scores from {', '.join(scorer_names)}; used "
            f"{metric} of {scorer} (choose another with a metric map)."
        )
    parsed.records.append(
        ResultRecord(
            model=model,
            benchmark=benchmark,
            score=value,
            stderr=stderr if math.isfinite(stderr) and stderr >= 0 else math.nan,
            source=str(path),
            framework="inspect",
            metric=f"{metric},{scorer}",
            higher_is_better=choice.higher_is_better(None) if choice is not None else None,
            timestamp=timestamp,
        )
    )
    return parsed
