"""Imputation accuracy on the paper's data (the issue's acceptance figures)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from safetywashing.datasets import load_demo_panel
from safetywashing.datasets.panels import reference_root
from safetywashing.io.tables.readers import read_scores
from safetywashing.robustness.validation import mask_cells, masking_runs


def _datasets() -> Path:
    folder = reference_root()
    if not (folder / "safetywashing-paper").is_dir():
        pytest.skip(f"reference datasets not found at {folder}")
    return folder


def test_mask_cells_hides_the_requested_share_of_the_chosen_columns() -> None:
    table = load_demo_panel()
    capability_ids = [b.id for b in table.benchmarks if b.role == "capability"]
    masked, n = mask_cells(table, capability_ids, 0.2, rng=3)
    cells = len(table.models) * len(capability_ids)
    assert n == round(0.2 * cells)
    columns = [table.benchmark_index(b) for b in capability_ids]
    assert int(np.isnan(masked.values[:, columns]).sum()) == n
    others = [j for j in range(len(table.benchmarks)) if j not in columns]
    assert np.array_equal(np.isnan(masked.values[:, others]), np.isnan(table.values[:, others]))


@pytest.mark.parametrize("kind", ["chat", "base"])
def test_twenty_percent_masking_keeps_scores_and_correlations(kind: str) -> None:
    # Issue 4's acceptance criterion: mask 20% of the capability cells (10 seeds); the
    # capability scores keep Spearman >= 0.97 with the full-data scores and the median
    # absolute change of the capabilities correlations is <= 0.03.
    table = read_scores(_datasets() / "safetywashing-paper" / f"benchmarks_{kind}_models.csv")
    runs = masking_runs(table, [0.2], range(10), preset="paper")
    assert len(runs) == 10
    assert min(r.score_spearman for r in runs) >= 0.97
    assert float(np.median([r.median_abs_change for r in runs])) <= 0.03
