"""The ``safetywashing`` command: registers the subcommands and handles user errors."""

from __future__ import annotations

import sys
import warnings

import typer

from safetywashing.errors import InputError, InputWarning

app = typer.Typer(
    name="safetywashing",
    help="Does a safety benchmark measure safety, or mostly general capabilities?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    from safetywashing.cli import audit as audit_command
    from safetywashing.cli import ingest as ingest_command

    audit_command.register(app)
    ingest_command.register(app)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: str | None = None,
) -> None:
    # Warnings about the user's data are part of the output, one line each, on stderr.
    if issubclass(category, InputWarning):
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
        app(args=argv, standalone_mode=False)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except typer.Exit as done:
        return int(done.exit_code)
    except typer.Abort:
        print("Aborted.", file=sys.stderr)
        return 1
    except SystemExit as done:
        return int(done.code or 0) if not isinstance(done.code, str) else 1
    except Exception as error:
        import click

        if isinstance(error, click.exceptions.ClickException):
            error.show()
            return error.exit_code
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
