"""The item analysis for people and for evaluation frameworks.

Tables for the terminal, the JSON document, a figure (items ranked by capabilities
correlation, and each item's correlation against its difficulty), and the subset as
files the frameworks can run: an lm-evaluation-harness task that filters its documents
to the kept ones, and an Inspect sample-id list.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text

from safetywashing.core.document import dumps
from safetywashing.core.errors import InputError
from safetywashing.items.result import ItemAnalysis, ItemSubset
from safetywashing.report.figures.style import figure_style, plain
from safetywashing.report.numbers import format_number
from safetywashing.report.text import escaped

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _value(value: object, digits: int = 3, *, sign: bool = True) -> str:
    """A cell of the item tables: ``+0.412`` (not in percent), empty when undefined."""
    number = float(value)  # type: ignore[arg-type]  # a pandas cell
    return format_number(number, digits=digits, percent=False, sign=sign, missing="")


def print_items(
    result: ItemAnalysis, console: Console, *, subset: ItemSubset | None = None, top: int = 15
) -> None:
    """The summary, the most entangled items, the categories and the subset."""
    for line in result.summary_lines():
        console.print(escaped(line), markup=False, highlight=False)
    if result.unmatched:
        names = ", ".join(result.unmatched[:5]) + (" ..." if len(result.unmatched) > 5 else "")
        console.print(
            escaped(f"{len(result.unmatched)} models match no panel model: {names}"), markup=False
        )
    if result.coverage:
        console.print(
            f"{len(result.coverage)} models lack some of the {len(result.item_ids)} items "
            f"(fewest: {min(c for _, c in result.coverage)})",
            markup=False,
        )
    frame = result.to_frame().head(top)
    table = Table(
        title=Text(escaped(f"Most entangled items of {result.benchmark}")), title_justify="left"
    )
    bootstrapped = result.n_resamples > 0
    columns = ["rank", "item", "category", "n", "r", "interval", "q", "flag", "a", "b"]
    if not bootstrapped:
        columns.remove("interval")
    for column in columns:
        table.add_column(
            column, justify="left" if column in {"item", "category", "flag"} else "right"
        )
    for row in frame.itertuples(index=False):
        interval = (
            "" if not _value(row.ci_low) else f"{_value(row.ci_low, 2)} to {_value(row.ci_high, 2)}"
        )
        cells = [str(row.rank), escaped(str(row.item)), escaped(str(row.category))]
        cells += [str(row.n), _value(row.r)]
        cells += [interval] if bootstrapped else []
        cells += [
            _value(row.q_value, sign=False),
            str(row.flag),
            _value(row.discrimination, 2),
            _value(row.difficulty, 2),
        ]
        table.add_row(*(Text(cell) for cell in cells))
    console.print(table)
    categories = result.by_category()
    if len(categories) > 1 or (len(categories) == 1 and categories["category"].iloc[0]):
        grouped = Table(title="By category", title_justify="left")
        for column in ("category", "items", "mean r", "median r", "entangled"):
            grouped.add_column(column, justify="left" if column == "category" else "right")
        for row in categories.itertuples(index=False):
            grouped.add_row(
                Text(escaped(str(row.category))),
                str(row.items),
                _value(row.mean_r),
                _value(row.median_r),
                str(row.entangled),
            )
        console.print(grouped)
    if subset is not None:
        console.print("De-entangled subset:", markup=False)
        for line in subset.summary_lines():
            console.print(f"  {escaped(line)}", markup=False, highlight=False)


def items_json(result: ItemAnalysis, subset: ItemSubset | None = None) -> str:
    """The JSON document of the item analysis (with the subset, if selected)."""
    document = result.to_dict()
    if subset is not None:
        inner = subset.to_dict()
        document["subset"] = {
            key: value
            for key, value in inner.items()
            if key not in {"schema_version", "tool", "provenance", "kind"}
        }
    return dumps(document)


def items_figure(result: ItemAnalysis, subset: ItemSubset | None = None) -> Figure:
    """Three panels: items ranked by capabilities correlation (the subset's drops marked),
    correlation against mean score, and the item-response view (2PL difficulty against
    discrimination)."""
    from matplotlib.figure import Figure

    with figure_style():
        fig = Figure(figsize=(10.0, 2.8), layout="constrained")
        left, middle, right = fig.subplots(1, 3)
        order = result.order
        r = result.r[order]
        keep = ~np.isnan(r)
        x = np.arange(1, r.size + 1)
        left.fill_between(x[keep], 0, r[keep], color="#BBBBBB", step="mid", linewidth=0)
        if subset is not None:
            dropped = keep & ~subset.selected[order]
            left.plot(x[dropped], r[dropped], "|", color="#CC3311", label="left out of the subset")
            left.legend(loc="upper right", frameon=False)
        left.axhline(0, color="black", linewidth=0.6)
        left.set_xlabel("item rank")
        left.set_ylabel("capabilities correlation")
        left.set_title(f"{len(result.item_ids)} items of {plain(result.benchmark)}", loc="left")
        flagged = np.asarray(result.flag) == "entangled"
        for axis, xs, ys in (
            (middle, result.mean_score, result.r),
            (right, result.difficulty, result.discrimination),
        ):
            axis.scatter(xs[~flagged], ys[~flagged], s=6, color="#4477AA", label="not flagged")
            axis.scatter(xs[flagged], ys[flagged], s=6, color="#CC3311", label="entangled")
            axis.axhline(0, color="black", linewidth=0.6)
        middle.set_xlabel("mean score (easier →)")
        middle.set_ylabel("capabilities correlation")
        middle.legend(loc="lower right", frameon=False)
        right.set_xlabel("2PL difficulty (SD of capability)")
        right.set_ylabel("2PL discrimination")
        # A flat item (discrimination near 0) has a difficulty far out: show the range where
        # the capability score lives.
        finite = np.isfinite(result.difficulty)
        if finite.any():
            low, high = np.clip(np.quantile(result.difficulty[finite], [0.05, 0.95]), -4, 4)
            right.set_xlim(min(low, -2.0) - 0.5, max(high, 2.0) + 0.5)
    return fig


_TASK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}")


def lm_eval_subset_files(subset: ItemSubset, lm_eval_task: str) -> dict[str, str]:
    """An lm-evaluation-harness task running only the kept documents, and its filter.

    The YAML includes the original task's YAML (``include: TASK.yaml``, so place both
    files beside it) under a new name and filters the documents with
    ``process_docs: !function TASK_subset.process_docs``. lm-eval's ``doc_id`` is a
    document's position in the evaluated split, so when every kept id is such a position
    (a whole number) documents are kept by position alone, never by a field of their own
    (a split may hold an ``id`` field that is another number); otherwise the ids are
    matched against the document's ``id`` field alone.

    The task name becomes file names, YAML and Python, so it must be a plain name
    (letters, digits, ``_``, ``-`` and ``.``, starting with a letter or digit); the
    kept ids are written as a Python literal (``repr``), never pasted into code.

    Raises
    ------
    InputError
        If ``lm_eval_task`` is not such a name.
    """
    if _TASK_NAME.fullmatch(lm_eval_task) is None or ".." in lm_eval_task:
        raise InputError(
            f"lm_eval_task={lm_eval_task!r} is not an lm-eval task name",
            param="lm_eval_task",
            remedy="give the task's name as lm-eval lists it: letters, digits, '_', '-' and "
            "'.', starting with a letter or digit, at most 200 characters (e.g. "
            "lm_eval_task='truthfulqa_mc1')",
        )
    task = lm_eval_task
    kept = [str(item) for item in subset.kept]
    module = f"{task}_subset"
    yaml = (
        f"# The {len(kept)} of {len(subset.item_ids)} documents of {task} kept by the\n"
        f"# de-entangled subset (capabilities correlation {subset.correlation:+.3f}, band\n"
        f"# |r| < {subset.band:.2f}); written by safetywashing items.\n"
        f"include: {task}.yaml\n"
        f"task: {task}_subset\n"
        f"process_docs: !function {module}.process_docs\n"
    )
    by_position = all(_is_position(item) for item in kept)
    test = "str(index) in KEEP" if by_position else "str(doc.get('id', '')) in KEEP"
    python = (
        f'"""Keep the documents of {task} in the de-entangled subset."""\n\n'
        f"KEEP = frozenset({kept!r})\n\n\n"
        "def process_docs(dataset):\n"
        "    def keep(doc, index):\n"
        f"        return {test}\n\n"
        "    return dataset.filter(keep, with_indices=True)\n"
    )
    return {f"{task}_subset.yaml": yaml, f"{module}.py": python}


def _is_position(item: str) -> bool:
    """An lm-eval ``doc_id``: a whole number written as lm-eval writes it (``0``, ``17``)."""
    return item.isascii() and item.isdigit() and (item == "0" or not item.startswith("0"))


def recipe_safe(item: str) -> bool:
    """Whether an id survives ``--sample-id "$(paste -sd, FILE)"`` (no comma, no line break)."""
    return not any(c in item for c in ",\n\r")


def inspect_sample_ids(subset: ItemSubset) -> str:
    """The kept sample ids, one a line (``inspect eval TASK --sample-id`` takes them
    comma-separated: ``--sample-id "$(paste -sd, FILE)"``).

    Raises
    ------
    InputError
        If an id holds a comma or a line break, which that recipe would split.
    """
    unsafe = [item for item in subset.kept if not recipe_safe(item)]
    if unsafe:
        raise InputError(
            f"{len(unsafe)} kept ids hold a comma or a line break (first {unsafe[0]!r}), which "
            "--sample-id would split",
            param="subset",
            remedy="use inspect_sample_ids_json, whose list Inspect's Python API takes as "
            "sample_id=",
        )
    return "".join(f"{item}\n" for item in subset.kept)


def inspect_sample_ids_json(subset: ItemSubset) -> str:
    """The kept sample ids as a JSON list, exact whatever they hold (for Inspect's Python
    API: ``eval(task, sample_id=json.load(open("subset_ids.json")))``)."""
    return json.dumps(list(subset.kept), ensure_ascii=False) + "\n"
