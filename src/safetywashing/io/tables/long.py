"""Long tables: one row per model and benchmark (``model, benchmark, score[, ...]``).

What ``ingest`` writes, and how many leaderboards export their results; the model
metadata (class, name, family, compute) may ride along on every row of a model, and
must agree between them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

from safetywashing.core.errors import InputError
from safetywashing.core.table import BenchmarkInfo, ModelInfo, ScoreTable, SourceFile
from safetywashing.io.tables.cells import PercentCheck, parse_compute, parse_score, ragged_row
from safetywashing.io.tables.columns import ColumnMap


def read_long(
    path: Path,
    header: list[str],
    body: list[tuple[int, list[str]]],
    columns: ColumnMap,
    benchmarks: Iterable[BenchmarkInfo],
    source: SourceFile,
) -> ScoreTable:
    """Read the rows of a long table (``model, benchmark, score[, ...]``).

    Parameters
    ----------
    path : Path
        The file, for messages.
    header : list of str
        Column names, stripped.
    body : list of (int, list of str)
        The rows under the header with their spreadsheet row numbers.
    columns : ColumnMap
        Names of the model-id and model-metadata columns.
    benchmarks : iterable of BenchmarkInfo
        Metadata for some or all benchmarks.
    source : SourceFile
        The file and its hash, for provenance.

    Returns
    -------
    ScoreTable
        Models and benchmarks in the order they first appear; a pair without a row is
        missing (NaN).

    Raises
    ------
    InputError
        For a missing model column, an unknown column, a ragged row, an empty model or
        benchmark, a non-numeric score, two scores of one model on one benchmark, or
        metadata that differs between the rows of one model.
    """
    lowered = [h.lower() for h in header]
    model_name = columns.model if columns.model in header else "model"
    if model_name.lower() not in lowered:
        raise InputError(
            f"{path} looks like a long table but has no '{columns.model}' column; "
            "name the model-id column with --model-column."
        )
    model_position = lowered.index(model_name.lower())
    benchmark_position = lowered.index("benchmark")
    score_position = lowered.index("score")
    metadata = _long_metadata_columns(path, header, columns, model_position)
    records: list[tuple[str, str, float]] = []
    first_row: dict[tuple[str, str], tuple[int, float]] = {}
    seen_metadata: dict[str, tuple[int, dict[str, str]]] = {}
    percents = PercentCheck()
    for row_number, row in body:
        if len(row) != len(header):
            raise ragged_row(path, row_number, len(row), len(header))
        model_id = row[model_position].strip()
        benchmark_id = row[benchmark_position].strip()
        if not model_id or not benchmark_id:
            raise InputError(
                f"{path}, row {row_number}: empty model or benchmark; fill both cells."
            )
        where = (
            f"{path}, row {row_number} (model '{model_id}', benchmark '{benchmark_id}'), "
            "column 'score'"
        )
        score = parse_score(row[score_position], where)
        percents.see(benchmark_id, row[score_position], where, row_number)
        # Every row's metadata is checked, a repeated pair's too: the rows of a model must
        # agree whatever their order.
        _see_model_metadata(path, row_number, model_id, row, metadata, seen_metadata)
        key = (model_id, benchmark_id)
        if key in first_row:
            previous_row, previous = first_row[key]
            if not (previous == score or (math.isnan(previous) and math.isnan(score))):
                raise InputError(
                    f"{path}, row {row_number}: model '{model_id}' on benchmark "
                    f"'{benchmark_id}' already has a different score in row "
                    f"{previous_row}; keep one row per model and benchmark."
                )
            continue
        first_row[key] = (row_number, score)
        records.append((model_id, benchmark_id, score))
    models = [
        _long_model(model_id, f"{path}, row {first} (model '{model_id}')", values, columns)
        for model_id, (first, values) in seen_metadata.items()
    ]
    return ScoreTable.from_long(
        records, models=models, benchmarks=benchmarks, sources=(source,), source_label=str(path)
    )


#: Columns a long table may hold besides model, benchmark and score (what ``ingest`` writes).
LONG_EXTRA_COLUMNS = frozenset({"stderr", "metric", "framework", "source"})


def _long_metadata_columns(
    path: Path, header: list[str], columns: ColumnMap, model_position: int
) -> dict[str, int]:
    """Positions of the model-metadata columns of a long table; refuse unknown columns."""
    roles = {
        "model_class": columns.model_class,
        "name": columns.name,
        "family": columns.family,
        "flop": columns.flop,
        "parameters": columns.parameters,
    }
    found: dict[str, int] = {}
    seen: dict[str, int] = {}
    for position, name in enumerate(header):
        key = name.strip().lower()
        if key in seen:
            raise InputError(
                f"{path}: column {seen[key] + 1} and column {position + 1} are both named "
                f"'{name}'; give every column its own name."
            )
        seen[key] = position
    ignored = {name.lower() for name in columns.ignore}
    for position, name in enumerate(header):
        key = name.strip().lower()
        role = next((r for r, column in roles.items() if column.lower() == key), None)
        if role is not None:
            found[role] = position
        elif (
            position != model_position
            and key not in {"benchmark", "score"}
            and key not in LONG_EXTRA_COLUMNS
            and key not in ignored
        ):
            raise InputError(
                f"{path}: column '{name}' of this long table is neither model, benchmark, score, "
                "stderr, metric, framework, source nor a model-metadata column (class "
                f"'{columns.model_class}', name, family, compute, parameters); name what it "
                "holds with --class-column and the like, or skip it with --ignore-column."
            )
    return found


def _see_model_metadata(
    path: Path,
    row_number: int,
    model_id: str,
    row: list[str],
    metadata: dict[str, int],
    seen: dict[str, tuple[int, dict[str, str]]],
) -> None:
    """Record a model's metadata cells; the rows of one model must agree."""
    values = {role: row[position].strip() for role, position in metadata.items()}
    if model_id not in seen:
        seen[model_id] = (row_number, values)
        return
    first_row, first = seen[model_id]
    for role, value in values.items():
        if value != first.get(role, ""):
            raise InputError(
                f"{path}, row {row_number}: model '{model_id}' has {role.replace('_', ' ')} "
                f"'{value}' here but '{first.get(role, '')}' in row {first_row}; give each "
                "model one value."
            )


def _long_model(model_id: str, where: str, values: dict[str, str], columns: ColumnMap) -> ModelInfo:
    def number(role: str, scale: float) -> float:
        column = columns.metadata_columns()[role]
        value = parse_compute(values.get(role, ""), f"{where}, column '{column}'", scale)
        return value if value > 0 else math.nan

    return ModelInfo(
        id=model_id,
        name=values.get("name", "") or model_id,
        model_class=values.get("model_class", "") or columns.default_class,
        parameters=number("parameters", columns.parameters_scale),
        flop=number("flop", columns.flop_scale),
        family=values.get("family", ""),
    )
