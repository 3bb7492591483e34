"""``safetywashing ingest --items``: per-item framework results into an item table."""

from __future__ import annotations

from pathlib import Path

from safetywashing.core.errors import InputError

_MAX_NOTES = 20


def ingest_item_results(
    paths: list[Path],
    output: Path,
    *,
    format: str,
    item_id: str,
    metric: str | None,
    force: bool,
    verbose: bool,
) -> None:
    """Read per-item results under ``paths`` and write the item table to ``output``."""
    from rich.console import Console

    from safetywashing.io.frameworks.items import ingest_items
    from safetywashing.items.table import write_item_table

    if item_id not in ("id", "hash"):
        raise InputError(f"--item-id {item_id} is unknown; use id or hash.")
    found = ingest_items(
        paths,
        format=format,
        item_id="hash" if item_id == "hash" else "id",
        metric=metric,
    )
    err = Console(stderr=True, soft_wrap=True, highlight=False)
    out = Console(soft_wrap=True, highlight=False)
    if found.skipped:
        err.print(f"Skipped {len(found.skipped)} file(s):", style="yellow")
        for item in found.skipped:
            err.print(f"  {item}", markup=False)
    shown = found.notes if verbose else found.notes[:_MAX_NOTES]
    if shown:
        err.print("Notes:", style="cyan")
        for note in shown:
            err.print(f"  {note}", markup=False)
        if len(found.notes) > len(shown):
            err.print(
                f"  ... and {len(found.notes) - len(shown)} more notes (show them with --verbose).",
                markup=False,
            )
    if not found.rows:
        where = ", ".join(str(p) for p in paths)
        raise InputError(
            f"No per-item results could be read from {where}; lm-eval needs --log_samples "
            "(samples_*.jsonl), Inspect logs need their samples, HELM runs need "
            "per_instance_stats.json."
        )
    frame = found.to_frame()
    written = write_item_table(frame, output, force=force)
    models = frame["model"].nunique()
    benchmarks = frame["benchmark"].nunique()
    out.print(
        f"Read {len(frame)} item results: {models} models x {benchmarks} benchmarks "
        f"({frame['item'].nunique()} items).",
        markup=False,
    )
    out.print(
        f"Wrote {output} ({len(written)} file{'s' if len(written) != 1 else ''}).", markup=False
    )
