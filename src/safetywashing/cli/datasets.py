"""``safetywashing datasets fetch``: download and cache public reference data."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from safetywashing.cli.options import RefetchOption
from safetywashing.cli.progress import status

datasets_app = typer.Typer(
    name="datasets", help="Public reference data, cached for offline use.", no_args_is_help=True
)


class DatasetName(StrEnum):
    """Data sets that can be fetched."""

    paper = "paper"


@datasets_app.command("fetch")
def fetch_command(
    dataset: Annotated[DatasetName, typer.Argument(help="Which data set: paper.")],
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Folder URL to download from (default: $SAFETYWASHING_BASE_URL or the "
            "authors' repository at the pinned commit).",
        ),
    ] = None,
    force: RefetchOption = False,
) -> None:
    """Download the paper's released CSVs, verify their SHA-256 and cache them."""
    from safetywashing.io.fetch import fetch_paper

    result = fetch_paper(base_url=base_url, force=force)
    for name in result.downloaded:
        status(f"downloaded and verified {name}")
    for name in result.cached:
        status(f"already cached {name}")
    print(f"{result.folder}")


def register(app: typer.Typer) -> None:
    """Add the ``datasets`` command group to the application."""
    app.add_typer(datasets_app, name="datasets")
