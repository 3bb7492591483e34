"""The item analysis presented: figure, JSON, and the exports the frameworks run."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from safetywashing.core.errors import InputError
from safetywashing.items.analysis import analyse_items, select_items
from safetywashing.items.simulate import simulate_items
from safetywashing.report.items import (
    inspect_sample_ids,
    items_figure,
    items_json,
    lm_eval_subset_files,
)


@pytest.fixture(scope="module")
def analysed() -> tuple[Any, Any]:
    sim = simulate_items(n_models=20, n_items=60, entangled_fraction=0.5, rng=6)
    capability = sim.panel.latent  # the planted capability stands in for a panel's score
    ids = [str(j) for j in range(60)]
    result = analyse_items(sim.values, capability, item_ids=ids, categories=sim.categories)
    subset = select_items(sim.values, capability, item_ids=ids, n_repeats=2)
    return result, subset


class _Dataset:
    """The part of a Hugging Face dataset that lm-eval's process_docs uses."""

    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self.docs = docs

    def filter(self, keep: Any, with_indices: bool = False) -> _Dataset:
        assert with_indices
        return _Dataset([doc for index, doc in enumerate(self.docs) if keep(doc, index)])


def test_the_lm_eval_filter_keeps_exactly_the_subset(analysed: tuple[Any, Any]) -> None:
    _, subset = analysed
    files = lm_eval_subset_files(subset, "toy")
    assert sorted(files) == ["toy_subset.py", "toy_subset.yaml"]
    yaml = files["toy_subset.yaml"]
    assert "include: toy.yaml" in yaml and "task: toy_subset" in yaml
    assert "process_docs: !function toy_subset.process_docs" in yaml
    namespace: dict[str, Any] = {}
    exec(files["toy_subset.py"], namespace)
    kept = namespace["process_docs"](_Dataset([{"q": i} for i in range(60)]))
    assert [str(doc["q"]) for doc in kept.docs] == list(subset.kept)
    with pytest.raises(InputError, match="task="):
        lm_eval_subset_files(subset, "a/b")


def test_inspect_ids_and_json(analysed: tuple[Any, Any]) -> None:
    result, subset = analysed
    assert inspect_sample_ids(subset).split() == list(subset.kept)
    document = json.loads(items_json(result, subset))
    assert document["kind"] == "safetywashing-items"
    assert document["subset"]["n_kept"] == int(subset.selected.sum())
    ranked = [row["r"] for row in document["items"] if row["r"] is not None]
    assert ranked == sorted(ranked, reverse=True)


def test_the_figure_has_its_three_panels(analysed: tuple[Any, Any]) -> None:
    result, subset = analysed
    fig = items_figure(result, subset)
    axes = fig.get_axes()
    assert [a.get_xlabel() for a in axes] == [
        "item rank",
        "mean score (easier →)",
        "2PL difficulty (SD of capability)",
    ]
    dropped = axes[0].get_lines()[0].get_xdata()
    assert len(dropped) == int((~subset.selected & ~np.isnan(result.r)).sum())
