"""Audit options shared by the commands that run an audit before presenting it
(``plot``, ``report``): the same names and meanings as ``safetywashing audit``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from safetywashing.cli.audit import Matrix, Method
from safetywashing.cli.options import (
    ComputeKind,
    Duplicates,
    TextColumns,
    column_map,
    load_table,
)
from safetywashing.errors import InputError

if TYPE_CHECKING:
    from safetywashing.audit import AuditResult
    from safetywashing.table import ScoreTable

CapabilitiesOption = Annotated[
    str | None,
    typer.Option(
        "--capabilities",
        help="Comma-separated capability benchmarks (instead of roles in the metadata).",
    ),
]
PresetOption = Annotated[
    str | None,
    typer.Option("--preset", help="Named preset: 'paper' = the paper's 12 benchmarks and areas."),
]
ClassOption = Annotated[
    str | None, typer.Option("--class", help="Analyse only this model class (e.g. chat).")
]
PoolOption = Annotated[
    bool, typer.Option("--pool", help="Analyse all classes together (default: separately).")
]
MethodOption = Annotated[Method, typer.Option("--method", help="Correlation method.")]
MatrixOption = Annotated[
    Matrix, typer.Option("--matrix", help="Matrix for the capability component.")
]
ForceOption = Annotated[bool, typer.Option("--force", help="Overwrite an existing output file.")]


def load_and_audit(
    scores: list[Path] | None,
    benchmarks: Path | None,
    *,
    capabilities: str | None,
    preset: str | None,
    model_class: str | None,
    pool: bool,
    method: Method,
    matrix: Matrix,
    model_column: str,
    name_column: str,
    class_column: str,
    params_column: str,
    flop_column: str,
    family_column: str,
    flop_scale: float,
    params_scale: float,
    ignore_columns: list[str] | None,
    default_class: str,
    skip_rows: int = 0,
    header_row: int | None = None,
    duplicates: Duplicates = Duplicates.error,
    text_columns: TextColumns = TextColumns.error,
    missing_class: str | None = None,
    compute_column: str | None = None,
    compute_kind: ComputeKind = ComputeKind.flop,
    impute: Literal["pca", "none"] = "pca",
    impute_rank: int = 1,
    min_observed: int | None = None,
) -> tuple[ScoreTable, AuditResult]:
    """Read the scores (or the bundled demo panel), apply metadata, run the audit.

    Returns the table as read (before the preset), which figures of raw columns need,
    and the audit result.
    """
    from safetywashing.audit import audit
    from safetywashing.io.readers import split_names

    if preset is not None and capabilities is not None:
        raise InputError(
            "--preset and --capabilities both choose the capability benchmarks; give one."
        )
    columns = column_map(
        model_column=model_column,
        name_column=name_column,
        class_column=class_column,
        params_column=params_column,
        flop_column=flop_column,
        family_column=family_column,
        flop_scale=flop_scale,
        params_scale=params_scale,
        ignore_columns=ignore_columns,
        default_class=default_class,
        skip_rows=skip_rows,
        header_row=header_row,
        duplicates=duplicates,
        text_columns=text_columns,
        missing_class=missing_class,
        compute_column=compute_column,
        compute_kind=compute_kind,
    )
    table = load_table(scores, benchmarks, columns)
    result = audit(
        table,
        capabilities=split_names(capabilities) if capabilities is not None else None,
        preset=preset,
        method=method.value,
        matrix=matrix.value,
        model_class=model_class,
        pool_classes=pool,
        impute=impute,
        impute_rank=impute_rank,
        min_observed=min_observed,
    )
    return table, result
