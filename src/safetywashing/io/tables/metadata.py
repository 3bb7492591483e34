"""Benchmark metadata files: role, area, direction and reference of each benchmark."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from safetywashing.core.errors import InputError, suggestion
from safetywashing.core.table import BenchmarkInfo, Direction, Role, ScoreTable, SourceFile
from safetywashing.io.tables.cells import file_sha256
from safetywashing.io.tables.rows import read_rows

_ROLE_WORDS: dict[str, Role] = {
    "capability": "capability",
    "capabilities": "capability",
    "cap": "capability",
    "safety": "safety",
    "ignore": "ignore",
    "ignored": "ignore",
    "skip": "ignore",
}
_DIRECTION_WORDS: dict[str, Direction] = {
    "higher": "higher",
    "higher is safer": "higher",
    "higher-is-safer": "higher",
    "up": "higher",
    "↑": "higher",
    "+": "higher",
    "lower": "lower",
    "lower is safer": "lower",
    "lower-is-safer": "lower",
    "down": "lower",
    "↓": "lower",
    "-": "lower",
}


@dataclass(frozen=True)
class BenchmarkMetadata:
    """Benchmark metadata read from a file."""

    #: One entry per benchmark row.
    infos: dict[str, BenchmarkInfo]
    #: Whether the file had a role column. A file without one (the paper's ``benchmarks_info.csv``)
    #: is a catalogue: entries absent from the scores are ignored. A file with roles describes the
    #: analysis, so a benchmark it names must be in the scores.
    declares_roles: bool
    #: The file and its hash.
    source: SourceFile


_METADATA_ROWS = frozenset({"model", "model_size", "flop", "name", "type"})

WordT = TypeVar("WordT")


def _word(
    where: str, column: str, text: str, words: dict[str, WordT], default: str, choices: str
) -> WordT:
    """The value a metadata cell's word names (that of ``default`` for an empty cell)."""
    value = words.get(text.lower() or default)
    if value is None:
        raise InputError(f"{where}, column '{column}': '{text}' is not a {column}; use {choices}.")
    return value


def read_benchmark_info(path: str | Path) -> BenchmarkMetadata:
    """Read a benchmark metadata file.

    Accepted columns (case-insensitive): ``benchmark`` (or ``id``), ``name``, ``metric``,
    ``role`` (capability / safety / ignore), ``area``, ``direction`` (higher / lower:
    which raw score is safer), ``reference`` (a column to correlate against instead of
    the capability score). Only the benchmark column is required. The paper's
    ``benchmarks_info.csv`` (benchmark, name, metric) is read as is; its rows that
    describe model metadata columns (model_size, FLOP, name, type) are skipped.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    BenchmarkMetadata
    """
    path = Path(path)
    rows = read_rows(path)
    header = [cell.strip().lower() for cell in rows.header]
    id_column = "benchmark" if "benchmark" in header else "id" if "id" in header else None
    if id_column is None:
        raise InputError(
            f"{path} has no 'benchmark' column; name the benchmark-id column 'benchmark'."
        )
    position = {name: header.index(name) for name in header}
    infos: dict[str, BenchmarkInfo] = {}
    for row_number, row in rows.body:
        row = row + [""] * (len(header) - len(row))

        def cell(name: str, row: list[str] = row) -> str:
            return row[position[name]].strip() if name in position else ""

        benchmark_id = cell(id_column)
        if not benchmark_id:
            raise InputError(f"{path}, row {row_number}: empty benchmark id; fill it in.")
        if benchmark_id.lower() in _METADATA_ROWS and "role" not in position:
            continue
        if benchmark_id in infos:
            raise InputError(
                f"{path}, row {row_number}: benchmark '{benchmark_id}' is described twice; "
                "keep one row per benchmark."
            )
        where = f"{path}, row {row_number}"
        role = _word(
            where, "role", cell("role"), _ROLE_WORDS, "safety", "capability, safety or ignore"
        )
        direction = _word(
            where,
            "direction",
            cell("direction"),
            _DIRECTION_WORDS,
            "higher",
            "higher (higher is safer) or lower (lower is safer)",
        )
        if cell("reference") == benchmark_id:
            raise InputError(
                f"{path}, row {row_number}, column 'reference': benchmark '{benchmark_id}' "
                "names itself as its reference, which always correlates 1.0; leave the cell "
                "empty or name the task's accuracy column."
            )
        infos[benchmark_id] = BenchmarkInfo(
            id=benchmark_id,
            name=cell("name"),
            metric=cell("metric"),
            role=role,
            area=cell("area"),
            direction=direction,
            reference=cell("reference") or None,
        )
    if not infos:
        raise InputError(f"{path} describes no benchmarks; add one row per benchmark.")
    return BenchmarkMetadata(
        infos=infos,
        declares_roles="role" in position,
        source=SourceFile(path=str(path), sha256=file_sha256(path)),
    )


def apply_benchmark_metadata(table: ScoreTable, metadata: BenchmarkMetadata) -> ScoreTable:
    """Attach metadata to a table's benchmark columns.

    Raises
    ------
    InputError
        If the metadata declares roles and names a benchmark absent from the scores, or
        names a reference column that does not exist.
    """
    present = set(table.benchmark_ids)
    if metadata.declares_roles:
        for benchmark_id, info in metadata.infos.items():
            if benchmark_id not in present and info.role != "ignore":
                raise InputError(
                    f"{metadata.source.path} describes benchmark '{benchmark_id}', which is "
                    f"not a column of the scores{suggestion(benchmark_id, present)}; fix the "
                    "name or set its role to ignore."
                )
    for info in metadata.infos.values():
        if info.id in present and info.reference is not None and info.reference not in present:
            raise InputError(
                f"{metadata.source.path}: benchmark '{info.id}' names reference column "
                f"'{info.reference}', which is not in the scores"
                f"{suggestion(info.reference, present)}; fix the reference."
            )
    merged = tuple(metadata.infos.get(b.id, b) for b in table.benchmarks)
    updated = table.with_benchmarks(merged)
    return replace(updated, sources=(*table.sources, metadata.source))
