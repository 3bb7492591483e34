"""How a wide scores table is laid out: :class:`ColumnMap`, the reading options.

Which columns hold the model id and the model metadata, and how to read what the
exports people have look like (a header below a title, repeated models, text columns,
empty class cells, a compute column that is not training FLOP).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Literal, get_args

from safetywashing.core.errors import InputError
from safetywashing.core.limits import MAX_COLUMNS, MAX_MAGNITUDE, MAX_ROWS, MAX_TABLE_MB
from safetywashing.core.table import DEFAULT_CLASS

DuplicatePolicy = Literal["error", "first", "last", "mean", "max"]
TextColumnPolicy = Literal["error", "ignore"]
ComputeKind = Literal["flop", "params", "tokens"]


#: The model-metadata roles a column can play (the keys of ColumnMap.metadata_columns).
METADATA_ROLES = ("name", "model_class", "parameters", "flop", "family")


@dataclass(frozen=True)
class ColumnMap:
    """Which columns of a wide table hold model metadata, and how to read the rest.

    Defaults follow the Safetywashing paper's files. A column given here that the file
    does not have is an error unless it is the default (defaults are optional).
    """

    #: Model id column; several columns separated by commas (``"fullname,Precision"``) are joined
    #: into one id (``"org/model:bfloat16"``) when the file has no column of that whole name.
    model: str = "model"
    #: Display name column.
    name: str = "name"
    #: Class column (e.g. base/chat).
    model_class: str = "type"
    #: Parameter count column.
    parameters: str = "model_size"
    #: Compute column (training FLOP by default; see ``compute_kind``).
    flop: str = "FLOP"
    #: Model family column.
    family: str = "family"
    #: Multiplier turning the compute column into its unit (``1e21`` for "FLOPs (1E21)").
    flop_scale: float = 1.0
    #: Multiplier turning the parameters column into a parameter count (``1e9`` for "B").
    parameters_scale: float = 1.0
    #: Other non-score columns to skip (``""`` names an unnamed column).
    ignore: tuple[str, ...] = field(default=())
    #: Class given to every model when the file has no class column.
    default_class: str = DEFAULT_CLASS
    #: {"flop", "params", "tokens"}: What the compute column holds; outputs name it so. Values of
    #: zero or below are treated as unknown, with a notice.
    compute_kind: ComputeKind = "flop"
    #: Line of the file (1 = first) that holds the header; lines above it are skipped. None: the
    #: first non-blank line.
    header_row: int | None = None
    #: Non-blank rows right under the header to skip (e.g. units or descriptions).
    skip_rows: int = 0
    #: {"error", "first", "last", "mean", "max"}: What to do with a model id on several rows: refuse
    #: (naming them), keep the first or last row, or combine the rows' scores cell by cell (mean or
    #: max; metadata from the first row).
    duplicates: DuplicatePolicy = "error"
    #: {"error", "ignore"}: Columns whose cells are mostly text, not scores: refuse them (all named
    #: in one message) or skip them with one notice.
    text_columns: TextColumnPolicy = "error"
    #: Class for rows whose class cell is empty; None makes an empty cell an error.
    missing_class: str | None = None
    #: tuple of (str, str): Rewrites of class cells: the first pair whose text occurs in the cell
    #: (case- insensitive) gives the class (e.g. ``("pretrained", "base")``).
    class_values: tuple[tuple[str, str], ...] = field(default=())
    #: {"auto", "none"}: ``auto`` recognises the Open LLM Leaderboard's and HELM's exported tables
    #: by their columns (see :mod:`safetywashing.io.tables.layouts`); ``none`` reads every file as
    #: given.
    layout: Literal["auto", "none"] = "auto"
    #: max_file_mb, max_rows, max_columns: The largest scores table read (see
    #: :mod:`safetywashing.core.limits`).
    max_file_mb: float = MAX_TABLE_MB
    max_rows: int = MAX_ROWS
    max_columns: int = MAX_COLUMNS
    #: A second table of model facts (model id plus any of the metadata columns above), joined
    #: by model id (see :mod:`safetywashing.io.tables.facts`); None: the scores table only.
    models: str | None = None

    def __post_init__(self) -> None:
        choices: list[tuple[str, str, tuple[str, ...]]] = [
            ("compute_kind", "--compute-kind", get_args(ComputeKind)),
            ("duplicates", "--duplicates", get_args(DuplicatePolicy)),
            ("text_columns", "--text-columns", get_args(TextColumnPolicy)),
            ("layout", "layout", ("auto", "none")),
        ]
        for attribute, option, allowed in choices:
            value = getattr(self, attribute)
            if value not in allowed:
                raise InputError(f"{option} must be one of {', '.join(allowed)}; got '{value}'.")
        for attribute in ("flop_scale", "parameters_scale"):
            scale = getattr(self, attribute)
            if not (math.isfinite(scale) and 0 < scale <= MAX_MAGNITUDE):
                raise InputError(
                    f"{attribute}={scale:g} is not a positive finite scale",
                    param=attribute,
                    remedy=f"give a number above 0 and at most {MAX_MAGNITUDE:.0e} "
                    f"(e.g. {attribute}=1e21 for a column in units of 1E21)",
                )
        defaults = {"max_file_mb": MAX_TABLE_MB, "max_rows": MAX_ROWS, "max_columns": MAX_COLUMNS}
        for attribute, default in defaults.items():
            limit = getattr(self, attribute)
            if not (math.isfinite(limit) and limit > 0):
                raise InputError(
                    f"{attribute}={limit} is not a positive limit",
                    param=attribute,
                    remedy=f"give a positive number or leave it at {default:g}",
                )
        if self.skip_rows < 0:
            raise InputError(f"--skip-rows must be 0 or more; got {self.skip_rows}.")
        if self.header_row is not None and self.header_row < 1:
            raise InputError(
                f"--header-row counts lines from 1 (the first line); got {self.header_row}."
            )
        if self.missing_class is not None and not self.missing_class.strip():
            raise InputError("--missing-class needs a class name, e.g. --missing-class chat.")

    def metadata_columns(self) -> dict[str, str]:
        """Map of role -> column name for the metadata columns."""
        return {role: getattr(self, role) for role in METADATA_ROLES}

    def with_defaults_from(self, other: ColumnMap) -> ColumnMap:
        """This map with every field still at its default taken from ``other``.

        A recognised layout supplies column names; what the user set wins. Columns to
        ignore are the union of both, and a metadata column of ``other`` that the user
        replaced (e.g. another model-id column) is ignored too.
        """
        changes = {
            item.name: getattr(other, item.name)
            for item in fields(self)
            if getattr(self, item.name) == getattr(DEFAULT_COLUMNS, item.name)
        }
        merged = replace(self, **changes)
        roles = [*merged.metadata_columns().values(), *merged.model.split(",")]
        replaced = [
            name
            for name in [other.model, *other.metadata_columns().values()]
            if name not in roles and name not in DEFAULT_COLUMNS.metadata_columns().values()
        ]
        ignore = tuple(dict.fromkeys([*self.ignore, *other.ignore, *replaced]))
        return replace(merged, ignore=tuple(name for name in ignore if name not in roles))


DEFAULT_COLUMNS = ColumnMap()
