"""The ``safetywashing`` command: registers the subcommands and handles user errors."""

from __future__ import annotations

import sys
import warnings
from typing import Annotated

import typer

from safetywashing.cli.notices import WARNINGS
from safetywashing.core.errors import InputError

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


def parameter_flags() -> dict[str, str]:
    """Python parameter -> command-line flag, read from the commands' declared options.

    Library errors name their parameters (``n_resamples=0``); the command line says the
    same sentence with the flag that carries each one (``--bootstrap 0``). An option's
    parameter has the library's name wherever it feeds one, so the map is every option
    of every command, each named by its first long flag.
    """
    import click

    flags: dict[str, str] = {}
    commands: list[click.Command] = [typer.main.get_command(app)]
    while commands:
        command = commands.pop()
        if isinstance(command, click.Group):
            commands.extend(command.commands.values())
        for param in command.params:
            long = [flag for flag in param.opts if flag.startswith("--")]
            if isinstance(param, click.Option) and param.name and long:
                flags.setdefault(param.name, long[0])
    return flags


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status.

    User mistakes (:class:`~safetywashing.core.errors.InputError`) print one line on stderr and
    exit with status 2; anything else is a bug and keeps its traceback. Warnings are
    printed by :data:`~safetywashing.cli.notices.WARNINGS` while the command runs; the
    previous ``warnings.showwarning`` is back when this returns.
    """
    _register()
    WARNINGS.verbose = False
    previous = warnings.showwarning
    warnings.showwarning = WARNINGS.show
    try:
        # Standalone mode: the CLI framework reports usage errors itself (exit 2) and
        # always ends with SystemExit; our own user errors arrive as InputError.
        app(args=argv, prog_name="safetywashing")
    except InputError as error:
        WARNINGS.flush()
        from safetywashing.report.text import escaped

        print(f"error: {escaped(error.for_command_line(parameter_flags()))}", file=sys.stderr)
        return 2
    except SystemExit as done:
        WARNINGS.flush()
        if done.code is None:
            return 0
        return done.code if isinstance(done.code, int) else 1
    finally:
        warnings.showwarning = previous
    WARNINGS.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
