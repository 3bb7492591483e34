"""Small helpers shared by the framework readers."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from safetywashing.io.frameworks._records import ResultRecord
from safetywashing.io.frameworks.metric_map import MetricChoice, MetricMap

_NAME_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2})[-:](\d{2})[-:](\d{2})(?:\.(\d{1,6}))?"
)


def number(value: Any) -> float | None:
    """A finite float from a JSON value, or None (for strings such as "N/A", NaN, bools)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    result = float(value)
    return result if math.isfinite(result) else None


def stderr_value(value: Any) -> float:
    """A standard error from a JSON value: NaN for "N/A", null, negative or non-finite."""
    result = number(value)
    return result if result is not None and result >= 0 else math.nan


def timestamp_from_name(name: str) -> float | None:
    """Seconds since the epoch from a ``..._2024-05-01T10-00-00.123456...`` file name."""
    match = _NAME_TIMESTAMP.search(name)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction: str = match.group(7) or "0"
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None
    return moment.timestamp() + float(int(fraction)) / float(10 ** len(fraction))


def iso_timestamp(text: Any) -> float | None:
    """Seconds since the epoch from an ISO 8601 string (naive times read as UTC)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def file_mtime(path: Path) -> float:
    """Modification time of a file, NaN when it cannot be read."""
    try:
        return path.stat().st_mtime
    except OSError:
        return math.nan


@dataclass
class Context:
    """Options and running state shared by the readers during one ingest."""

    #: User's metric choices per task.
    metric_map: MetricMap = field(default_factory=dict)
    #: Also read the subtasks of groups that have their own score.
    subtasks: bool = False
    #: Metric-map keys that matched a task (the rest are reported).
    used: set[str] = field(default_factory=set)

    def choice(self, *names: str) -> MetricChoice | None:
        """The metric-map entry for the first of ``names`` that has one."""
        for name in names:
            found = self.metric_map.get(name)
            if found is not None:
                self.used.add(name)
                return found
        return None


@dataclass
class Parsed:
    """What one file (or HELM run set) yielded: records and remarks.

    Every framework reader has a ``parse(document, path, context) -> Parsed`` function:
    ``document`` is the parsed JSON of one file, ``path`` where it came from (for
    messages and the records' ``source``), ``context`` the metric map and options. It
    raises :class:`~safetywashing.io.frameworks._safe.Unreadable`, with the reason, for
    a file it cannot read.
    """

    records: list[ResultRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
