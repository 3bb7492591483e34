"""Reference data shipped with the package: the paper's released files and ObsScaling's.

Two public data sets sit unchanged under ``safetywashing/datasets/reference/``, each with
its licence and a ``SOURCE.md`` naming the upstream repository and commit:

- ``safetywashing-paper/`` (MIT): Ren et al.'s ``benchmarks_base_models.csv``,
  ``benchmarks_chat_models.csv``, ``benchmarks_chat_models_compute.csv`` and
  ``benchmarks_info.csv`` (``centerforaisafety/safetywashing`` at ``bee302c``).
- ``obsscaling/`` (Apache-2.0): Ruan et al.'s ``base_llm_benchmark_eval.csv`` and
  ``instruct_llm_benchmark_eval.csv`` (``ryoungj/ObsScaling``, ``eval_results/``).

They make ``audit --dataset paper`` and ``check --panel paper-chat|paper-base|
obsscaling-base|obsscaling-instruct`` work offline. A copy fetched with ``safetywashing
datasets fetch paper`` (same pinned SHA-256) is used instead when it is in the cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

from safetywashing.core.errors import InputError
from safetywashing.core.table import ScoreTable
from safetywashing.io.tables.cells import file_sha256
from safetywashing.io.tables.readers import ColumnMap

PAPER_FOLDER = "safetywashing-paper"
OBSSCALING_FOLDER = "obsscaling"

#: SHA-256 of every shipped file; a test checks them, so a changed number cannot pass.
REFERENCE_SHA256: dict[str, dict[str, str]] = {
    PAPER_FOLDER: {
        "LICENSE": "fe29c68dd1216e81e98a6069165e1c720757b23bbcaa6c0cb8f9a957bdaaca80",
        "benchmarks_base_models.csv": (
            "52b0af4f6d6c4426614f4b95d21086d25955fa8c978d88349bdeed82bdcb1be5"
        ),
        "benchmarks_chat_models.csv": (
            "5ede988872d8bba23d0bb87fcebb9704d7fe7d4e6f065226b691499333f57c58"
        ),
        "benchmarks_chat_models_compute.csv": (
            "135e17e5a6e1c8ea4ee159794433d03de16fce9d1d1289827b9b617f039bdcbb"
        ),
        "benchmarks_info.csv": "a043fd235bff9b38897e7cd2a566dbdf041f56eb779dcdd0c45e55809e758470",
    },
    OBSSCALING_FOLDER: {
        "LICENSE.Apache-2.0.txt": (
            "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4"
        ),
        "base_llm_benchmark_eval.csv": (
            "511996815735a4c46251dc585dcc525e370d148201f86561e6f927f9df2d0db8"
        ),
        "instruct_llm_benchmark_eval.csv": (
            "9bc50f327f4e436b15a6d6e3edb8b4837e726b295a1c72d44fadb9c9d25a75ba"
        ),
    },
}

_OBSSCALING_COLUMNS = ColumnMap(
    model="Model",
    family="Model Family",
    flop="FLOPs (1E21)",
    flop_scale=1e21,
    parameters="Model Size (B)",
    parameters_scale=1e9,
    ignore=("Pretraining Data Size (T)",),
)


@dataclass(frozen=True)
class ReferencePanel:
    """How one shipped file becomes a reference panel."""

    #: Folder under ``reference/``.
    folder: str
    #: The scores file in it.
    scores: str
    #: Its column layout.
    columns: ColumnMap = field(default_factory=ColumnMap)
    #: Preset naming the capability benchmarks (``paper``), or None.
    preset: str | None = None
    #: Capability benchmarks when there is no preset.
    capabilities: tuple[str, ...] = ()
    #: Benchmark metadata file in the same folder.
    metadata: str | None = None


# ObsScaling's capability set: the benchmarks of its principal-component capability
# measure (Ruan et al. 2024, Sec. 3) that are capability tests in the Safetywashing sense;
# TruthfulQA (a safety benchmark in the paper) and the chat file's Arena-Elo and MTBench
# stay outside it, so they can be checked against the score.
REFERENCE_PANELS: dict[str, ReferencePanel] = {
    "paper-chat": ReferencePanel(
        PAPER_FOLDER, "benchmarks_chat_models.csv", preset="paper", metadata="benchmarks_info.csv"
    ),
    "paper-base": ReferencePanel(
        PAPER_FOLDER, "benchmarks_base_models.csv", preset="paper", metadata="benchmarks_info.csv"
    ),
    "obsscaling-base": ReferencePanel(
        OBSSCALING_FOLDER,
        "base_llm_benchmark_eval.csv",
        columns=replace(_OBSSCALING_COLUMNS, default_class="base"),
        capabilities=("MMLU", "ARC-C", "HellaSwag", "Winograd", "GSM8K", "HumanEval"),
    ),
    "obsscaling-instruct": ReferencePanel(
        OBSSCALING_FOLDER,
        "instruct_llm_benchmark_eval.csv",
        columns=replace(_OBSSCALING_COLUMNS, default_class="chat"),
        capabilities=("MMLU", "ARC-C", "HellaSwag", "Winogrande", "GSM8K", "HumanEval"),
    ),
}

#: Data sets ``audit --dataset NAME`` reads: scores files, metadata file and preset.
AUDIT_DATASETS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "paper": (
        ("benchmarks_base_models.csv", "benchmarks_chat_models.csv"),
        "benchmarks_info.csv",
        "paper",
    ),
}


def reference_root() -> Path:
    """Folder holding the shipped reference data sets (one sub-folder each)."""
    return Path(str(resources.files("safetywashing.datasets").joinpath("reference")))


def _cached_copy(name: str, expected: str, packaged: Path) -> Path | None:
    """The fetched copy of a paper file when it is the pinned file, else None.

    Its size is compared with the packaged copy's before it is hashed, so that a huge or
    sparse file in the cache costs one ``stat``, not minutes of reading.

    Raises
    ------
    InputError
        If ``SAFETYWASHING_DATA_DIR`` names a folder that cannot be resolved.
    """
    from safetywashing.io.fetch import paper_dir

    try:
        cached = paper_dir() / name
        if not cached.is_file():
            return None
        size = cached.stat().st_size
    except OSError:
        return None
    if packaged.is_file() and size != packaged.stat().st_size:
        return None
    try:
        return cached if file_sha256(cached) == expected else None
    except OSError:
        return None


def reference_file(folder: str, name: str) -> Path:
    """Path of one shipped reference file, or of its verified fetched copy.

    A copy in the fetch cache (``safetywashing datasets fetch paper``) with the pinned
    SHA-256 is preferred; otherwise the packaged copy is used.

    Parameters
    ----------
    folder : str
        ``safetywashing-paper`` or ``obsscaling``.
    name : str
        File name inside it.

    Returns
    -------
    Path

    Raises
    ------
    InputError
        If the packaged file is missing (a broken installation).

    Examples
    --------
    >>> reference_file("safetywashing-paper", "benchmarks_chat_models.csv").name
    'benchmarks_chat_models.csv'
    """
    expected = REFERENCE_SHA256[folder][name]
    path = reference_root() / folder / name
    if folder == PAPER_FOLDER:
        cached = _cached_copy(name, expected, path)
        if cached is not None:
            return cached
    if not path.is_file():
        raise InputError(
            f"The packaged reference file {path} is missing; reinstall safetywashing or run "
            "`safetywashing datasets fetch paper`."
        )
    return path


def reference_table(name: str) -> tuple[ScoreTable, ReferencePanel]:
    """The scores table of a shipped reference panel, with its metadata applied.

    Parameters
    ----------
    name : {"paper-chat", "paper-base", "obsscaling-base", "obsscaling-instruct"}

    Returns
    -------
    tuple of (ScoreTable, ReferencePanel)
        The table and how to audit it (preset or capability benchmarks).

    Examples
    --------
    >>> table, spec = reference_table("obsscaling-instruct")
    >>> len(table.models), table.classes(), spec.capabilities[0]
    (27, ('chat',), 'MMLU')
    """
    from safetywashing.io.tables.readers import (
        apply_benchmark_metadata,
        read_benchmark_info,
        read_scores,
    )

    spec = REFERENCE_PANELS[name]
    table = read_scores(reference_file(spec.folder, spec.scores), columns=spec.columns)
    if spec.metadata is not None:
        metadata = read_benchmark_info(reference_file(spec.folder, spec.metadata))
        table = apply_benchmark_metadata(table, metadata)
    return table, spec


def dataset_inputs(name: str) -> tuple[list[Path], Path, str]:
    """What ``audit --dataset NAME`` reads: the scores files, metadata file and preset.

    Parameters
    ----------
    name : str
        A key of :data:`AUDIT_DATASETS` (``paper``).

    Returns
    -------
    tuple of (list of Path, Path, str)

    Raises
    ------
    InputError
        For an unknown name.
    """
    if name not in AUDIT_DATASETS:
        known = ", ".join(AUDIT_DATASETS)
        raise InputError(f"--dataset {name}: no such shipped data set; use one of: {known}.")
    files, metadata, preset = AUDIT_DATASETS[name]
    return (
        [reference_file(PAPER_FOLDER, file) for file in files],
        reference_file(PAPER_FOLDER, metadata),
        preset,
    )
