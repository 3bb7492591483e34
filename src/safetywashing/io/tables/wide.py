"""Wide tables (one row per model): the model id, metadata, scores, and what reading
works around (an index column, text columns, empty classes, repeated models).

The reader takes a :class:`~safetywashing.io.tables.grid.Grid`, whichever tokenizer split
the file, and reads it column by column; where a file has several mistakes, the one
raised is the one a reading row after row (and, within a row, left to right) meets
first, so that the message does not depend on how the file was split.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

import numpy as np

from safetywashing.core.errors import InputError, name_list, suggestion
from safetywashing.core.table import (
    COMPUTE_LABELS,
    BenchmarkInfo,
    ModelInfo,
    ScoreTable,
    SourceFile,
)
from safetywashing.io.tables.accounting import NAMED_ONLY, Accounting, metadata_kind
from safetywashing.io.tables.cells import (
    ScoreScan,
    mixed_percent,
    parse_compute,
    parse_score,
    ragged_row,
    scan_scores,
)
from safetywashing.io.tables.columns import DEFAULT_COLUMNS, ColumnMap
from safetywashing.io.tables.duplicates import resolve_duplicates
from safetywashing.io.tables.grid import Grid
from safetywashing.io.tables.notices import Notices

_UNNAMED = re.compile(r"(Unnamed: \d+(_level_\d+)?)?")


def _is_unnamed(name: str) -> bool:
    """An empty header cell, or the name pandas gives one when it reads it back."""
    return _UNNAMED.fullmatch(name) is not None


#: A number written with a decimal comma (``0,5``): a stray cell, not a text column.
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+%?")


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


def _model_columns(header: Sequence[str], columns: ColumnMap) -> list[int] | None:
    """Positions of the model-id column, or of the columns joined into the id (all of
    them present); None when the header has neither."""
    if columns.model in header:
        return [header.index(columns.model)]
    parts = [part.strip() for part in columns.model.split(",") if part.strip()]
    if "," in columns.model and all(part in header for part in parts):
        return [header.index(part) for part in parts]
    return None


def _index_columns(header: Sequence[str]) -> set[int]:
    """An unnamed first column: an index a program wrote (or the model ids)."""
    return {0} if header and _is_unnamed(header[0]) else set()


def text_positions(header: Sequence[str], columns: ColumnMap) -> set[int]:
    """Header positions whose cells the wide reader reads as text, never as numbers.

    The model-id column(s), an unnamed first column (an index, or the model ids), the
    model-metadata columns and the columns to ignore: a tokenizer keeps their text, and
    may read every other column as numbers.
    """
    names = [*columns.metadata_columns().values(), *columns.ignore]
    return (
        _index_columns(header)
        | set(_model_columns(header, columns) or ())
        | {header.index(name) for name in names if name in header}
    )


def _model_positions(
    path: Path, grid: Grid, columns: ColumnMap, notices: Notices
) -> tuple[list[int], set[int]]:
    """The model-id column(s), and unnamed index columns to leave out of the scores."""
    header = grid.header
    index_columns = _index_columns(header)
    positions = _model_columns(header, columns)
    if positions is None:
        if index_columns and columns.model == DEFAULT_COLUMNS.model:
            cells = [cell.strip() for cell in grid.text(0)]
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
    return positions, index_columns


def read_wide(
    path: Path,
    grid: Grid,
    columns: ColumnMap,
    benchmarks: Iterable[BenchmarkInfo],
    source: SourceFile,
    notices: Notices | None = None,
    reasons: Mapping[str, str] | None = None,
) -> ScoreTable:
    """Read a wide table (one row per model) into a :class:`ScoreTable`.

    Parameters
    ----------
    path : Path
        The file, for messages.
    grid : Grid
        The file's header and cells, as a tokenizer split them (the columns of
        :func:`text_positions` as text).
    columns : ColumnMap
        Model-id and metadata columns and the reading options.
    benchmarks : iterable of BenchmarkInfo
        Metadata for some or all benchmark columns.
    source : SourceFile
        The file and its hash, for provenance.
    notices : Notices, optional
        Notices already made (e.g. a recognised layout); more are added here and all
        are warned once the table is read.
    reasons : mapping of str to str, optional
        Why a recognised layout leaves out each of the columns it ignores (for the
        notice of the columns not audited).

    Returns
    -------
    ScoreTable
        One row per model in the file's order (repeated models combined as
        ``columns.duplicates`` says), one column per benchmark.

    Raises
    ------
    InputError
        For a missing model column, text columns, a non-numeric cell, an empty class
        cell or repeated models (unless the options say what to do), and the like.
    """
    notices = notices if notices is not None else Notices()
    benchmarks = tuple(benchmarks)
    accounting = Accounting()
    header = grid.header
    model_positions, index_columns = _model_positions(path, grid, columns, notices)
    accounting.add(
        "an unnamed index a program wrote", [header[p] or "column 1" for p in index_columns]
    )
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
        position = meta_positions["model_class"]
        columns = _flag_classes(path, header[position], grid.text(position), columns, notices)
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
        accounting.add((reasons or {}).get(name, "ignored (--ignore-column)"), [name])
    skipped = {*model_positions, *index_columns, *meta_positions.values(), *ignored}
    score_positions = [i for i in range(len(header)) if i not in skipped]
    if grid.ragged:
        row_number, cells = grid.ragged[0]
        raise ragged_row(path, row_number, cells, len(header))
    scans = {p: scan_scores(grid.text(p)) for p in score_positions if not grid.is_numeric(p)}
    known = {b.id: b for b in benchmarks}
    facts = {
        p: kind
        for p in score_positions
        if header[p] not in known and (kind := metadata_kind(header[p])) is not None
    }
    unread = [p for p in facts if p in scans and scans[p].not_numbers]
    for p in unread:
        accounting.add(f"named as {facts.pop(p)}, and not numbers", [header[p]])
    score_positions = [p for p in score_positions if p not in unread]
    score_positions, text = _without_text_columns(path, grid, score_positions, scans, columns)
    accounting.add("text, not scores (--text-columns ignore)", text)
    for p, kind in facts.items():
        accounting.add(f"named as {kind}", [header[p]], NAMED_ONLY)
    if score_positions and all(p in facts for p in score_positions):
        raise InputError(
            f"{path} has no benchmark columns besides the model metadata and columns named "
            f"as model facts ({name_list([header[p] for p in facts], limit=None)}); name the "
            "benchmarks among them with --capabilities or a role in --benchmarks."
        )
    if not score_positions:
        raise InputError(f"{path} has no benchmark columns besides the model metadata.")

    model_ids, empty_id = _model_ids(grid, model_positions)
    parameters = _compute_column(grid, meta_positions.get("parameters"), columns.parameters_scale)
    flop = _compute_column(grid, meta_positions.get("flop"), columns.flop_scale)
    # The mistake a reading row after row meets first: in its row, an empty model id,
    # then the score cells from left to right, then the compute cells.
    problems = [
        (empty_id, 0, 0),
        *((scans[p].first_problem, 1, j) for j, p in enumerate(score_positions) if p in scans),
        (parameters[1], 2, 0),
        (flop[1], 2, 1),
    ]
    met = [(row, step, order) for row, step, order in problems if row is not None]
    if met:
        index, step, order = min(met)
        if step == 0:
            which = ", ".join(f"'{header[p]}'" for p in model_positions)
            raise InputError(
                f"{path}, row {grid.row_numbers[index]}: the model column {which} is empty; "
                "give every row a model id."
            )
        if step == 1:
            position = score_positions[order]
            _raise_score_error(path, grid, model_ids, position, scans[position], index)
        role = ("parameters", "flop")[order]
        position = meta_positions[role]
        scale = columns.parameters_scale if role == "parameters" else columns.flop_scale
        where = f"{_where(path, grid, model_ids, index)}, column '{header[position]}'"
        parse_compute(grid.text(position)[index], where, scale)
        raise AssertionError(f"{where}: refused, then accepted")
    classes = _texts(grid, meta_positions.get("model_class"))
    class_texts = [_class_text(cell, columns) for cell in classes]
    names = _texts(grid, meta_positions.get("name"))
    families = _texts(grid, meta_positions.get("family"))
    models = [
        ModelInfo(
            id=model_id,
            name=name,
            model_class=model_class or columns.default_class,
            parameters=model_parameters,
            flop=model_flop,
            family=family,
        )
        for model_id, name, model_class, model_parameters, model_flop, family in zip(
            model_ids, names, class_texts, parameters[0], flop[0], families, strict=True
        )
    ]
    row_numbers = grid.row_numbers
    if "model_class" in meta_positions:
        empty_class = [index for index, text in enumerate(class_texts) if not text]
        if empty_class:
            models = _fill_empty_class(
                path, header[meta_positions["model_class"]], models, row_numbers, empty_class,
                columns, notices,
            )  # fmt: skip
    models = _drop_nonpositive_compute(path, header, meta_positions, models, columns, notices)
    values = _score_matrix(grid, score_positions, scans)
    values, models = resolve_duplicates(
        path, values, models, row_numbers, columns.duplicates, notices
    )
    infos = [
        known.get(header[p], BenchmarkInfo(id=header[p], role="ignore" if p in facts else "safety"))
        for p in score_positions
    ]
    accounting.notify(path, notices)
    looks = [i.id for i in infos if i.role != "ignore" and metadata_kind(i.id) is not None]
    if looks:
        notices.add(
            f"{path}: {len(looks)} column{'s' if len(looks) > 1 else ''} named like model facts "
            f"{'are' if len(looks) > 1 else 'is'} audited, as given by the benchmark roles",
            looks,
        )
    table = ScoreTable(
        values=values,
        models=tuple(models),
        benchmarks=tuple(infos),
        sources=(source,),
        notes=tuple(notices.notes),
        compute_kind=columns.compute_kind,
    )
    notices.emit()
    return table


def _texts(grid: Grid, position: int | None) -> list[str]:
    """A text column's cells, stripped; empty cells when the column is absent."""
    if position is None:
        return [""] * grid.n_rows
    return [cell.strip() for cell in grid.text(position)]


def _model_ids(grid: Grid, positions: list[int]) -> tuple[list[str], int | None]:
    """Each row's model id (several columns joined with ``:``), and the first row whose
    id has an empty part (None if none)."""
    parts = [[cell.strip() for cell in grid.text(p)] for p in positions]
    if len(parts) == 1:
        ids = parts[0]
        empty = next((index for index, cell in enumerate(ids) if not cell), None)
        return ids, empty
    rows = list(zip(*parts, strict=True)) if parts else [()] * grid.n_rows
    empty = next((index for index, cells in enumerate(rows) if not all(cells)), None)
    return [":".join(cells) for cells in rows], empty


def _where(path: Path, grid: Grid, model_ids: list[str], index: int) -> str:
    """How a message names a row: the file, the row number and the model."""
    return f"{path}, row {grid.row_numbers[index]} (model '{model_ids[index]}')"


def _raise_score_error(
    path: Path, grid: Grid, model_ids: list[str], position: int, scan: ScoreScan, index: int
) -> NoReturn:
    """Raise the error for the problem of a score column at row ``index`` (a refused cell,
    or the first cell written differently from those above it)."""
    cells = grid.text(position)
    column = grid.header[position]
    if scan.mixed is not None and scan.mixed[1] == index:
        first = scan.mixed[0]
        raise mixed_percent(
            column,
            f"{_where(path, grid, model_ids, first)}, column '{column}'",
            cells[first].strip(),
            cells[first].strip().endswith("%"),
            grid.row_numbers[index],
            cells[index].strip(),
        )
    where = f"{_where(path, grid, model_ids, index)}, column '{column}'"
    parse_score(cells[index], where)
    raise AssertionError(f"{where}: refused, then accepted")


def _compute_column(
    grid: Grid, position: int | None, scale: float
) -> tuple[list[float], int | None]:
    """A compute column's values (scaled; NaN when absent or empty) and its first cell
    that :func:`~safetywashing.io.tables.cells.parse_compute` refuses (None if none)."""
    if position is None:
        return [math.nan] * grid.n_rows, None
    values: list[float] = []
    for index, cell in enumerate(grid.text(position)):
        try:
            values.append(parse_compute(cell, "", scale))
        except InputError:
            return values, index
    return values, None


def _score_matrix(grid: Grid, positions: list[int], scans: dict[int, ScoreScan]) -> np.ndarray:
    """The scores of the columns at ``positions``: the tokenizer's block of numbers as it
    is when it holds exactly those columns, else a new matrix in the grid's order."""
    if grid.block is not None and tuple(positions) == grid.block_positions:
        return grid.block
    values = np.empty((grid.n_rows, len(positions)), dtype=np.float64, order=grid.order)
    for j, position in enumerate(positions):
        values[:, j] = scans[position].values if position in scans else grid.numbers(position)
    return values


#: Cells of a yes/no class column (``1.0``/``0.0``: a 0/1 column saved by a program
#: that wrote it as floats).
_TRUE = frozenset({"true", "yes", "1", "1.0"})
_FALSE = frozenset({"false", "no", "0", "0.0"})


def _flag_classes(
    path: Path, column: str, cells: Sequence[str], columns: ColumnMap, notices: Notices
) -> ColumnMap:
    """An instruct/chat flag as the class column: True -> chat, False -> base."""
    if not re.search(r"instruct|chat|tuned", column, re.IGNORECASE):
        return columns
    values = {cell.strip().lower() for cell in cells}
    values.discard("")
    if not values or not values <= _TRUE | _FALSE:
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
    grid: Grid,
    positions: list[int],
    scans: dict[int, ScoreScan],
    columns: ColumnMap,
) -> tuple[list[int], list[str]]:
    """Score columns minus those that hold mostly text, all refused or skipped at once
    (the names of those skipped are returned).

    A column where at least two, and at least half, of the non-empty cells are not
    numbers holds text (names, licences, dates, True/False); a column with a stray bad
    cell (or decimal commas) is left to the per-cell error, which names the cell. A
    column read as numbers holds none.
    """
    text: list[int] = []
    for position in positions:
        scan = scans.get(position)
        if scan is None:
            continue
        cells = grid.text(position)
        bad = sum(not _DECIMAL_COMMA.fullmatch(cells[i].strip()) for i in scan.not_numbers)
        if bad >= 2 and 2 * bad >= scan.filled:
            text.append(position)
    if not text:
        return positions, []
    names = [grid.header[p] for p in text]
    not_numbers = [set(scans[p].not_numbers) for p in text]
    leading = 0
    while leading < grid.n_rows and any(leading in cells for cells in not_numbers):
        leading += 1
    if 0 < leading < grid.n_rows and _leading_rows_differ(grid, positions, scans, text, leading):
        first, last = grid.row_numbers[0], grid.row_numbers[leading - 1]
        raise InputError(
            f"{path}: the first {leading} row{'s' if leading > 1 else ''} under the header "
            f"hold{'' if leading > 1 else 's'} text (rows {first}-{last}), "
            f"not scores; skip {'them' if leading > 1 else 'it'} with --skip-rows {leading}."
        )
    if columns.text_columns == "error":
        raise InputError(
            f"{path}: {len(names)} column{'s hold' if len(names) > 1 else ' holds'} text, not "
            f"scores ({name_list(names, limit=None)}); skip "
            f"{'them all' if len(names) > 1 else 'it'} with --text-columns ignore (or name "
            "each with --ignore-column)."
        )
    return [p for p in positions if p not in text], names


def _leading_rows_differ(
    grid: Grid,
    positions: list[int],
    scans: dict[int, ScoreScan],
    text: list[int],
    leading: int,
) -> bool:
    """Whether the first ``leading`` rows differ in kind from the rest: no score column
    holds a number in them, and every text column holds numbers (only) below them.

    Rows of units or descriptions under a header look so; a column of numbers with unit
    suffixes, filled in for the first rows only, does not (skipping those rows would
    drop the models they hold).
    """
    for position in positions:
        top = scans[position].values[:leading] if position in scans else None
        if top is None:
            if not np.isnan(grid.numbers(position)[:leading]).all():
                return False
        elif not all(math.isnan(value) for value in top):
            return False
    for position in text:
        scan = scans[position]
        if max(scan.not_numbers) >= leading:
            return False
        if all(math.isnan(value) for value in scan.values[leading:]):
            return False
    return True


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
    # Counted by model, not by row: a model on several rows is one model once merged.
    names = list(dict.fromkeys(models[i].id for i in bad))
    notices.add(
        f"{path}: {len(names)} model{'s have' if len(names) > 1 else ' has'} zero or negative "
        f"'{column}' ({label}), read as unknown and left out of the compute correlations",
        names,
    )
    dropped = set(bad)
    return [
        replace(model, flop=math.nan) if i in dropped else model for i, model in enumerate(models)
    ]


def _class_text(cell: str, columns: ColumnMap) -> str:
    """A class cell as read, or rewritten by the first matching ``class_values`` pair."""
    for fragment, value in columns.class_values:
        if cell and fragment.lower() in cell.lower():
            return value
    return cell
