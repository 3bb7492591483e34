"""The reference data shipped in the package: unchanged, licensed, usable offline.

Reference values: the SHA-256 values pinned for the paper's files in
``safetywashing.io.fetch.PAPER_FILES`` (those of the authors' repository at bee302c),
the independent copy in ``../shared/datasets`` (or ``$SAFETYWASHING_DATASETS``), and the
paper's numbers in that copy's README.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from safetywashing.cli.app import main
from safetywashing.datasets.panels import (
    REFERENCE_PANELS,
    REFERENCE_SHA256,
    reference_file,
    reference_root,
    reference_table,
)
from safetywashing.io import fetch


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("folder", "name"),
    [(folder, name) for folder, files in REFERENCE_SHA256.items() for name in files],
)
def test_packaged_files_have_their_pinned_hashes(folder: str, name: str) -> None:
    assert _sha256(reference_root() / folder / name) == REFERENCE_SHA256[folder][name]


def test_the_paper_hashes_agree_with_the_fetchers() -> None:
    for name, expected in fetch.PAPER_FILES.items():
        assert REFERENCE_SHA256["safetywashing-paper"][name] == expected


@pytest.mark.parametrize("folder", sorted(REFERENCE_SHA256))
def test_every_packaged_folder_has_its_licence_and_source(folder: str) -> None:
    names = {path.name for path in (reference_root() / folder).iterdir()}
    assert any(name.startswith("LICENSE") for name in names)
    source = (reference_root() / folder / "SOURCE.md").read_text(encoding="utf-8")
    assert ("centerforaisafety/safetywashing" in source) or ("ryoungj/ObsScaling" in source)
    # Only the pinned files and SOURCE.md: nothing added beside the released data.
    assert names == set(REFERENCE_SHA256[folder]) | {"SOURCE.md"}


def test_packaged_copies_equal_the_independent_copy_byte_for_byte(
    shared_datasets_dir: Path,
) -> None:
    if not shared_datasets_dir.is_dir():
        pytest.skip(
            f"no independent copy at {shared_datasets_dir} to compare the packaged files with"
        )
    for folder in REFERENCE_SHA256:
        for path in sorted((shared_datasets_dir / folder).iterdir()):
            assert (reference_root() / folder / path.name).read_bytes() == path.read_bytes(), path


@pytest.fixture
def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(fetch.DATA_DIR_ENV, str(folder))
    return folder


def test_a_fetched_copy_is_used_when_it_is_in_the_cache(
    empty_cache: Path,
) -> None:
    packaged = reference_file("safetywashing-paper", "benchmarks_info.csv")
    assert packaged.parent == reference_root() / "safetywashing-paper"
    cached = empty_cache / "safetywashing-paper" / "benchmarks_info.csv"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(packaged.read_bytes())
    assert reference_file("safetywashing-paper", "benchmarks_info.csv") == cached
    cached.write_bytes(b"benchmark\nchanged\n")  # a wrong hash: the packaged copy instead
    assert reference_file("safetywashing-paper", "benchmarks_info.csv") == packaged


@pytest.mark.parametrize(
    ("name", "n_models", "model_class"),
    [
        ("paper-chat", 26, "chat"),
        ("paper-base", 27, "base"),
        ("obsscaling-base", 148, "base"),
        ("obsscaling-instruct", 27, "chat"),
    ],
)
def test_reference_tables_read_offline(
    empty_cache: Path, name: str, n_models: int, model_class: str
) -> None:
    # Model counts: shared/datasets/README.md.
    table, spec = reference_table(name)
    assert len(table.models) == n_models
    assert table.classes() == (model_class,)
    assert set(spec.capabilities) <= set(table.benchmark_ids)
    assert sorted(REFERENCE_PANELS) == [
        "obsscaling-base",
        "obsscaling-instruct",
        "paper-base",
        "paper-chat",
    ]


def test_audit_dataset_paper_reproduces_the_paper_offline(
    empty_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "--dataset", "paper", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    classes = document["classes"]
    # PC1 explains 78.3% (base) and 70.8% (chat): shared/datasets/README.md, from the paper.
    assert round(100 * classes["base"]["variance_explained"], 1) == 78.3
    assert round(100 * classes["chat"]["variance_explained"], 1) == 70.8


@pytest.mark.parametrize("panel", ["obsscaling-base", "obsscaling-instruct"])
def test_check_against_an_obsscaling_panel_works_offline(
    empty_cache: Path, tmp_path: Path, panel: str, capsys: pytest.CaptureFixture[str]
) -> None:
    table, _ = reference_table(panel)
    column = table.benchmark_index("TruthfulQA")
    rows = [
        f"{model.id},{table.values[i, column]}\n"
        for i, model in enumerate(table.models)
        if table.values[i, column] == table.values[i, column]
    ]
    new = tmp_path / "truthfulqa.csv"
    new.write_text("model,truthfulqa\n" + "".join(rows), encoding="utf-8")
    assert main(["check", str(new), "--panel", panel, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)
