"""Running a command: the option-group decorator, loading tables, flags for errors.

:func:`command` gives a command the flags of option groups (see
:mod:`safetywashing.cli.options`) and hands it one object per group; :func:`load_table`
and :func:`load_and_audit` are the one path from files to an audit for every command;
:data:`PARAMETER_FLAGS` lets library errors name the command line's flags.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, get_type_hints

from safetywashing.cli.options import (
    AuditOptions,
    ColumnOptions,
    UncertaintyOptions,
)
from safetywashing.core.table import ScoreTable
from safetywashing.io.tables.readers import ColumnMap

if TYPE_CHECKING:
    from safetywashing.audit.result import AuditResult


#: Python parameter -> command-line flag, for library errors shown on the command line.
PARAMETER_FLAGS: dict[str, str] = {
    "capabilities": "--capabilities",
    "preset": "--preset",
    "model_class": "--class",
    "pool_classes": "--pool",
    "method": "--method",
    "matrix": "--matrix",
    "impute": "--impute",
    "impute_rank": "--impute-rank",
    "min_observed": "--min-observed",
    "standardize": "--standardize",
    "threshold": "--threshold",
    "n_resamples": "--bootstrap",
    "confidence": "--confidence",
    "seed": "--seed",
    "interval": "--interval",
    "permutations": "--permutations",
    "cluster": "--cluster",
    "adjustment": "--adjust",
    "alpha": "--alpha",
    "scheduler": "--scheduler",
    "workers": "--workers",
    "family_column": "--family-column",
    "rho": "--rho",
    "models": "--models",
    "panels": "--panels",
    "n_capability": "--capability-benchmarks",
    "engine": "--bootstrap",
    "band": "--band",
    "aim": "--aim",
    "floor": "--floor",
    "fdr": "--fdr",
    "n_repeats": "--repeats",
    "reliability": "--reliability",
    "flop_scale": "--flop-scale",
    "parameters_scale": "--params-scale",
    "max_file_mb": "--max-file-size",
    "max_rows": "--max-rows",
    "max_columns": "--max-columns",
}

F = TypeVar("F", bound=Callable[..., Any])


def command(**groups: type) -> Callable[[F], F]:
    """Give a command the flags of option groups, and the groups as objects.

    Each keyword names a parameter of the decorated function and the group class it
    receives; the group's fields become keyword-only parameters of the command (after
    the command's own), so typer shows them as flags.

    Examples
    --------
    >>> from safetywashing.cli.options import ColumnOptions
    >>> @command(columns=ColumnOptions)
    ... def show(path: str, columns: ColumnOptions) -> str:
    ...     return columns.model_column
    >>> "model_column" in inspect.signature(show).parameters
    True
    >>> show(path="x", **{f.name: f.default for f in dataclasses.fields(ColumnOptions)})
    'model'
    """

    def decorate(func: F) -> F:
        own_hints = get_type_hints(func, include_extras=True)
        signature = inspect.signature(func)
        parameters = [
            parameter.replace(annotation=own_hints.get(parameter.name, parameter.annotation))
            for name, parameter in signature.parameters.items()
            if name not in groups
        ]
        members: dict[str, list[str]] = {}
        for argument, group in groups.items():
            hints = get_type_hints(group, include_extras=True)
            members[argument] = []
            for item in dataclasses.fields(group):
                members[argument].append(item.name)
                parameters.append(
                    inspect.Parameter(
                        item.name,
                        inspect.Parameter.KEYWORD_ONLY,
                        default=item.default,
                        annotation=hints[item.name],
                    )
                )

        @functools.wraps(func)
        def wrapper(**kwargs: Any) -> Any:
            for argument, group in groups.items():
                kwargs[argument] = group(**{name: kwargs.pop(name) for name in members[argument]})
            return func(**kwargs)

        wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=parameters, return_annotation=signature.return_annotation
        )
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        return wrapper  # type: ignore[return-value]

    return decorate


def read_input(path: Path, columns: ColumnMap) -> ScoreTable:
    """A scores table, or a folder/file of evaluation-framework results (format detected)."""
    from safetywashing.io.frameworks import looks_like_results, read_results
    from safetywashing.io.tables.readers import read_scores

    if looks_like_results(path):
        return read_results(path)
    return read_scores(path, columns=columns)


def load_table(scores: list[Path] | None, columns: ColumnOptions) -> ScoreTable:
    """The table a command works on: the given files stacked, or the bundled demo panel.

    Parameters
    ----------
    scores : list of Path or None
        Scores files or results folders; none means the bundled synthetic demo panel.
    columns : ColumnOptions
        Column names of the scores files, and the benchmark metadata to apply.
    """
    if not scores:
        from safetywashing.datasets import load_demo_panel

        table = load_demo_panel()
    else:
        column_map = columns.column_map()
        table = ScoreTable.concat([read_input(path, column_map) for path in scores])
    if columns.benchmarks is not None:
        from safetywashing.io.tables.readers import apply_benchmark_metadata, read_benchmark_info

        table = apply_benchmark_metadata(table, read_benchmark_info(columns.benchmarks))
    return table


def load_and_audit(
    scores: list[Path] | None,
    columns: ColumnOptions,
    settings: AuditOptions,
    uncertainty: UncertaintyOptions | None = None,
) -> AuditResult:
    """Read the scores (or the bundled demo panel), audit them, add the bootstrap if asked."""
    if uncertainty is not None:
        uncertainty.check()  # before the (possibly long) audit
    result = settings.audit(load_table(scores, columns))
    if uncertainty is None:
        return result
    from safetywashing.cli.progress import terminal_progress

    return uncertainty.apply(result, progress=terminal_progress())
