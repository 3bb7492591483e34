"""Read what evaluation frameworks write: lm-evaluation-harness, Inspect, HELM, Open LLM.

The entry points are :func:`ingest` (every record, with the files skipped and notes) and
:func:`read_results` (straight to a :class:`~safetywashing.core.table.ScoreTable`). Only the
standard library and numpy are used; ``zstandard`` is imported when a zstd-compressed
Inspect log member is met.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

from safetywashing.core.errors import InputError, InputWarning
from safetywashing.core.table import ScoreTable
from safetywashing.io.frameworks import helm
from safetywashing.io.frameworks._ingest import FORMATS, classify, collect_files, ingest
from safetywashing.io.frameworks._records import (
    FRAMEWORKS,
    IngestReport,
    ResultRecord,
    SkippedFile,
)
from safetywashing.io.frameworks._safe import Unreadable, parse_json, read_bounded
from safetywashing.io.frameworks.metric_map import MetricChoice, read_metric_map

__all__ = [
    "FORMATS",
    "FRAMEWORKS",
    "IngestReport",
    "MetricChoice",
    "ResultRecord",
    "SkippedFile",
    "detect_format",
    "ingest",
    "looks_like_results",
    "read_metric_map",
    "read_results",
]

_RESULT_SUFFIXES = frozenset({".json", ".eval"})


def looks_like_results(path: str | Path) -> bool:
    """Whether ``path`` should be read as framework results rather than a scores table.

    True for a folder, a ``.json`` file and an ``.eval`` file; a CSV, TSV or Parquet
    scores table is read with :func:`~safetywashing.io.tables.readers.read_scores` instead.
    """
    path = Path(path)
    return path.is_dir() or path.suffix.lower() in _RESULT_SUFFIXES


def _file_format(path: Path) -> str | None:
    if path.suffix.lower() == ".eval":
        return "inspect"
    if path.name in (helm.RUN_SPEC, helm.STATS):
        return "helm"
    try:
        kind = classify(parse_json(read_bounded(path)))
    except Unreadable:
        return None
    return "openllm" if kind == "openllm-v2" else kind


def detect_format(path: str | Path) -> str:
    """The framework that wrote a results file, or the frameworks of a folder's files.

    Parameters
    ----------
    path : str or Path
        A results file or a folder of them.

    Returns
    -------
    str
        ``"lm-eval"``, ``"inspect"``, ``"helm"`` or ``"openllm"``; ``"mixed"`` for a
        folder holding results of several frameworks.

    Raises
    ------
    InputError
        If the path does not exist or holds no recognizable results.
    """
    path = Path(path)
    found = collect_files([path])
    kinds: set[str] = {"helm"} if found.helm_runs else set()
    for file_path in found.files:
        kind = _file_format(file_path)
        if kind is not None:
            kinds.add(kind)
    if not kinds:
        raise InputError(
            f"{path} holds no results of lm-evaluation-harness, Inspect, HELM or the Open LLM "
            "Leaderboard; check the path."
        )
    return kinds.pop() if len(kinds) == 1 else "mixed"


def read_results(
    paths: str | Path | Iterable[str | Path],
    *,
    format: str = "auto",
    metric_map: Mapping[str, MetricChoice] | str | Path | None = None,
    subtasks: bool = False,
) -> ScoreTable:
    """Read framework results straight into a score table.

    Same arguments as :func:`ingest`. Skipped files are reported as one
    :class:`~safetywashing.core.errors.InputWarning` and listed in ``table.notes``.

    Returns
    -------
    ScoreTable

    Raises
    ------
    InputError
        If nothing could be read (the message names the first skipped file and why).
    """
    report: IngestReport = ingest(paths, format=format, metric_map=metric_map, subtasks=subtasks)
    given = [paths] if isinstance(paths, str | Path) else list(paths)
    where = ", ".join(str(p) for p in given)
    if not report.records:
        if report.skipped:
            first = report.skipped[0]
            raise InputError(
                f"No scores could be read from {where}: {len(report.skipped)} file(s) skipped, "
                f"e.g. {first}; fix or remove them."
            )
        raise InputError(
            f"No results files found in {where}; give lm-evaluation-harness, Inspect, HELM "
            "or Open LLM Leaderboard output, or a CSV scores table."
        )
    if report.skipped:
        first = report.skipped[0]
        warnings.warn(
            f"{len(report.skipped)} file(s) under {where} were skipped, e.g. {first}; run "
            "`safetywashing ingest` to list them.",
            InputWarning,
            stacklevel=2,
        )
    return report.to_table()
