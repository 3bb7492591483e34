"""``safetywashing items``: which items of a benchmark carry its capabilities correlation."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from safetywashing.cli.options import ForceOption
from safetywashing.cli.output import OutputFormat, OutputOptions, output_console
from safetywashing.cli.progress import status, terminal_progress
from safetywashing.core.errors import InputError

if TYPE_CHECKING:
    from safetywashing.items.table import ItemMatrix


def items_command(
    items: Annotated[
        Path,
        typer.Argument(
            help="Item table: CSV/TSV/Parquet with model, benchmark, item, score (and item "
            "metadata), a folder written by `ingest --items`, or a folder of per-item "
            "framework results (read as `ingest --items` would).",
            show_default=False,
        ),
    ],
    panel: Annotated[
        str,
        typer.Option(
            "--panel",
            help="Panel JSON from `panel build` or a shipped panel (paper-chat, paper-base, "
            "obsscaling-base, obsscaling-instruct): where the capability scores come from.",
        ),
    ],
    benchmark: Annotated[
        str | None,
        typer.Option("--benchmark", help="The benchmark of the item table, if it holds several."),
    ] = None,
    model_class: Annotated[
        str | None, typer.Option("--class", help="Panel class (default: best match).")
    ] = None,
    aliases: Annotated[
        Path | None,
        typer.Option("--aliases", help="Alias file: name as in ITEMS, panel model id."),
    ] = None,
    category: Annotated[
        str | None,
        typer.Option(
            "--category",
            help="Item metadata column to group by (default: category, subject, ... if present).",
        ),
    ] = None,
    n_resamples: Annotated[
        int,
        typer.Option(
            "--bootstrap", min=0, help="Resamples of models for item intervals (0: none)."
        ),
    ] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap and the splits.")] = 0,
    fdr: Annotated[
        float, typer.Option("--fdr", help="False discovery rate of the item flags.")
    ] = 0.05,
    subset: Annotated[
        bool,
        typer.Option("--subset/--no-subset", help="Select a de-entangled subset of items."),
    ] = True,
    band: Annotated[
        float,
        typer.Option(
            "--band",
            help="The subset score's |r| must stay below this (the paper's line for low is 0.40).",
        ),
    ] = 0.40,
    aim: Annotated[
        float | None,
        typer.Option(
            "--aim",
            help="In-sample |r| the selection stops below (default: half of "
            "--band, leaving room for new models).",
        ),
    ] = None,
    floor: Annotated[
        float, typer.Option("--floor", help="Least internal reliability of the subset.")
    ] = 0.70,
    reliability: Annotated[
        str, typer.Option("--reliability", help="alpha (Cronbach) or split-half.")
    ] = "alpha",
    n_repeats: Annotated[
        int,
        typer.Option("--repeats", min=1, help="Random halvings of the models for cross-fitting."),
    ] = 5,
    top: Annotated[int, typer.Option("--top", min=1, help="Items shown in the table.")] = 15,
    figure: Annotated[
        Path | None, typer.Option("--figure", help="Draw the ranked items here (.png/.svg/.pdf).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for items.csv, categories.csv, items.json and the subset's id list.",
        ),
    ] = None,
    lm_eval_task: Annotated[
        str | None,
        typer.Option(
            "--lm-eval-task",
            help="With --out: also write an lm-eval task running "
            "only the subset (TASK_subset.yaml and its filter).",
        ),
    ] = None,
    force: ForceOption = False,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="table or json on stdout.")
    ] = OutputFormat.table,
) -> None:
    """Rank a benchmark's items by capabilities correlation; select a subset that is not."""
    from safetywashing.io.tables.names import read_aliases
    from safetywashing.io.writers import check_writable, write_files
    from safetywashing.items.analysis import (
        analyse_items,
        capability_for,
        check_settings,
        select_items,
    )
    from safetywashing.panels import resolve_panel
    from safetywashing.report import items as render

    OutputOptions(output_format).require((OutputFormat.table, OutputFormat.json), "items")
    if reliability not in ("alpha", "split-half"):
        raise InputError(f"--reliability {reliability} is unknown; use alpha or split-half.")
    check_settings(n_resamples=n_resamples, seed=seed, n_repeats=n_repeats)
    if lm_eval_task is not None and out is None:
        raise InputError("--lm-eval-task writes into the --out folder; add --out DIR.")
    if lm_eval_task is not None and not subset:
        raise InputError("--lm-eval-task exports the subset; drop --no-subset.")
    from safetywashing.io.writers import check_apart

    check_apart(  # an output is never an input
        [("the item table", items), ("the panel file", Path(panel)), ("the aliases file", aliases)],
        files=[("--figure", figure)],
        folders=[("--out", out)],
    )
    if figure is not None:
        from safetywashing.report.figures import figure_format

        figure_format(figure)
        check_writable([figure], force=force)
    if out is not None:
        names = ["items.csv", "categories.csv", "items.json"]
        if subset:
            names.append("subset_ids.txt")
        if lm_eval_task is not None:
            names += [f"{lm_eval_task}_subset.yaml", f"{lm_eval_task}_subset.py"]
        check_writable([out / name for name in names], force=force)  # before the work
    reference = resolve_panel(panel)
    status(f"reading {items}...")
    matrix = _read(items, benchmark, category)
    scores, unmatched, used_class = capability_for(
        matrix,
        reference,
        model_class=model_class,
        aliases=read_aliases(aliases) if aliases is not None else None,
    )
    result = analyse_items(
        matrix.values,
        scores,
        item_ids=matrix.item_ids,
        model_ids=matrix.model_ids,
        categories=matrix.categories,
        benchmark=matrix.benchmark,
        n_resamples=n_resamples,
        seed=seed,
        fdr=fdr,
        progress=terminal_progress(),
        coverage=matrix.coverage(),
        unmatched=unmatched,
        panel=panel,
        model_class=used_class,
    )
    chosen = (
        select_items(
            matrix.values,
            scores,
            item_ids=matrix.item_ids,
            benchmark=matrix.benchmark,
            band=band,
            aim=aim,
            floor=floor,
            reliability="alpha" if reliability == "alpha" else "split-half",
            n_repeats=n_repeats,
            seed=seed,
        )
        if subset
        else None
    )
    if out is not None:
        files: dict[str, str | bytes] = {
            "items.csv": result.to_frame().to_csv(index=False),
            "categories.csv": result.by_category().to_csv(index=False),
            "items.json": render.items_json(result, chosen),
        }
        if chosen is not None:
            files["subset_ids.json"] = render.inspect_sample_ids_json(chosen)
            if all(render.recipe_safe(item) for item in chosen.kept):
                files["subset_ids.txt"] = render.inspect_sample_ids(chosen)
            else:
                print(
                    "note: some kept ids hold a comma or a line break, which --sample-id "
                    "would split, so subset_ids.txt is not written; subset_ids.json lists "
                    "them exactly (Inspect's Python API takes it as sample_id=).",
                    file=sys.stderr,
                )
            if lm_eval_task is not None:
                files.update(render.lm_eval_subset_files(chosen, lm_eval_task))
        written = write_files(out, files, force=force)
        status(f"wrote {len(written)} files to {out}")
    if figure is not None:
        from safetywashing.report.figures import save_figure

        save_figure(render.items_figure(result, chosen), figure, force=force)
        status(f"wrote {figure}")
    if output_format is OutputFormat.json:
        sys.stdout.write(render.items_json(result, chosen))
    else:
        render.print_items(result, output_console(), subset=chosen, top=top)


def _read(path: Path, benchmark: str | None, category: str | None) -> ItemMatrix:
    """An item table, or a folder or file of per-item framework results read on the fly."""
    from safetywashing.io.frameworks.items import ingest_items
    from safetywashing.items.table import item_matrix, read_item_matrix

    is_table = path.suffix.lower() in {".csv", ".tsv", ".parquet", ".pq"} or (
        path.is_dir() and any(path.glob("benchmark=*"))
    )
    if is_table or not path.exists():
        return read_item_matrix(path, benchmark, category=category)
    found = ingest_items([path])
    for note in found.notes:
        status(f"note: {note}")
    for skipped in found.skipped:
        status(f"skipped: {skipped}")
    if not found.rows:
        raise InputError(
            f"{path} holds no item table and no per-item results of lm-eval, Inspect or HELM; "
            "give an item table or the results folder"
        )
    return item_matrix(found.to_frame(), benchmark, category=category, source=str(path))


def register(app: typer.Typer) -> None:
    """Add the ``items`` command to the application."""
    app.command("items")(items_command)
