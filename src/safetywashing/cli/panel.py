"""``safetywashing panel build``: store a reference panel for later checks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safetywashing.cli.command import command, inputs_of, load_and_audit
from safetywashing.cli.options import (
    AuditOptions,
    ColumnOptions,
    ForceOption,
)
from safetywashing.cli.progress import status

panel_app = typer.Typer(
    name="panel", help="Reference panels to check new benchmarks against.", no_args_is_help=True
)


@panel_app.command("build")
@command(columns=ColumnOptions, settings=AuditOptions)
def build_command(
    columns: ColumnOptions,
    settings: AuditOptions,
    scores: Annotated[Path, typer.Argument(help="Scores table of the panel's models.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Panel JSON file to write.")],
    label: Annotated[
        str | None, typer.Option("--label", help="Name of the panel in reports.")
    ] = None,
    force: ForceOption = False,
) -> None:
    """Audit SCORES and store the panel (capability benchmarks, loadings, scores) as JSON."""
    from safetywashing.io.writers import check_apart, check_writable, write_atomic
    from safetywashing.panels import build_panel

    check_apart(inputs_of([scores], columns), files=[("-o", output)])
    check_writable([output], force=force)
    result = load_and_audit([scores], columns, settings)
    panel = build_panel(result, label=label)
    write_atomic(output, panel.to_json(), force=force)
    summary = ", ".join(f"{c.model_class}: {len(c.models)} models" for c in panel.classes)
    status(f"wrote panel '{panel.label}' ({summary}) to {output}")


def register(app: typer.Typer) -> None:
    """Add the ``panel`` command group to the application."""
    app.add_typer(panel_app, name="panel")
