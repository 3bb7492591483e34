"""Running a command: the option-group decorator, loading tables, auditing them.

:func:`command` gives a command the flags of option groups (see
:mod:`safetywashing.cli.options`) and hands it one object per group; :func:`load_table`
and :func:`load_and_audit` are the one path from files to an audit for every command.

Typer reads a command's options from its signature and has no groups of options, so
:func:`command` writes the groups' fields into the signature it shows typer (and
gathers them back into one object per group for the command). Declaring every flag in
every command's own signature would repeat the 40 audit, column and uncertainty options
four times over.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, get_type_hints

from safetywashing.cli.options import AuditOptions, ColumnOptions, UncertaintyOptions
from safetywashing.core.table import ScoreTable
from safetywashing.io.tables.readers import ColumnMap

if TYPE_CHECKING:
    from safetywashing.audit.result import AuditResult


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
    """Read the scores (or the bundled demo panel), audit them, add the bootstrap if asked.

    The settings are checked before the files are read: the audit's configuration, and
    the uncertainty settings with the configuration's decision rule.
    """
    from safetywashing.audit.compute import audit

    config = settings.config()
    resampling = uncertainty.resampling(config.rule) if uncertainty is not None else None
    result = audit(load_table(scores, columns), config)
    if resampling is None:
        return result
    from safetywashing.cli.progress import terminal_progress
    from safetywashing.uncertainty.compute import bootstrap_with

    found = bootstrap_with(
        result, resampling.settings, resampling.scheduler, progress=terminal_progress()
    )
    return found.apply()


def inputs_of(scores: list[Path] | None, columns: ColumnOptions) -> list[tuple[str, Path]]:
    """The files a command reads, each with what it is (for ``io.writers.check_apart``)."""
    found = [("the scores file", Path(path)) for path in scores or []]
    if columns.benchmarks is not None:
        found.append(("the benchmark metadata file", Path(columns.benchmarks)))
    if columns.models is not None:
        found.append(("the model facts file", Path(columns.models)))
    return found
