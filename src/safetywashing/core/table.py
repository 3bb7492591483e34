"""The score table: models x benchmarks, with what is known about each.

A :class:`ScoreTable` is the one input of the analysis. It holds a float matrix of scores
(NaN where a model has no score), one :class:`ModelInfo` per row and one
:class:`BenchmarkInfo` per column. It is deliberately built on plain numpy arrays and
tuples rather than a pandas DataFrame: importing pandas alone takes most of the
command line's time budget, so pandas is imported only by :meth:`ScoreTable.to_frame`
and the Parquet reader.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from safetywashing.core.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

Role = Literal["capability", "safety", "ignore"]
Direction = Literal["higher", "lower"]

ROLES: tuple[Role, ...] = ("capability", "safety", "ignore")
DIRECTIONS: tuple[Direction, ...] = ("higher", "lower")
DEFAULT_CLASS = "all"

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class BenchmarkInfo:
    """What is known about one benchmark column."""

    #: Column name in the scores table.
    id: str
    #: Display name (defaults to ``id``).
    name: str = ""
    #: Metric description, e.g. ``"Accuracy (↑)"``.
    metric: str = ""
    #: {"capability", "safety", "ignore"}: Capability benchmarks form the capability score; safety
    #: benchmarks are audited; ignored columns are carried but not reported.
    role: Role = "safety"
    #: Safety area used to group reports, e.g. ``"Machine ethics"``.
    area: str = ""
    #: {"higher", "lower"}: Whether a higher or a lower raw score is safer. Lower-is-safer columns
    #: are negated before the analysis and the flip is recorded.
    direction: Direction = "higher"
    #: A column to correlate against instead of the capability score (the paper correlates
    #: calibration error with the task's own accuracy).
    reference: str | None = None

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.id)
        if self.role not in ROLES:
            raise InputError(
                f"Benchmark '{self.id}' has role '{self.role}'; use one of "
                "capability, safety or ignore."
            )
        if self.direction not in DIRECTIONS:
            raise InputError(
                f"Benchmark '{self.id}' has direction '{self.direction}'; use higher "
                "(higher is safer) or lower (lower is safer)."
            )


#: What a table's compute figures hold -> (label in sentences, short column label).
COMPUTE_LABELS: dict[str, tuple[str, str]] = {
    "flop": ("training FLOP", "FLOP"),
    "params": ("parameters", "params"),
    "tokens": ("training tokens", "tokens"),
}


@dataclass(frozen=True)
class ModelInfo:
    """What is known about one model (row)."""

    #: Model identifier (the scores table's model column).
    id: str
    #: Display name (defaults to ``id``).
    name: str = ""
    #: Analysis class, e.g. ``"base"`` or ``"chat"``; models of different classes are analysed
    #: separately by default.
    model_class: str = DEFAULT_CLASS
    #: Parameter count, NaN when unknown.
    parameters: float = math.nan
    #: Training compute in FLOP, NaN when unknown.
    flop: float = math.nan
    #: Model family (e.g. ``"Llama-2"``), empty when unknown.
    family: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.id)
        if not self.model_class:
            object.__setattr__(self, "model_class", DEFAULT_CLASS)


@dataclass(frozen=True)
class SourceFile:
    """An input file and its SHA-256, recorded for provenance."""

    path: str
    sha256: str


@dataclass(frozen=True, repr=False)
class ScoreTable:
    """Scores of models on benchmarks, with model and benchmark metadata.

    Examples
    --------
    >>> from safetywashing import load_demo_panel
    >>> table = load_demo_panel()
    >>> table.values.shape == (len(table.models), len(table.benchmarks))
    True
    """

    #: ndarray of shape (n_models, n_benchmarks): Scores as float64, NaN where missing. Oriented as
    #: read: apply :meth:`oriented` to negate lower-is-safer columns.
    values: FloatArray
    models: tuple[ModelInfo, ...]
    benchmarks: tuple[BenchmarkInfo, ...]
    #: The files the table was read from.
    sources: tuple[SourceFile, ...] = ()
    #: True for simulated panels (the bundled demo): every output says so.
    synthetic: bool = False
    #: Remarks made while reading (e.g. which of several runs was kept).
    notes: tuple[str, ...] = field(default=())
    #: {"flop", "params", "tokens"}: What the models' ``flop`` values hold: training FLOP (the
    #: paper's compute), or a stand-in for it (parameter count, training tokens). Outputs name it.
    compute_kind: str = "flop"

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=np.float64)
        if values.ndim != 2:
            raise InputError(f"Scores must be a 2-D matrix; got {values.ndim} dimensions.")
        if values.shape != (len(self.models), len(self.benchmarks)):
            raise InputError(
                f"Scores have shape {values.shape} but there are {len(self.models)} models "
                f"and {len(self.benchmarks)} benchmarks."
            )
        _require_unique((m.id for m in self.models), "model")
        _require_unique((b.id for b in self.benchmarks), "benchmark")
        values.setflags(write=False)
        object.__setattr__(self, "values", values)

    # -- lookups -------------------------------------------------------------------------
    #
    # The table is immutable, so the id tuples and the column index are built once, on
    # first use: callers read them inside loops over models or benchmarks, and rebuilding
    # them on every access made those loops quadratic (10,000 models x 100 benchmarks
    # took minutes in the coverage report alone).

    @cached_property
    def model_ids(self) -> tuple[str, ...]:
        """Model identifiers in row order."""
        return tuple(m.id for m in self.models)

    @cached_property
    def benchmark_ids(self) -> tuple[str, ...]:
        """Benchmark identifiers in column order."""
        return tuple(b.id for b in self.benchmarks)

    @cached_property
    def _benchmark_positions(self) -> Mapping[str, int]:
        return {benchmark_id: j for j, benchmark_id in enumerate(self.benchmark_ids)}

    @cached_property
    def _flop(self) -> FloatArray:
        flop = np.array([m.flop for m in self.models], dtype=np.float64)
        flop.setflags(write=False)
        return flop

    @property
    def flop(self) -> FloatArray:
        """Training FLOP per model, NaN where unknown; shape (n_models,)."""
        return self._flop.copy()

    def benchmark_index(self, benchmark_id: str) -> int:
        """Column index of ``benchmark_id``; raises :class:`InputError` if absent."""
        position = self._benchmark_positions.get(benchmark_id)
        if position is None:
            from safetywashing.core.errors import suggestion

            raise InputError(
                f"Benchmark '{benchmark_id}' is not a column of the scores"
                f"{suggestion(benchmark_id, self.benchmark_ids)}; check the spelling or the "
                "metadata file."
            )
        return position

    def column(self, benchmark_id: str) -> FloatArray:
        """Scores of one benchmark; shape (n_models,)."""
        return np.asarray(self.values[:, self.benchmark_index(benchmark_id)])

    def classes(self) -> tuple[str, ...]:
        """Model classes in order of first appearance."""
        return tuple(dict.fromkeys(m.model_class for m in self.models))

    # -- derived tables ------------------------------------------------------------------

    def select_models(self, rows: Sequence[int] | npt.NDArray[np.intp]) -> ScoreTable:
        """Table restricted to the given row indices (in that order)."""
        index = np.asarray(rows, dtype=np.intp)
        return replace(
            self,
            values=self.values[index],
            models=tuple(self.models[i] for i in index),
        )

    def select_class(self, model_class: str) -> ScoreTable:
        """Table of the models of one class."""
        rows = [i for i, m in enumerate(self.models) if m.model_class == model_class]
        if not rows:
            known = ", ".join(self.classes())
            raise InputError(
                f"No model has class '{model_class}'; the classes present are {known}."
            )
        if len(rows) == len(self.models):
            return self  # one class: the table is immutable, so no copy of its scores
        return self.select_models(rows)

    def with_benchmarks(self, benchmarks: Iterable[BenchmarkInfo]) -> ScoreTable:
        """Same scores with replaced benchmark metadata (same ids, same order)."""
        infos = tuple(benchmarks)
        if tuple(b.id for b in infos) != self.benchmark_ids:
            raise InputError("Replacement benchmark metadata must keep the same columns.")
        return replace(self, benchmarks=infos)

    def oriented(self) -> tuple[FloatArray, tuple[str, ...]]:
        """Scores with lower-is-safer columns negated, and the ids that were flipped.

        Returns
        -------
        values : ndarray of shape (n_models, n_benchmarks)
            Scores where higher is safer for every column: a new array, or the table's own
            read-only one when no column is flipped (a copy of a large panel costs more
            than the rest of the audit's arithmetic).
        flipped : tuple of str
            Benchmarks that were negated.
        """
        flipped = tuple(b.id for b in self.benchmarks if b.direction == "lower")
        if not flipped:
            return self.values, flipped
        signs = np.array([-1.0 if b.direction == "lower" else 1.0 for b in self.benchmarks])
        return self.values * signs, flipped

    def __repr__(self) -> str:
        roles: dict[str, int] = {}
        for b in self.benchmarks:
            roles[b.role] = roles.get(b.role, 0) + 1
        counted = ", ".join(f"{n} {role}" for role, n in sorted(roles.items()))
        sources = ", ".join(Path(s.path).name for s in self.sources[:2])
        more = f" and {len(self.sources) - 2} more" if len(self.sources) > 2 else ""
        return (
            f"<ScoreTable: {len(self.models)} models x {len(self.benchmarks)} benchmarks "
            f"({counted}); classes {', '.join(self.classes())}"
            + (f"; from {sources}{more}" if sources else "")
            + ("; SYNTHETIC" if self.synthetic else "")
            + ">"
        )

    def _repr_html_(self) -> str:
        """The summary line and the first rows of the scores, for notebooks (escaped)."""
        import html

        table = self.to_frame().to_html(max_rows=10, max_cols=12, na_rep="")
        return f"<div>{html.escape(repr(self))}{table}</div>"

    def to_frame(self) -> pd.DataFrame:
        """Scores as a pandas DataFrame indexed by model id (columns = benchmark ids)."""
        import pandas as pd

        return pd.DataFrame(
            np.array(self.values),
            index=pd.Index(self.model_ids, name="model"),
            columns=list(self.benchmark_ids),
        )

    def models_frame(self) -> pd.DataFrame:
        """Model metadata as a pandas DataFrame indexed by model id (one column a field)."""
        return _records_frame(self.models, ModelInfo, "model")

    def benchmarks_frame(self) -> pd.DataFrame:
        """Benchmark metadata as a pandas DataFrame indexed by benchmark id."""
        return _records_frame(self.benchmarks, BenchmarkInfo, "benchmark")

    # -- construction --------------------------------------------------------------------

    @classmethod
    def from_long(
        cls,
        records: Iterable[tuple[str, str, float]],
        *,
        models: Iterable[ModelInfo] = (),
        benchmarks: Iterable[BenchmarkInfo] = (),
        sources: tuple[SourceFile, ...] = (),
        source_label: str = "the long table",
    ) -> ScoreTable:
        """Build a table from ``(model, benchmark, score)`` records.

        Parameters
        ----------
        records : iterable of (str, str, float)
            One score per record. A repeated pair with the same score is accepted once;
            with a different score it is an error.
        models, benchmarks : iterables of ModelInfo / BenchmarkInfo, optional
            Metadata for some or all of the ids; the rest get defaults.
        sources : tuple of SourceFile
            Provenance.
        source_label : str
            How error messages refer to the input.

        Returns
        -------
        ScoreTable
        """
        cells: dict[tuple[str, str], float] = {}
        model_order: dict[str, None] = {}
        bench_order: dict[str, None] = {}
        for model, benchmark, score in records:
            key = (model, benchmark)
            value = float(score)
            if key in cells and not _same(cells[key], value):
                raise InputError(
                    f"{source_label} has two different scores for model '{model}' on "
                    f"benchmark '{benchmark}' ({cells[key]!r} and {value!r}); keep one row "
                    "per model and benchmark."
                )
            cells[key] = value
            model_order.setdefault(model, None)
            bench_order.setdefault(benchmark, None)
        model_ids = list(model_order)
        bench_ids = list(bench_order)
        values = np.full((len(model_ids), len(bench_ids)), np.nan)
        row = {m: i for i, m in enumerate(model_ids)}
        col = {b: j for j, b in enumerate(bench_ids)}
        for (model, benchmark), value in cells.items():
            values[row[model], col[benchmark]] = value
        known_models = {m.id: m for m in models}
        known_benchmarks = {b.id: b for b in benchmarks}
        return cls(
            values=values,
            models=tuple(known_models.get(m, ModelInfo(id=m)) for m in model_ids),
            benchmarks=tuple(known_benchmarks.get(b, BenchmarkInfo(id=b)) for b in bench_ids),
            sources=sources,
        )

    @classmethod
    def concat(cls, tables: Sequence[ScoreTable]) -> ScoreTable:
        """Stack tables of different models (e.g. the paper's base and chat files).

        Benchmark columns are the union, in order of first appearance; a model lacking a
        column gets NaN there. Benchmark metadata comes from the first table that has the
        column.

        Raises
        ------
        InputError
            If a model id appears in more than one table.
        """
        if not tables:
            raise InputError("No score tables were given; name at least one scores file.")
        if len(tables) == 1:
            return tables[0]
        kinds = {table.compute_kind for table in tables}
        if len(kinds) > 1:
            raise InputError(
                f"The scores files give different kinds of compute ({', '.join(sorted(kinds))}); "
                "read them with the same --compute-kind."
            )
        owner: dict[str, str] = {}
        benchmarks: dict[str, BenchmarkInfo] = {}
        for table in tables:
            label = table.sources[0].path if table.sources else "a table"
            for model in table.model_ids:
                if model in owner:
                    raise InputError(
                        f"Model '{model}' is in both {owner[model]} and {label}; give each "
                        "model one row across the files."
                    )
                owner[model] = label
            for info in table.benchmarks:
                benchmarks.setdefault(info.id, info)
        column = {benchmark_id: j for j, benchmark_id in enumerate(benchmarks)}
        blocks = []
        for table in tables:
            block = np.full((len(table.models), len(benchmarks)), np.nan)
            block[:, [column[b] for b in table.benchmark_ids]] = table.values
            blocks.append(block)
        return cls(
            values=np.vstack(blocks),
            models=tuple(m for table in tables for m in table.models),
            benchmarks=tuple(benchmarks.values()),
            sources=tuple(s for table in tables for s in table.sources),
            synthetic=any(table.synthetic for table in tables),
            notes=tuple(n for table in tables for n in table.notes),
            compute_kind=tables[0].compute_kind,
        )

    def summary(self) -> dict[str, Any]:
        """Counts for display: models, benchmarks, classes, missing cells."""
        return {
            "models": len(self.models),
            "benchmarks": len(self.benchmarks),
            "classes": list(self.classes()),
            "missing_cells": int(np.isnan(self.values).sum()),
        }


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def _require_unique(ids: Iterable[str], kind: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise InputError(f"The {kind} id '{item}' appears twice; give each {kind} one entry.")
        seen.add(item)


def _records_frame(
    records: Sequence[ModelInfo] | Sequence[BenchmarkInfo],
    kind: type[ModelInfo] | type[BenchmarkInfo],
    index: str,
) -> pd.DataFrame:
    """One row per record, one column per field, the ``id`` field as the index ``index``."""
    import pandas as pd

    names = [item.name for item in fields(kind)]
    rows = [[getattr(record, name) for name in names] for record in records]
    return pd.DataFrame(rows, columns=names).rename(columns={"id": index}).set_index(index)
