"""What the commands print on stdout: one ``--format`` vocabulary, the terminal's tables.

- :class:`OutputOptions`: ``--format``, the same choices for every command that prints;
- :class:`TableOptions`: the filters of the terminal table (``audit --top``, ``--area``);
- :func:`output_console`: a rich console that fits a terminal, or ``$COLUMNS`` when piped.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from enum import StrEnum
from typing import IO, TYPE_CHECKING, Annotated, cast

import typer

from safetywashing.core.errors import InputError

if TYPE_CHECKING:
    from rich.console import Console

    from safetywashing.report.reading import TableView


class OutputFormat(StrEnum):
    """What a command prints on stdout (one vocabulary for every command)."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    latex = "latex"


@dataclass(frozen=True)
class OutputOptions:
    """What to print on stdout."""

    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="What to print on stdout.")
    ] = OutputFormat.table

    def require(self, allowed: tuple[OutputFormat, ...], command: str) -> None:
        """Refuse a format this command cannot print."""
        if self.output_format not in allowed:
            raise InputError(
                f"`{command}` cannot print --format {self.output_format.value}; choose one of "
                f"{', '.join(f.value for f in allowed)}."
            )


@dataclass(frozen=True)
class TableOptions:
    """Filters of the terminal table (``audit --format table``)."""

    top: Annotated[
        int | None,
        typer.Option(
            "--top",
            min=1,
            help="In the table, only the N safety benchmarks with the largest absolute "
            "capabilities correlation.",
        ),
    ] = None
    areas: Annotated[
        list[str] | None,
        typer.Option("--area", help="In the table, only this area (repeatable)."),
    ] = None

    def view(self, output_format: OutputFormat) -> TableView:
        """The table filters these options ask for (an error for another format)."""
        from safetywashing.report.reading import TableView

        if (self.top is not None or self.areas) and output_format is not OutputFormat.table:
            raise InputError(
                f"--top and --area filter the table; they do not apply to --format "
                f"{output_format.value} (drop them, or print the table)."
            )
        return TableView(top=self.top, areas=tuple(self.areas or ()))


class TrimmedLines:
    """A text stream that drops the spaces a line ends in before passing it on.

    rich pads a table's title and wrapped paragraphs to the console's width; in a
    terminal that is invisible, but in a file or a pipe every such line ends in spaces.
    A partial line is held until its newline (or a flush).
    """

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.pending = ""

    def write(self, text: str) -> int:
        *lines, self.pending = (self.pending + text).split("\n")
        if lines:
            self.stream.write("".join(line.rstrip(" ") + "\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.stream.write(self.pending)
            self.pending = ""
        self.stream.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self.stream, "encoding", None) or "utf-8"


def output_console(stderr: bool = False) -> Console:
    """A rich console: the terminal's width, or ``$COLUMNS`` (else 110) when piped, where
    lines lose their trailing spaces."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr)
    try:
        width = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        width = 0
    trimmed = cast("IO[str]", TrimmedLines(stream))
    return Console(file=trimmed, width=width if width >= 40 else 110)
