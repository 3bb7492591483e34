"""Per-item readers: the three frameworks' layouts of the same truth give one item table.

The fixtures (``fixtures/make_item_fixtures.py``) write the same invented outcomes in
each framework's per-item layout; the expected table is that truth.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from safetywashing.io.frameworks.items import ingest_items
from safetywashing.io.tables.names import normalize_name
from safetywashing.items.table import item_matrix, read_item_table, write_item_table

sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures"))
import make_item_fixtures as fixtures


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return fixtures.build_all(tmp_path_factory.mktemp("item-fixtures"))


def _truth() -> set[tuple[str, str, float]]:
    return {
        (normalize_name(model), prompt, float(outcome))
        for model, outcomes in fixtures.OUTCOMES.items()
        for (prompt, _), outcome in zip(fixtures.PROMPTS, outcomes, strict=True)
        if outcome is not None
    }


@pytest.mark.parametrize("framework", ["lm-eval", "inspect", "helm"])
def test_each_layout_reads_to_the_planted_outcomes(
    framework: str, folders: dict[str, Path]
) -> None:
    found = ingest_items([folders[framework]], item_id="hash")
    assert not found.skipped
    frame = found.to_frame()
    assert set(frame["benchmark"]) == {"toy_refusal"}
    assert set(frame["framework"]) == {framework}
    hashes = {
        fixtures_hash: prompt
        for prompt, _ in fixtures.PROMPTS
        for fixtures_hash in [_prompt_hash(prompt)]
    }
    got = {
        (normalize_name(m), hashes[i], s)
        for m, i, s in zip(frame["model"], frame["item"], frame["score"], strict=True)
    }
    assert got == _truth()
    # Categories come along: lm-eval's doc, Inspect's sample metadata, HELM's run name.
    assert set(frame["category"]) == {"physical", "cyber"}
    # model-c ran five of the six items: reported.
    assert any("1 of 3 models ran different item sets" in note for note in found.notes)


def _prompt_hash(prompt: str) -> str:
    import hashlib

    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()[:16]


def test_all_three_give_the_same_matrix(folders: dict[str, Path]) -> None:
    matrices = []
    for framework in ("lm-eval", "inspect", "helm"):
        frame = ingest_items([folders[framework]], item_id="hash").to_frame()
        frame["model"] = frame["model"].map(normalize_name)
        matrices.append(item_matrix(frame))
    for other in matrices[1:]:
        assert other.item_ids == matrices[0].item_ids
        assert other.model_ids == matrices[0].model_ids
        np.testing.assert_array_equal(other.values, matrices[0].values)
        assert other.categories == matrices[0].categories


def test_document_ids_are_the_default_key(folders: dict[str, Path]) -> None:
    frame = ingest_items([folders["lm-eval"]]).to_frame()
    assert sorted(set(frame["item"])) == ["0", "1", "2", "3", "4", "5"]
    helm = ingest_items([folders["helm"]]).to_frame()
    assert sorted(set(helm["item"])) == [f"id{i}" for i in range(6)]


def test_parquet_partitions_round_trip(folders: dict[str, Path], tmp_path: Path) -> None:
    frame = ingest_items(list(folders.values()), item_id="hash").to_frame()
    written = write_item_table(frame, tmp_path / "items")
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        "items/benchmark=toy_refusal/part-0.parquet"
    ]
    back = read_item_table(tmp_path / "items")
    key = ["model", "item"]
    pd.testing.assert_frame_equal(
        back.sort_values(key).reset_index(drop=True)[["model", "item", "score"]],
        frame.sort_values(key).reset_index(drop=True)[["model", "item", "score"]],
    )


def test_a_broken_samples_line_skips_the_file(tmp_path: Path) -> None:
    root = fixtures.build_lm_eval(tmp_path)
    victim = next(root.rglob("samples_*.jsonl"))
    victim.write_text(victim.read_text() + "{not json\n")
    found = ingest_items([root])
    assert len(found.skipped) == 1 and "is not valid JSON" in found.skipped[0]


def test_the_streamed_parquet_reader_equals_the_pandas_path(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    from safetywashing.items.table import read_item_matrix

    frame = ingest_items(list(folders.values()), item_id="hash").to_frame()
    write_item_table(frame, tmp_path / "items")
    write_item_table(frame, tmp_path / "items.csv")
    streamed = read_item_matrix(tmp_path / "items")
    pandas_path = read_item_matrix(tmp_path / "items.csv")
    assert streamed.model_ids == pandas_path.model_ids
    assert streamed.item_ids == pandas_path.item_ids
    assert streamed.categories == pandas_path.categories
    np.testing.assert_array_equal(streamed.values, pandas_path.values)
