"""The subset's exports select exactly the kept items, whatever the ids and documents hold."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from safetywashing.core.errors import InputError
from safetywashing.items.analysis import select_items
from safetywashing.items.simulate import simulate_items
from safetywashing.report.items import (
    inspect_sample_ids,
    inspect_sample_ids_json,
    lm_eval_subset_files,
    recipe_safe,
)


class _Dataset:
    """The part of a Hugging Face dataset that lm-eval's process_docs uses."""

    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self.docs = docs

    def filter(self, keep: Any, with_indices: bool = False) -> _Dataset:
        assert with_indices
        return _Dataset([doc for index, doc in enumerate(self.docs) if keep(doc, index)])


def _subset(ids: list[str]) -> Any:
    sim = simulate_items(n_models=20, n_items=len(ids), entangled_fraction=0.5, rng=6)
    return select_items(sim.values, sim.panel.latent, item_ids=ids, n_repeats=2)


def _kept_by_filter(subset: Any, docs: list[dict[str, Any]]) -> list[int]:
    namespace: dict[str, Any] = {}
    exec(lm_eval_subset_files(subset, "toy")["toy_subset.py"], namespace)
    kept = namespace["process_docs"](_Dataset(docs)).docs
    return [doc["position"] for doc in kept]


def test_positions_are_kept_by_position_only_even_where_documents_have_their_own_id() -> None:
    # lm-eval's doc_id is the document's position; a split with its own integer 'id' field
    # (here a shuffle of the positions) must not add documents whose id is a kept position.
    subset = _subset([str(j) for j in range(60)])
    ids = np.random.default_rng(3).permutation(60)
    docs = [{"position": j, "id": int(ids[j])} for j in range(60)]
    assert [str(j) for j in _kept_by_filter(subset, docs)] == list(subset.kept)


def test_ids_that_are_not_positions_are_matched_by_the_documents_id_only() -> None:
    subset = _subset([f"q-{j}" for j in range(60)])
    docs = [{"position": j, "id": f"q-{59 - j}"} for j in range(60)]
    expected = sorted(59 - int(item.removeprefix("q-")) for item in subset.kept)
    assert sorted(_kept_by_filter(subset, docs)) == expected


def test_ids_holding_commas_or_line_breaks_go_to_json_not_to_the_paste_recipe() -> None:
    ids = [
        f"item,{j}" if j % 3 == 0 else f"line\n{j}" if j % 3 == 1 else f"x{j}" for j in range(60)
    ]
    subset = _subset(ids)
    assert not all(recipe_safe(item) for item in subset.kept)
    # Exact as a JSON list ...
    assert json.loads(inspect_sample_ids_json(subset)) == list(subset.kept)
    # ... and refused for the one-a-line file that `paste -sd,` would split.
    with pytest.raises(InputError, match="hold a comma or a line break"):
        inspect_sample_ids(subset)
