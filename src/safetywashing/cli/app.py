"""The ``safetywashing`` command: registers the subcommands and handles user errors."""

from __future__ import annotations

import re
import sys
import warnings
from typing import Annotated

import typer

from safetywashing.core.errors import InputError, InputNotice, InputWarning, name_list, printable

app = typer.Typer(
    name="safetywashing",
    help="Does a safety benchmark measure safety, or mostly general capabilities?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="No progress or status lines on stderr (errors still show)."
        ),
    ] = False,
) -> None:
    """Does a safety benchmark measure safety, or mostly general capabilities?"""
    from safetywashing.cli.progress import set_quiet

    set_quiet(quiet)


def _register() -> None:
    # Idempotent: ``main`` may run many times in one process (tests, notebooks).
    if app.registered_commands:
        return
    from safetywashing.cli import audit as audit_command
    from safetywashing.cli import check as check_command
    from safetywashing.cli import datasets as datasets_command
    from safetywashing.cli import ingest as ingest_command
    from safetywashing.cli import items as items_command
    from safetywashing.cli import panel as panel_command
    from safetywashing.cli import plot as plot_command
    from safetywashing.cli import power as power_command
    from safetywashing.cli import report as report_command

    audit_command.register(app)
    ingest_command.register(app)
    panel_command.register(app)
    check_command.register(app)
    items_command.register(app)
    datasets_command.register(app)
    power_command.register(app)
    plot_command.register(app)
    report_command.register(app)


_PER_MODEL = re.compile(r"Model '(?P<model>.+?)' \((?P<cls>[^)]*)\) (?P<rest>.*)", re.S)
_KINDS = (
    ("is left out of the capability score", "are left out of the capability score"),
    ("imputed capability value", "have imputed capability values"),
)
_SHOWN = 3


class _Warnings:
    """Warnings about the user's data, one line each, on stderr.

    Warnings that name one model each (a model left out of the capability score, a
    model with imputed values) are held back and printed as one line per kind and
    class, with a count and the first names, when the command ends (all of them with
    ``--verbose``; all are in the JSON output's ``warnings`` anyway).
    """

    def __init__(self) -> None:
        self.verbose = False
        self.held: dict[tuple[str, str], list[tuple[str, str]]] = {}

    def show(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: object = None,
        line: str | None = None,
    ) -> None:
        text = printable(str(message))
        if issubclass(category, InputNotice):
            if not self.verbose:  # --verbose: the command prints the notes in full
                print(f"note: {text}", file=sys.stderr)
        elif issubclass(category, InputWarning):
            match = _PER_MODEL.fullmatch(text)
            kind = next((k for k, _ in _KINDS if match and k in match["rest"]), None)
            if match is None or kind is None or self.verbose:
                print(f"warning: {text}", file=sys.stderr)
                return
            self.held.setdefault((kind, match["cls"]), []).append((match["model"], text))
        else:
            print(f"{category.__name__}: {text}", file=sys.stderr)

    def flush(self) -> None:
        """Print the held warnings: one line per kind and class (or each, if only one)."""
        plural = dict(_KINDS)
        for (kind, model_class), items in self.held.items():
            if len(items) == 1 or self.verbose:
                for _, text in items:
                    print(f"warning: {text}", file=sys.stderr)
                continue
            names = name_list([model for model, _ in items], limit=_SHOWN)
            print(
                f"warning: {len(items)} {model_class} models {plural[kind]}: {names} "
                "(each with its reason in the JSON output's warnings; --verbose prints them).",
                file=sys.stderr,
            )
        self.held.clear()


WARNINGS = _Warnings()


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status.

    User mistakes (:class:`~safetywashing.core.errors.InputError`) print one line on stderr and
    exit with status 2; anything else is a bug and keeps its traceback.
    """
    _register()
    WARNINGS.verbose = False
    warnings.showwarning = WARNINGS.show
    try:
        # Standalone mode: the CLI framework reports usage errors itself (exit 2) and
        # always ends with SystemExit; our own user errors arrive as InputError.
        app(args=argv, prog_name="safetywashing")
    except InputError as error:
        WARNINGS.flush()
        from safetywashing.cli.command import PARAMETER_FLAGS

        print(f"error: {printable(error.for_command_line(PARAMETER_FLAGS))}", file=sys.stderr)
        return 2
    except SystemExit as done:
        WARNINGS.flush()
        if done.code is None:
            return 0
        return done.code if isinstance(done.code, int) else 1
    WARNINGS.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
