"""The metric map: which metric to read for a task, overriding the default choice.

A metric map is a small CSV or JSON file. CSV columns (header required,
case-insensitive): ``benchmark`` (or ``task``), ``metric``, and optionally
``direction`` (``higher`` or ``lower``: which raw value is better)::

    benchmark,metric,direction
    hellaswag,acc_norm,
    gsm8k,"exact_match,flexible-extract",
    wikitext,word_perplexity,lower

JSON: an object from task to a metric string or to ``{"metric": ..., "direction": ...}``::

    {"hellaswag": "acc_norm", "wikitext": {"metric": "word_perplexity", "direction": "lower"}}

A metric is ``name`` or ``name,qualifier`` where the qualifier is the lm-evaluation-harness
filter (``exact_match,strict-match``), the HELM split (``exact_match,valid``) or the
Inspect scorer (``accuracy,choice``). A task named in the map is always read, even when
it is a subtask of a group.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safetywashing.core.errors import InputError
from safetywashing.core.table import Direction

_DIRECTIONS: dict[str, Direction] = {
    "higher": "higher",
    "up": "higher",
    "higher is better": "higher",
    "lower": "lower",
    "down": "lower",
    "lower is better": "lower",
}


@dataclass(frozen=True)
class MetricChoice:
    """The metric to read for one task."""

    #: Metric name, e.g. ``"acc_norm"``.
    metric: str
    #: lm-eval filter, HELM split or Inspect scorer; None accepts any (the default one).
    qualifier: str | None = None
    #: {"higher", "lower"} or None: Which raw value is better; None keeps what the framework says.
    direction: Direction | None = None

    @classmethod
    def parse(cls, text: str, direction: Direction | None = None) -> MetricChoice:
        """Build from ``"name"`` or ``"name,qualifier"``."""
        name, sep, qualifier = text.strip().partition(",")
        return cls(
            metric=name.strip(), qualifier=qualifier.strip() if sep else None, direction=direction
        )

    def matches(self, name: str, qualifier: str) -> bool:
        """Whether a metric ``name`` with ``qualifier`` is this choice."""
        return name == self.metric and (self.qualifier is None or qualifier == self.qualifier)

    def higher_is_better(self, default: bool | None) -> bool | None:
        """The direction to record: this choice's if given, else ``default``."""
        if self.direction is None:
            return default
        return self.direction == "higher"


MetricMap = Mapping[str, MetricChoice]


def _direction(path: Path, where: str, text: str) -> Direction | None:
    cleaned = text.strip().lower()
    if not cleaned:
        return None
    if cleaned not in _DIRECTIONS:
        raise InputError(
            f"{path}, {where}: direction '{text.strip()}' is not higher or lower; write "
            "higher (higher is better), lower, or leave it empty."
        )
    return _DIRECTIONS[cleaned]


def read_metric_map(path: str | Path) -> dict[str, MetricChoice]:
    """Read a metric map from a CSV or JSON file (see the module documentation).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    dict of str to MetricChoice
        Task or benchmark id -> the metric to read.

    Raises
    ------
    InputError
        For a missing or unreadable file, a missing column, an empty metric, an unknown
        direction or a task given twice.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such metric map file; check the --metrics path.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path} cannot be read as UTF-8 text ({error}).") from None
    if not text.strip():
        raise InputError(f"{path} is empty; give one row per task: benchmark,metric.")
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        return _from_json(path, text)
    return _from_csv(path, text)


def _from_json(path: Path, text: str) -> dict[str, MetricChoice]:
    from safetywashing.io.frameworks._safe import Unreadable, loads_text

    try:
        document: Any = loads_text(text)
    except Unreadable as error:
        raise InputError(f"{path} {error.reason}; fix the file.") from None
    if not isinstance(document, dict) or not document:
        raise InputError(
            f"{path} must be a JSON object mapping each task to a metric, e.g. "
            '{"hellaswag": "acc_norm"}.'
        )
    choices: dict[str, MetricChoice] = {}
    for task, value in document.items():
        if isinstance(value, str):
            metric_text, direction_text = value, ""
        elif isinstance(value, dict) and isinstance(value.get("metric"), str):
            metric_text = value["metric"]
            direction_text = str(value.get("direction") or "")
        else:
            raise InputError(
                f"{path}, task '{task}': give a metric string or an object with a "
                '"metric" key, e.g. {"metric": "acc_norm", "direction": "higher"}.'
            )
        if not metric_text.strip():
            raise InputError(f"{path}, task '{task}': the metric is empty; name a metric.")
        direction = _direction(path, f"task '{task}'", direction_text)
        choices[str(task)] = MetricChoice.parse(metric_text, direction)
    return choices


def _from_csv(path: Path, text: str) -> dict[str, MetricChoice]:
    rows = [row for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)]
    header = [cell.strip().lower() for cell in rows[0]]
    key_column = "benchmark" if "benchmark" in header else "task" if "task" in header else None
    if key_column is None or "metric" not in header:
        raise InputError(
            f"{path} needs a header with 'benchmark' (or 'task') and 'metric' columns; "
            "write: benchmark,metric[,direction]."
        )
    key_at, metric_at = header.index(key_column), header.index("metric")
    direction_at = header.index("direction") if "direction" in header else None
    choices: dict[str, MetricChoice] = {}
    for row_number, row in enumerate(rows[1:], start=2):
        row = row + [""] * (len(header) - len(row))
        task, metric_text = row[key_at].strip(), row[metric_at].strip()
        if not task or not metric_text:
            raise InputError(
                f"{path}, row {row_number}: empty {key_column} or metric; fill both cells."
            )
        if task in choices:
            raise InputError(
                f"{path}, row {row_number}: '{task}' is mapped twice; keep one row per task."
            )
        direction = None
        if direction_at is not None:
            direction = _direction(path, f"row {row_number}", row[direction_at])
        choices[task] = MetricChoice.parse(metric_text, direction)
    if not choices:
        raise InputError(f"{path} maps no tasks; add one row per task: benchmark,metric.")
    return choices
