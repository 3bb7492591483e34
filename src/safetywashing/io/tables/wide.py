"""Wide tables (one row per model): the model id, metadata, scores, and what reading
works around (an index column, text columns, empty classes, repeated models).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from safetywashing.core.errors import InputError, InputNotice, name_list, suggestion
from safetywashing.core.table import (
    COMPUTE_LABELS,
    BenchmarkInfo,
    ModelInfo,
    ScoreTable,
    SourceFile,
)
from safetywashing.io.tables.cells import (
    MISSING_TOKENS,
    PercentCheck,
    parse_compute,
    parse_number,
    parse_score,
    short_row,
)
from safetywashing.io.tables.columns import DEFAULT_COLUMNS, ColumnMap


class Notices:
    """Remarks made while reading one file: each one stderr line, all names in the notes.

    A notice names what was done and to which models or columns; the warning (one line
    on stderr, given by :meth:`emit` once the file has been read without error) shows
    the first few names and a count, the table's ``notes`` (the JSON output,
    ``--verbose``) keep every name.
    """

    def __init__(self) -> None:
        self.notes: list[str] = []
        self._short: list[str] = []

    def add(self, summary: str, names: Sequence[str] = ()) -> None:
        """Record ``summary`` (a sentence without its final period) about ``names``."""
        if not names:
            self.notes.append(f"{summary}.")
            self._short.append(f"{summary}.")
            return
        self.notes.append(f"{summary}: {name_list(names, limit=None)}.")
        short = f"{summary}: {name_list(names)}"
        if len(names) > 4:
            short += " (all in the output's notes; --verbose lists them)"
        self._short.append(short + ".")

    def emit(self) -> None:
        """Warn each notice (:class:`~safetywashing.core.errors.InputNotice`), one line each."""
        for message in self._short:
            warnings.warn(message, InputNotice, stacklevel=4)


_UNNAMED = re.compile(r"(Unnamed: \d+(_level_\d+)?)?")


def _is_unnamed(name: str) -> bool:
    """An empty header cell, or the name pandas gives one when it reads it back."""
    return _UNNAMED.fullmatch(name) is not None


def _is_number(text: str) -> bool:
    try:
        parse_number(text)
    except ValueError:
        return False
    return True


def _column_position(
    path: Path, header: Sequence[str], name: str, default: str, what: str
) -> int | None:
    if name in header:
        return header.index(name)
    if name != default:
        raise InputError(
            f"{path} has no column '{name}' for the {what}{suggestion(name, header)}; "
            "check the column option."
        )
    return None


def _model_positions(
    path: Path,
    header: list[str],
    body: list[tuple[int, list[str]]],
    columns: ColumnMap,
    notices: Notices,
) -> tuple[list[int], set[int]]:
    """The model-id column(s), and unnamed index columns to leave out of the scores."""
    index_columns = {0} if header and _is_unnamed(header[0]) else set()
    if columns.model in header:
        positions = [header.index(columns.model)]
    elif "," in columns.model and all(
        part.strip() in header for part in columns.model.split(",") if part.strip()
    ):
        positions = [
            header.index(part.strip()) for part in columns.model.split(",") if part.strip()
        ]
    else:
        positions = []
        if index_columns and columns.model == DEFAULT_COLUMNS.model:
            cells = [row[0].strip() if row else "" for _, row in body]
            unique = all(cells) and len(set(cells)) == len(cells)
            if unique and not all(re.fullmatch(r"[+-]?\d+", cell) for cell in cells):
                notices.add(
                    f"{path}: the unnamed first column holds a unique id per row, so it is "
                    "taken as the model id"
                )
                return [0], set()
        missing = [part.strip() for part in columns.model.split(",") if part.strip() not in header]
        name = missing[0] if len(missing) == 1 else columns.model
        raise InputError(
            f"{path} has no model column '{name}'{suggestion(name, header)}; "
            "name the model-id column with --model-column (several columns, joined into one "
            "id: --model-column a,b)."
        )
    if index_columns:
        notices.add(f"{path}: the unnamed first column (an index a program wrote) is left out")
    return positions, index_columns


def read_wide(
    path: Path,
    header: list[str],
    body: list[tuple[int, list[str]]],
    columns: ColumnMap,
    benchmarks: Iterable[BenchmarkInfo],
    source: SourceFile,
    notices: Notices | None = None,
) -> ScoreTable:
    """Read the rows of a wide table (one row per model) into a :class:`ScoreTable`.

    Parameters
    ----------
    path : Path
        The file, for messages.
    header : list of str
        Column names, stripped.
    body : list of (int, list of str)
        The rows under the header with their spreadsheet row numbers.
    columns : ColumnMap
        Model-id and metadata columns and the reading options.
    benchmarks : iterable of BenchmarkInfo
        Metadata for some or all benchmark columns.
    source : SourceFile
        The file and its hash, for provenance.
    notices : Notices, optional
        Notices already made (e.g. a recognised layout); more are added here and all
        are warned once the table is read.

    Returns
    -------
    ScoreTable

    Raises
    ------
    InputError
        For a missing model column, text columns, a non-numeric cell, an empty class
        cell or repeated models (unless the options say what to do), and the like.
    """
    notices = notices if notices is not None else Notices()
    model_positions, index_columns = _model_positions(path, header, body, columns, notices)
    seen: dict[str, int] = {}
    for position, name in enumerate(header):
        if position in index_columns or position in model_positions:
            continue
        if not name:
            raise InputError(
                f"{path}: column {position + 1} of the header has no name; name every column "
                "(an unnamed first column is read as an index)."
            )
        if name in seen:
            raise InputError(
                f"{path}: the column '{name}' appears twice in the header (columns "
                f"{seen[name] + 1} and {position + 1}); keep one column per benchmark."
            )
        seen[name] = position
    defaults = DEFAULT_COLUMNS.metadata_columns()
    meta_positions: dict[str, int] = {}
    for role, name in columns.metadata_columns().items():
        found = _column_position(path, header, name, defaults[role], role.replace("_", " "))
        if found is not None:
            meta_positions[role] = found
    if "model_class" in meta_positions and not columns.class_values:
        columns = _flag_classes(
            path, header[meta_positions["model_class"]], body, meta_positions, columns, notices
        )
    ignored: set[int] = set()
    for name in columns.ignore:
        if name == "" and index_columns:
            continue
        if name not in header:
            raise InputError(
                f"{path} has no column '{name}' to ignore{suggestion(name, header)}; "
                "check --ignore-column."
            )
        ignored.add(header.index(name))
    skipped = {*model_positions, *index_columns, *meta_positions.values(), *ignored}
    score_positions = [i for i in range(len(header)) if i not in skipped]
    for row_number, row in body:
        if len(row) > len(header):
            raise InputError(
                f"{path}, row {row_number}: {len(row)} cells for {len(header)} header columns; "
                "remove the extra cells or add header names."
            )
        if len(row) < len(header):
            raise short_row(path, row_number, len(row), len(header))
    padded = body
    score_positions = _without_text_columns(path, header, padded, score_positions, columns, notices)
    if not score_positions:
        raise InputError(f"{path} has no benchmark columns besides the model metadata.")

    values = np.full((len(padded), len(score_positions)), np.nan)
    models: list[ModelInfo] = []
    row_numbers: list[int] = []
    empty_class: list[int] = []
    percents = PercentCheck()
    for index, (row_number, row) in enumerate(padded):
        model_id = ":".join(row[p].strip() for p in model_positions)
        if not all(row[p].strip() for p in model_positions):
            which = ", ".join(f"'{header[p]}'" for p in model_positions)
            raise InputError(
                f"{path}, row {row_number}: the model column {which} is empty; "
                "give every row a model id."
            )
        for j, position in enumerate(score_positions):
            cell = row[position]
            where = f"{path}, row {row_number} (model '{model_id}'), column '{header[position]}'"
            values[index, j] = parse_score(cell, where)
            percents.see(header[position], cell, where, row_number)
        model = model_info(path, row_number, model_id, row, header, meta_positions, columns)
        class_position = meta_positions.get("model_class")
        if class_position is not None and not _class_text(row[class_position].strip(), columns):
            empty_class.append(index)
        models.append(model)
        row_numbers.append(row_number)
    if empty_class:
        models = _fill_empty_class(
            path, header[meta_positions["model_class"]], models, row_numbers, empty_class,
            columns, notices,
        )  # fmt: skip
    models = _drop_nonpositive_compute(path, header, meta_positions, models, columns, notices)
    values, models = _resolve_duplicates(path, values, models, row_numbers, columns, notices)
    bench_ids = [header[p] for p in score_positions]
    known = {b.id: b for b in benchmarks}
    table = ScoreTable(
        values=values,
        models=tuple(models),
        benchmarks=tuple(known.get(b, BenchmarkInfo(id=b)) for b in bench_ids),
        sources=(source,),
        notes=tuple(notices.notes),
        compute_kind=columns.compute_kind,
    )
    notices.emit()
    return table


_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


def _flag_classes(
    path: Path,
    column: str,
    body: list[tuple[int, list[str]]],
    meta_positions: dict[str, int],
    columns: ColumnMap,
    notices: Notices,
) -> ColumnMap:
    """An instruct/chat flag as the class column: True -> chat, False -> base."""
    if not re.search(r"instruct|chat|tuned", column, re.IGNORECASE):
        return columns
    position = meta_positions["model_class"]
    cells = {row[position].strip().lower() for _, row in body if position < len(row)}
    cells.discard("")
    if not cells or not cells <= _TRUE | _FALSE:
        return columns
    notices.add(
        f"{path}: the class column '{column}' is a yes/no flag, read as chat (yes) or base (no)"
    )
    pairs = tuple((word, "chat") for word in sorted(_TRUE)) + tuple(
        (word, "base") for word in sorted(_FALSE)
    )
    return replace(columns, class_values=pairs)


def _without_text_columns(
    path: Path,
    header: list[str],
    body: list[tuple[int, list[str]]],
    positions: list[int],
    columns: ColumnMap,
    notices: Notices,
) -> list[int]:
    """Score columns minus those that hold mostly text, all refused or skipped at once.

    A column where at least two, and at least half, of the non-empty cells are not
    numbers holds text (names, licences, dates, True/False); a column with a stray bad
    cell (or decimal commas) is left to the per-cell error, which names the cell.
    """
    text: list[int] = []
    for position in positions:
        filled = [row[position].strip() for _, row in body]
        filled = [cell for cell in filled if cell.lower() not in MISSING_TOKENS]
        bad = sum(
            not _is_number(cell) and not re.fullmatch(r"[+-]?\d+,\d+%?", cell) for cell in filled
        )
        if bad >= 2 and 2 * bad >= len(filled):
            text.append(position)
    if not text:
        return positions
    names = [header[p] for p in text]
    leading = 0
    while leading < len(body) and any(
        not _is_number(body[leading][1][p])
        and body[leading][1][p].strip().lower() not in MISSING_TOKENS
        for p in text
    ):
        leading += 1
    rest = body[leading:]
    if leading and rest and all(_is_number(row[p]) for _, row in rest for p in text):
        raise InputError(
            f"{path}: the first {leading} row{'s' if leading > 1 else ''} under the header "
            f"hold{'' if leading > 1 else 's'} text (rows {body[0][0]}-{body[leading - 1][0]}), "
            f"not scores; skip {'them' if leading > 1 else 'it'} with --skip-rows {leading}."
        )
    if columns.text_columns == "error":
        raise InputError(
            f"{path}: {len(names)} column{'s hold' if len(names) > 1 else ' holds'} text, not "
            f"scores ({name_list(names, limit=None)}); skip "
            f"{'them all' if len(names) > 1 else 'it'} with --text-columns ignore (or name "
            "each with --ignore-column)."
        )
    notices.add(f"{path}: {len(names)} text column{'s' if len(names) > 1 else ''} left out", names)
    return [p for p in positions if p not in text]


def _fill_empty_class(
    path: Path,
    column: str,
    models: list[ModelInfo],
    row_numbers: list[int],
    empty: list[int],
    columns: ColumnMap,
    notices: Notices,
) -> list[ModelInfo]:
    rows = [str(row_numbers[i]) for i in empty]
    shown = ", ".join(rows[:5]) + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")
    if columns.missing_class is None:
        raise InputError(
            f"{path}: the class column '{column}' is empty in {len(rows)} "
            f"row{'s' if len(rows) > 1 else ''} ({'rows' if len(rows) > 1 else 'row'} {shown}); "
            "fill in the class (e.g. base or chat) or give those rows one with --missing-class "
            "NAME."
        )
    names = [models[i].id for i in empty]
    notices.add(
        f"{path}: {len(rows)} row{'s' if len(rows) > 1 else ''} with an empty '{column}' "
        f"cell given the class '{columns.missing_class}' (--missing-class)",
        names,
    )
    filled = set(empty)
    return [
        replace(model, model_class=columns.missing_class) if i in filled else model
        for i, model in enumerate(models)
    ]


def _drop_nonpositive_compute(
    path: Path,
    header: list[str],
    meta_positions: dict[str, int],
    models: list[ModelInfo],
    columns: ColumnMap,
    notices: Notices,
) -> list[ModelInfo]:
    if "flop" not in meta_positions:
        return models
    bad = [i for i, model in enumerate(models) if model.flop <= 0]
    if not bad:
        return models
    column = header[meta_positions["flop"]]
    label = COMPUTE_LABELS[columns.compute_kind][0]
    notices.add(
        f"{path}: {len(bad)} model{'s have' if len(bad) > 1 else ' has'} zero or negative "
        f"'{column}' ({label}), read as unknown and left out of the compute correlations",
        [models[i].id for i in bad],
    )
    dropped = set(bad)
    return [
        replace(model, flop=math.nan) if i in dropped else model for i, model in enumerate(models)
    ]


def _resolve_duplicates(
    path: Path,
    values: np.ndarray,
    models: list[ModelInfo],
    row_numbers: list[int],
    columns: ColumnMap,
    notices: Notices,
) -> tuple[np.ndarray, list[ModelInfo]]:
    groups: dict[str, list[int]] = {}
    for index, model in enumerate(models):
        groups.setdefault(model.id, []).append(index)
    repeated = {model_id: rows for model_id, rows in groups.items() if len(rows) > 1}
    if not repeated:
        return values, models
    examples = [
        f"'{model_id}' in rows {', '.join(str(row_numbers[i]) for i in rows)}"
        for model_id, rows in list(repeated.items())[:3]
    ]
    more = f" and {len(repeated) - 3} more" if len(repeated) > 3 else ""
    if columns.duplicates == "error":
        count = len(repeated)
        raise InputError(
            f"{path}: {count} model{'s appear' if count > 1 else ' appears'} on more than one "
            f"row ({'; '.join(examples)}{more}); keep one row per model, choose with "
            "--duplicates first|last|mean|max, or build the id from several columns with "
            "--model-column a,b."
        )
    kept_values: list[np.ndarray] = []
    kept_models: list[ModelInfo] = []
    for rows in groups.values():
        block = values[rows]
        if columns.duplicates == "first":
            row, model = block[0], models[rows[0]]
        elif columns.duplicates == "last":
            row, model = block[-1], models[rows[-1]]
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # an all-empty column
                combine = np.nanmean if columns.duplicates == "mean" else np.nanmax
                row = combine(block, axis=0)
                # The compute figures are combined like the scores, so that the result
                # does not depend on which of the rows comes first.
                first = models[rows[0]]
                flop = combine(np.array([models[i].flop for i in rows], dtype=np.float64))
                parameters = combine(
                    np.array([models[i].parameters for i in rows], dtype=np.float64)
                )
            model = replace(first, flop=float(flop), parameters=float(parameters))
        kept_values.append(row)
        kept_models.append(model)
    what = {
        "first": "kept the first row of each",
        "last": "kept the last row of each",
        "mean": "averaged their scores cell by cell",
        "max": "kept the highest score of each cell",
    }[columns.duplicates]
    notices.add(
        f"{path}: {len(repeated)} model{'s' if len(repeated) > 1 else ''} on more than one row, "
        f"{what} (--duplicates {columns.duplicates})",
        list(repeated),
    )
    return np.vstack(kept_values), kept_models


def _class_text(cell: str, columns: ColumnMap) -> str:
    """A class cell as read, or rewritten by the first matching ``class_values`` pair."""
    for fragment, value in columns.class_values:
        if cell and fragment.lower() in cell.lower():
            return value
    return cell


def model_info(
    path: Path,
    row_number: int,
    model_id: str,
    row: list[str],
    header: list[str],
    meta_positions: dict[str, int],
    columns: ColumnMap,
) -> ModelInfo:
    """One model's metadata from its row's metadata cells (class, name, compute, family)."""

    def text(role: str) -> str:
        position = meta_positions.get(role)
        return row[position].strip() if position is not None else ""

    def number(role: str, scale: float) -> float:
        position = meta_positions.get(role)
        if position is None:
            return math.nan
        where = f"{path}, row {row_number} (model '{model_id}'), column '{header[position]}'"
        return parse_compute(row[position], where, scale)

    model_class = _class_text(text("model_class"), columns)
    return ModelInfo(
        id=model_id,
        name=text("name"),
        model_class=model_class or columns.default_class,
        parameters=number("parameters", columns.parameters_scale),
        flop=number("flop", columns.flop_scale),
        family=text("family"),
    )
