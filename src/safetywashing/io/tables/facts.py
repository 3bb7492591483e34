"""A second table of model facts, joined to the scores by model id (``--models FILE``).

Parameter counts, training FLOP, family, class or display name often live in a file of
their own (``model_properties.csv``). Its columns are named as in the scores table (the
same :class:`~safetywashing.io.tables.columns.ColumnMap`, scales included; the model id
is the scores' model column, or ``model`` when it has no column of that name); a fact fills
what the scores table leaves unknown, and a fact that disagrees with a value the scores
table gives is an error naming the model.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

from safetywashing.core.errors import InputError, name_list, suggestion
from safetywashing.core.table import ModelInfo, ScoreTable
from safetywashing.io.tables.cells import parse_compute
from safetywashing.io.tables.columns import DEFAULT_COLUMNS, ColumnMap
from safetywashing.io.tables.notices import Notices
from safetywashing.io.tables.rows import read_rows

#: Fields of :class:`ModelInfo` a facts table can give, by :meth:`ColumnMap.metadata_columns` role.
_FIELDS = {
    "name": "name",
    "model_class": "model_class",
    "parameters": "parameters",
    "flop": "flop",
    "family": "family",
}


def for_scores(header: list[str], columns: ColumnMap) -> ColumnMap:
    """The column map to read a scores table with when the model facts come from another
    file: a metadata column the scores table lacks is looked for in the facts file only."""
    defaults = DEFAULT_COLUMNS.metadata_columns()
    absent: dict[str, Any] = {
        role: defaults[role]
        for role, name in columns.metadata_columns().items()
        if name not in header
    }
    return replace(columns, **absent) if absent else columns


def read_model_facts(
    path: Path, columns: ColumnMap
) -> tuple[dict[str, dict[str, object]], list[str]]:
    """Each model's facts from a facts table, and the table's columns left unused.

    Returns
    -------
    tuple of (dict, list of str)
        Model id -> {field of ModelInfo: value} for the non-empty cells; the columns
        that are neither the model id nor a model fact.

    Raises
    ------
    InputError
        For a missing model-id column, an empty or repeated id, no fact column, or a
        compute cell that is not a number.
    """
    rows = read_rows(path, max_file_mb=columns.max_file_mb, max_rows=columns.max_rows)
    header = [cell.strip() for cell in rows.header]
    parts = [part.strip() for part in columns.model.split(",") if part.strip()]
    if columns.model in header:
        parts = [columns.model]
    elif not all(part in header for part in parts) and DEFAULT_COLUMNS.model in header:
        parts = [DEFAULT_COLUMNS.model]  # the facts file's own id column
    missing = [part for part in parts if part not in header]
    if missing:
        raise InputError(
            f"{path} (the model facts) has no model column '{missing[0]}'"
            f"{suggestion(missing[0], header)}; name the model-id column with --model-column."
        )
    id_positions = [header.index(part) for part in parts]
    roles = {
        role: header.index(name)
        for role, name in columns.metadata_columns().items()
        if name in header and header.index(name) not in id_positions
    }
    if not roles:
        wanted = name_list(list(columns.metadata_columns().values()), limit=None)
        raise InputError(
            f"{path} (the model facts) has none of the model-fact columns ({wanted}); name "
            "them with --name-column, --class-column, --params-column, --flop-column or "
            "--family-column."
        )
    scales = {"parameters": columns.parameters_scale, "flop": columns.flop_scale}
    facts: dict[str, dict[str, object]] = {}
    first_row: dict[str, int] = {}
    for number, cells in rows.body:
        cells = (cells + [""] * len(header))[: len(header)]
        model_id = ":".join(cells[p].strip() for p in id_positions)
        if not all(cells[p].strip() for p in id_positions):
            raise InputError(
                f"{path}, row {number} (the model facts): the model column is empty; give "
                "every row a model id."
            )
        if model_id in facts:
            raise InputError(
                f"{path} (the model facts): the model '{model_id}' is on rows "
                f"{first_row[model_id]} and {number}; keep one row per model."
            )
        first_row[model_id] = number
        found: dict[str, object] = {}
        for role, position in roles.items():
            cell = cells[position].strip()
            if role in scales:
                where = f"{path}, row {number} (model '{model_id}'), column '{header[position]}'"
                value = parse_compute(cell, where, scales[role])
                if not math.isnan(value) and value > 0:
                    found[_FIELDS[role]] = value
            elif cell:
                found[_FIELDS[role]] = cell
        facts[model_id] = found
    used = set(id_positions) | set(roles.values())
    return facts, [name for i, name in enumerate(header) if i not in used]


def _known(model: ModelInfo, field: str, default_class: str) -> bool:
    """Whether the scores table gave ``field`` a value of its own."""
    value = getattr(model, field)
    if field in ("parameters", "flop"):
        return not math.isnan(value)
    if field == "name":
        return bool(value) and bool(value != model.id)
    if field == "model_class":
        return bool(value != default_class)
    return bool(value)


def join_model_facts(
    table: ScoreTable, path: Path, columns: ColumnMap, notices: Notices
) -> ScoreTable:
    """``table`` with the model facts of the file at ``path`` joined by model id.

    Raises
    ------
    InputError
        When a fact disagrees with the value the scores table gives the same model.
    """
    facts, unused = read_model_facts(path, columns)
    models: list[ModelInfo] = []
    without: list[str] = []
    for model in table.models:
        found = facts.get(model.id)
        if found is None:
            without.append(model.id)
            models.append(model)
            continue
        for field, value in found.items():
            if _known(model, field, columns.default_class) and getattr(model, field) != value:
                raise InputError(
                    f"{path} (the model facts) gives the model '{model.id}' {field} "
                    f"{value!r}, the scores table {getattr(model, field)!r}; keep one of them."
                )
        models.append(replace(model, **found))  # type: ignore[arg-type]
    matched = len(table.models) - len(without)
    extra = len(set(facts) - set(table.model_ids))
    notices.add(
        f"model facts from {path} for {matched} of the {len(table.models)} models"
        + (f" ({extra} of its rows name no model of the scores)" if extra else "")
        + (f"; its columns {name_list(unused, limit=None)} are not used" if unused else "")
    )
    if without:
        many = len(without) > 1
        notices.add(f"{len(without)} model{'s have' if many else ' has'} no row in {path}", without)
    return replace(table, models=tuple(models), notes=table.notes + tuple(notices.notes))
