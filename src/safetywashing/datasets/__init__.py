"""Bundled data: the synthetic demo panel and the presets.

The demo panel is simulated (``scripts/make_demo_panel.py`` regenerates it with a fixed
seed) and every output made from it is labelled synthetic.
"""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path

from safetywashing.core.table import ScoreTable

DEMO_SCORES = "demo_scores.csv"
DEMO_BENCHMARKS = "demo_benchmarks.csv"


def _data_path(name: str) -> Path:
    return Path(str(resources.files("safetywashing.datasets").joinpath(name)))


def demo_panel_path() -> Path:
    """Path of the bundled demo scores (wide CSV, the paper's column layout)."""
    return _data_path(DEMO_SCORES)


def demo_benchmarks_path() -> Path:
    """Path of the bundled demo benchmark metadata (role, area, direction)."""
    return _data_path(DEMO_BENCHMARKS)


def load_demo_panel() -> ScoreTable:
    """The bundled synthetic demo panel with its benchmark metadata applied.

    30 simulated models (15 base, 15 chat), 12 capability and 15 safety benchmarks with
    planted relations to capability: entangled, distinct and inverse.

    Returns
    -------
    ScoreTable
        Marked ``synthetic=True``.

    Examples
    --------
    >>> table = load_demo_panel()
    >>> table.classes()
    ('base', 'chat')
    """
    from safetywashing.io.tables.readers import (
        apply_benchmark_metadata,
        read_benchmark_info,
        read_scores,
    )

    table = read_scores(demo_panel_path())
    table = apply_benchmark_metadata(table, read_benchmark_info(demo_benchmarks_path()))
    return replace(table, synthetic=True)
