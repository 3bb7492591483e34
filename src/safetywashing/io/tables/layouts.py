"""Leaderboard exports recognised by their columns, so they read with no flag.

- **Open LLM Leaderboard** (Hugging Face), the ``contents`` tables of v1
  (``open-llm-leaderboard-old/contents``: ARC, HellaSwag, MMLU, TruthfulQA, Winogrande,
  GSM8K) and v2 (``open-llm-leaderboard/contents``: IFEval, BBH, MATH Lvl 5, GPQA, MUSR,
  MMLU-PRO, each also as ``... Raw``), as CSV or Parquet. The model id is ``fullname``
  (``org/model``; ``Model`` holds an HTML link); the class comes from ``Type``
  (pretrained -> base, chat / instruction-tuned -> chat, fine-tuned, merge, multimodal,
  other); a model listed at several precisions is read from its row of the highest
  precision (:data:`~safetywashing.io.tables.duplicates.PRECISION_ORDER`); compute is
  ``#Params (B)``, labelled as parameters, not FLOP; ``Average ⬆️``, the ``Raw`` twins and
  the descriptive columns (licence, hub likes, flags, dates, ...) are left out. The
  capability benchmarks are the leaderboard's own, except TruthfulQA, which the
  Safetywashing paper treats as a safety benchmark.
- **HELM** leaderboard tables exported as CSV (first column ``Model`` or
  ``Model/adapter``, then ``Mean win rate`` and one ``Scenario - Metric`` column each).
  Rows under the header that hold no scores (descriptions, metric names, direction
  arrows) are skipped; a row of arrows or "lower is better" marks sets each column's
  direction. Win-rate columns are left out; the capability benchmarks are the scenarios
  that are not safety scenarios (TruthfulQA, BBQ, CivilComments, RealToxicityPrompts,
  BOLD and others named in :data:`HELM_SAFETY_SCENARIOS`).

Options the user gives win over what a layout supplies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from safetywashing.core.table import BenchmarkInfo, Direction, Role
from safetywashing.io.tables.cells import MISSING_TOKENS, parse_number
from safetywashing.io.tables.columns import ColumnMap
from safetywashing.io.tables.duplicates import PRECISION_ORDER
from safetywashing.io.tables.grid import Grid

OPENLLM_V1_CAPABILITIES = ("ARC", "HellaSwag", "MMLU", "Winogrande", "GSM8K")
OPENLLM_V1_SAFETY = ("TruthfulQA",)
OPENLLM_V2_CAPABILITIES = ("IFEval", "BBH", "MATH Lvl 5", "GPQA", "MUSR", "MMLU-PRO")

#: Descriptive columns of the leaderboard's contents tables (all versions), never scores.
OPENLLM_DESCRIPTIVE = (
    "eval_name",
    "Precision",
    "T",
    "Weight type",
    "Architecture",
    "Model",
    "Model sha",
    "Average ⬆️",
    "Hub License",
    "Hub ❤️",
    "Available on the hub",
    "Merged",
    "Not_Merged",
    "MoE",
    "Flagged",
    "date",
    "Chat Template",
    "CO₂ cost (kg)",
    "Maintainers Choice",
    "Maintainer's Highlight",
    "Official Providers",
    "Upload To Hub Date",
    "Submission Date",
    "Generation",
    "Base Model",
)

#: ``Type`` cells of the leaderboard -> class (first fragment found wins).
OPENLLM_CLASSES: tuple[tuple[str, str], ...] = (
    ("continuously pretrained", "base"),
    ("pretrained", "base"),
    ("chat", "chat"),
    ("instruction-tuned", "chat"),
    ("fine-tuned", "fine-tuned"),
    ("merge", "merge"),
    ("multimodal", "multimodal"),
    ("other", "other"),
    ("?", ""),
)

#: HELM scenarios that measure a safety property rather than a capability.
HELM_SAFETY_SCENARIOS = (
    "truthfulqa",
    "bbq",
    "civilcomments",
    "realtoxicityprompts",
    "bold",
    "toxicity",
    "bias",
    "harmbench",
    "xstest",
    "simplesafetytests",
    "anthropic red team",
    "air-bench",
    "copyright",
    "disinformation",
)

_LOWER = ("↓", "lower is better", "lower")
_HIGHER = ("↑", "higher is better", "higher")


@dataclass(frozen=True)
class Layout:
    """A recognised export: its column map and the roles of its benchmark columns."""

    #: ``openllm-v1``, ``openllm-v2`` or ``helm``.
    name: str
    #: How a notice names it.
    description: str
    #: Column names for this file's header.
    columns: ColumnMap
    #: Role of each benchmark column the layout knows.
    roles: dict[str, Role] = field(default_factory=dict)
    #: Whether rows without scores right under the header are skipped (HELM).
    skip_metadata_rows: bool = False
    #: The columns that hold scores (for recognising metadata rows).
    score_columns: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    directions: dict[str, Direction] = field(default_factory=dict)
    #: A column whose values, best first, choose the row kept for a model listed on several
    #: rows (the Open LLM Leaderboard's ``Precision``), unless the user says otherwise.
    preferred: tuple[str, tuple[str, ...]] | None = None
    #: Why each column the layout ignores is not audited.
    reasons: dict[str, str] = field(default_factory=dict)

    def body(self, grid: Grid) -> Grid:
        """The rows that hold models: leading rows without any score are skipped.

        A skipped row of direction marks ("↑"/"↓", "higher/lower is better") sets the
        direction of its columns (read by :meth:`benchmarks`). The score columns are read
        as text (see :func:`text_positions`).
        """
        if not self.skip_metadata_rows:
            return grid
        columns = [grid.text(self.header.index(name)) for name in self.score_columns]
        start = 0
        while start < grid.n_rows:
            cells = [column[start].strip() for column in columns]
            if any(_is_score(cell) for cell in cells):
                break
            for name, cell in zip(self.score_columns, cells, strict=True):
                lowered = cell.lower()
                if lowered in _LOWER:
                    self.directions[name] = "lower"
                elif lowered in _HIGHER:
                    self.directions[name] = "higher"
            start += 1
        return grid.drop_leading(start)

    def text_positions(self, header: Sequence[str]) -> set[int]:
        """Header positions whose cells this layout reads as text (beyond the wide
        reader's own): every column of a table with rows to skip above the models."""
        return set(range(len(header))) if self.skip_metadata_rows else set()

    def benchmarks(self, header: Sequence[str]) -> list[BenchmarkInfo]:
        """Metadata (role, direction) for the benchmark columns this layout knows."""
        return [
            BenchmarkInfo(id=name, role=role, direction=self.directions.get(name, "higher"))
            for name, role in self.roles.items()
            if name in header
        ]


def _is_score(cell: str) -> bool:
    if cell.lower() in MISSING_TOKENS:
        return False
    try:
        parse_number(cell)
    except ValueError:
        return False
    return True


def _openllm(header: Sequence[str], version: Literal[1, 2]) -> Layout:
    present = set(header)
    ignore = [name for name in OPENLLM_DESCRIPTIVE if name in present]
    ignore += [name for name in header if name.endswith(" Raw")]
    reasons = {
        name: "the raw twin of a normalised score"
        if name.endswith(" Raw")
        else "the leaderboard's average of its scores"
        if name.startswith("Average")
        else "a description of the model, not a score"
        for name in ignore
    }
    if version == 1:
        roles: dict[str, Role] = dict.fromkeys(OPENLLM_V1_CAPABILITIES, "capability")
        roles.update(dict.fromkeys(OPENLLM_V1_SAFETY, "safety"))
    else:
        roles = dict.fromkeys(OPENLLM_V2_CAPABILITIES, "capability")
    columns = ColumnMap(
        model="fullname",
        model_class="Type" if "Type" in present else ColumnMap().model_class,
        parameters="#Params (B)" if "#Params (B)" in present else ColumnMap().parameters,
        parameters_scale=1e9,
        flop="#Params (B)" if "#Params (B)" in present else ColumnMap().flop,
        flop_scale=1e9,
        compute_kind="params",
        ignore=tuple(ignore),
        class_values=OPENLLM_CLASSES,
    )
    return Layout(
        name=f"openllm-v{version}",
        description=(
            f"an Open LLM Leaderboard v{version} table (model id 'fullname', class from "
            "'Type', compute = '#Params (B)' as parameters)"
        ),
        columns=columns,
        roles=roles,
        preferred=("Precision", PRECISION_ORDER) if "Precision" in present else None,
        reasons=reasons,
    )


def _helm(header: Sequence[str]) -> Layout:
    scores = tuple(name for name in header[1:] if " - " in name)
    roles: dict[str, Role] = {}
    for name in scores:
        scenario = name.split(" - ")[0].strip().lower()
        safety = any(scenario.startswith(word) for word in HELM_SAFETY_SCENARIOS)
        roles[name] = "safety" if safety else "capability"
    ignore = tuple(name for name in header[1:] if "win rate" in name.lower())
    return Layout(
        name="helm",
        description=f"a HELM leaderboard table (model id '{header[0]}')",
        columns=ColumnMap(model=header[0], ignore=ignore),
        roles=roles,
        skip_metadata_rows=True,
        score_columns=scores,
        header=tuple(header),
        reasons=dict.fromkeys(ignore, "a win rate over the other columns"),
    )


def recognise(header: Sequence[str]) -> Layout | None:
    """The known export whose columns ``header`` has, or None.

    Parameters
    ----------
    header : sequence of str
        Column names of a wide table.

    Returns
    -------
    Layout or None

    Examples
    --------
    >>> recognise(["eval_name", "fullname", "Type", "Average ⬆️", "IFEval", "MMLU-PRO"]).name
    'openllm-v2'
    >>> recognise(["Model", "Mean win rate", "MMLU - EM", "TruthfulQA - EM"]).name
    'helm'
    >>> recognise(["model", "mmlu"]) is None
    True
    """
    present = set(header)
    if "fullname" in present and ("Average ⬆️" in present or "eval_name" in present):
        if {"IFEval", "MMLU-PRO"} <= present:
            return _openllm(header, 2)
        if {"ARC", "HellaSwag", "MMLU"} <= present:
            return _openllm(header, 1)
    if (
        header
        and header[0] in {"Model", "Model/adapter"}
        and any("win rate" in name.lower() for name in header[1:])
        and any(" - " in name for name in header[1:])
    ):
        return _helm(header)
    return None
