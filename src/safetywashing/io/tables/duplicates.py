"""Models on more than one row: refused, one row kept, or the rows combined, always said.

Two readings happen here. :func:`keep_preferred` is a layout's default (the Open LLM
Leaderboard lists a model once per precision it was run at: the row of the highest
precision is kept). :func:`resolve_duplicates` applies ``--duplicates`` to what is left,
and says when the rows it merges disagree on the class.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from safetywashing.core.errors import InputError
from safetywashing.core.table import ModelInfo
from safetywashing.io.tables.grid import Grid
from safetywashing.io.tables.notices import Notices

#: Precisions of the Open LLM Leaderboard, most precise first: a model run at several keeps
#: the row of the first one here (a precision not listed comes after all of these).
PRECISION_ORDER = ("float32", "bfloat16", "float16", "8bit", "4bit", "GPTQ")


def keep_preferred(
    path: Path,
    grid: Grid,
    id_position: int,
    rank_position: int,
    order: Sequence[str],
    notices: Notices,
) -> Grid:
    """The grid with, for each model on several rows, only its row of the best rank.

    Parameters
    ----------
    path : Path
        The file, for the notice.
    grid : Grid
        The table's cells.
    id_position, rank_position : int
        Header positions of the model id and of the column ranked by ``order`` (both
        read as text).
    order : sequence of str
        Values of the ranked column, best first; a value not in it ranks after them all.
    notices : Notices
        Where the notice naming the models goes.

    Returns
    -------
    Grid
        A model whose best rank is held by more than one of its rows keeps all of them
        (``--duplicates`` then decides), so nothing is chosen by the order of the rows.
    """
    ids = [cell.strip() for cell in grid.text(id_position)]
    ranks = [
        order.index(cell.strip()) if cell.strip() in order else len(order)
        for cell in grid.text(rank_position)
    ]
    groups: dict[str, list[int]] = {}
    for index, model_id in enumerate(ids):
        groups.setdefault(model_id, []).append(index)
    dropped: set[int] = set()
    chosen: list[str] = []
    for model_id, rows in groups.items():
        if len(rows) < 2:
            continue
        best = min(ranks[i] for i in rows)
        if sum(ranks[i] == best for i in rows) > 1:
            continue
        dropped.update(i for i in rows if ranks[i] != best)
        chosen.append(model_id)
    if not dropped:
        return grid
    column = grid.header[rank_position]
    notices.add(
        f"{path}: {len(chosen)} model{'s' if len(chosen) > 1 else ''} listed at several "
        f"'{column}' values, each read from its row of the highest precision "
        f"({', '.join(order)}; {len(dropped)} row{'s' if len(dropped) > 1 else ''} left out; "
        f"--duplicates or --model-column {grid.header[id_position]},{column} to choose "
        "otherwise)",
        chosen,
    )
    return grid.take([i for i in range(grid.n_rows) if i not in dropped])


def resolve_duplicates(
    path: Path,
    values: np.ndarray,
    models: list[ModelInfo],
    row_numbers: list[int],
    policy: str,
    notices: Notices,
) -> tuple[np.ndarray, list[ModelInfo]]:
    """One row per model: refuse repeated ids, or keep or combine their rows (``policy``).

    Returns
    -------
    tuple of (ndarray, list of ModelInfo)
        The scores (one row per model, in the order of their first rows) and the models.
        A model whose rows disagree on the class keeps its first row's class, and a
        notice names every such model.
    """
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
    if policy == "error":
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
        if policy == "first":
            row, model = block[0], models[rows[0]]
        elif policy == "last":
            row, model = block[-1], models[rows[-1]]
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # an all-empty column
                combine = np.nanmean if policy == "mean" else np.nanmax
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
    }[policy]
    notices.add(
        f"{path}: {len(repeated)} model{'s' if len(repeated) > 1 else ''} on more than one row, "
        f"{what} (--duplicates {policy})",
        list(repeated),
    )
    conflicts = [
        model_id
        for model_id, rows in repeated.items()
        if len({models[i].model_class for i in rows}) > 1
    ]
    if conflicts and policy in ("mean", "max"):
        notices.add(
            f"{path}: {len(conflicts)} of them ha{'ve' if len(conflicts) > 1 else 's'} rows "
            "that disagree on the class, each given its first row's class (fix the class "
            "cells, or --duplicates first|last to take one row whole)",
            conflicts,
        )
    return np.vstack(kept_values), kept_models
