"""Reading a new benchmark's scores: a two-column file, or any scores table."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from safetywashing.core.errors import InputError

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class NewScores:
    """A new benchmark's scores as read from a file."""

    #: Its name (the score column's header, or the file's stem for a ``score`` column).
    benchmark: str
    models: tuple[str, ...]
    #: ndarray of shape (n,)
    scores: FloatArray
    #: The file, for messages.
    source: str
    sha256: str = ""


def read_new_scores(
    path: str | Path,
    *,
    benchmark: str | None = None,
    columns: Any = None,
) -> NewScores:
    """Read a new benchmark's scores.

    A two-column file is read as (model, score), whatever its header says; a repeated
    model with the same score is kept once, with a different score it is an error. Any
    other file goes through :func:`~safetywashing.io.tables.readers.read_scores` (wide or long,
    CSV, TSV or Parquet) and ``benchmark`` picks the column when there are several.

    Raises
    ------
    InputError
        Empty file, no rows, a non-numeric score, duplicate models with different
        scores, or several benchmark columns and none chosen.
    """
    from safetywashing.io.tables.readers import (
        PercentCheck,
        file_sha256,
        parse_score,
        read_rows,
        read_scores,
    )

    path = Path(path)
    rows = read_rows(path)
    header = [cell.strip() for cell in rows.header]
    digest = file_sha256(path)
    if len(header) == 2 and benchmark in (None, header[1]):
        if not rows.body:
            raise InputError(
                f"{path} has a header but no scores; add one row per model (model, score)."
            )
        seen: dict[str, tuple[int, float]] = {}
        percents = PercentCheck()
        for row_number, row in rows.body:
            if len(row) > 2:
                raise InputError(
                    f"{path}, row {row_number}: {len(row)} cells for 2 header columns; "
                    "remove the extra cells or add header names."
                )
            cells = [*row, "", ""][:2]
            model = cells[0].strip()
            if not model:
                raise InputError(f"{path}, row {row_number}: the model cell is empty; fill it.")
            where = f"{path}, row {row_number} (model '{model}')"
            score = parse_score(cells[1], where)
            percents.see(header[1], cells[1], where, row_number)
            if model in seen:
                first_row, first = seen[model]
                if not (first == score or (math.isnan(first) and math.isnan(score))):
                    raise InputError(
                        f"{path}, row {row_number}: model '{model}' already has score {first:g} "
                        f"in row {first_row} and here {score:g}; keep one row per model."
                    )
                continue
            seen[model] = (row_number, score)
        name = header[1] if header[1].lower() not in {"score", "value", ""} else path.stem
        return NewScores(
            benchmark=name,
            models=tuple(seen),
            scores=np.array([score for _, score in seen.values()], dtype=np.float64),
            source=str(path),
            sha256=digest,
        )
    table = read_scores(path, columns=columns) if columns is not None else read_scores(path)
    ids = table.benchmark_ids
    if benchmark is None:
        if len(ids) != 1:
            raise InputError(
                f"{path} has {len(ids)} benchmark columns ({', '.join(ids[:4])}"
                f"{', ...' if len(ids) > 4 else ''}); choose the new one with --benchmark."
            )
        benchmark = ids[0]
    column = table.column(benchmark)
    return NewScores(benchmark, table.model_ids, np.asarray(column), str(path), digest)
