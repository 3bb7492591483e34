"""The ``safetywashing`` command: registers the subcommands and handles user errors."""

from __future__ import annotations

import sys
import warnings

import typer

from safetywashing.errors import InputError, InputNotice, InputWarning

app = typer.Typer(
    name="safetywashing",
    help="Does a safety benchmark measure safety, or mostly general capabilities?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Does a safety benchmark measure safety, or mostly general capabilities?"""


def _register() -> None:
    # Idempotent: ``main`` may run many times in one process (tests, notebooks).
    if app.registered_commands:
        return
    from safetywashing.cli import audit as audit_command
    from safetywashing.cli import check as check_command
    from safetywashing.cli import datasets as datasets_command
    from safetywashing.cli import ingest as ingest_command
    from safetywashing.cli import panel as panel_command
    from safetywashing.cli import plot as plot_command
    from safetywashing.cli import power as power_command
    from safetywashing.cli import report as report_command

    audit_command.register(app)
    ingest_command.register(app)
    panel_command.register(app)
    check_command.register(app)
    datasets_command.register(app)
    power_command.register(app)
    plot_command.register(app)
    report_command.register(app)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: str | None = None,
) -> None:
    # Warnings about the user's data are part of the output, one line each, on stderr.
    if issubclass(category, InputNotice):
        print(f"note: {message}", file=sys.stderr)
    elif issubclass(category, InputWarning):
        print(f"warning: {message}", file=sys.stderr)
    else:
        print(f"{category.__name__}: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status.

    User mistakes (:class:`~safetywashing.errors.InputError`) print one line on stderr and
    exit with status 2; anything else is a bug and keeps its traceback.
    """
    _register()
    warnings.showwarning = _show_warning
    try:
        # Standalone mode: the CLI framework reports usage errors itself (exit 2) and
        # always ends with SystemExit; our own user errors arrive as InputError.
        app(args=argv, prog_name="safetywashing")
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except SystemExit as done:
        if done.code is None:
            return 0
        return done.code if isinstance(done.code, int) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
