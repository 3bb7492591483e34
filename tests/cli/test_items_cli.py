"""``safetywashing items``: exit codes, files written and what is printed, on simulated items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safetywashing.items.simulate import simulate_items


def run(*args: str) -> int:
    from safetywashing.cli.app import main

    return main(list(args))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from safetywashing.panels import build_panel

    folder = tmp_path_factory.mktemp("items")
    sim = simulate_items(n_models=30, n_items=120, entangled_fraction=0.5, rng=3)
    panel = build_panel(sim.panel.table, label="sim")
    panel_path = folder / "panel.json"
    panel_path.write_text(panel.to_json())
    items_path = folder / "items.csv"
    sim.to_frame().to_csv(items_path, index=False)
    return items_path, panel_path


def test_table_files_figure_and_exports(
    inputs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items, panel = inputs
    out = tmp_path / "out"
    code = run(
        "items", str(items), "--panel", str(panel), "--out", str(out),
        "--lm-eval-task", "syn_items", "--figure", str(tmp_path / "items.svg"),
    )  # fmt: skip
    assert code == 0
    captured = capsys.readouterr()
    assert "syn_items: 120 items over 30 models" in captured.out
    assert "Most entangled items of syn_items" in captured.out
    assert "De-entangled subset:" in captured.out
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "categories.csv", "items.csv", "items.json", "subset_ids.json", "subset_ids.txt",
        "syn_items_subset.py", "syn_items_subset.yaml",
    ]  # fmt: skip
    document = json.loads((out / "items.json").read_text())
    assert document["kind"] == "safetywashing-items"
    kept = (out / "subset_ids.txt").read_text().split()
    assert kept == document["subset"]["kept"]
    assert json.loads((out / "subset_ids.json").read_text()) == kept
    assert "include: syn_items.yaml" in (out / "syn_items_subset.yaml").read_text()
    namespace: dict[str, object] = {}
    exec((out / "syn_items_subset.py").read_text(), namespace)  # the filter is valid Python
    assert (tmp_path / "items.svg").read_text().startswith("<?xml")
    # Existing files are kept without --force.
    assert run("items", str(items), "--panel", str(panel), "--out", str(out)) == 2
    assert "already exist" in capsys.readouterr().err


def test_json_on_stdout(inputs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    items, panel = inputs
    assert run("items", str(items), "--panel", str(panel), "--format", "json", "--no-subset") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["n_items"] == 120 and "subset" not in document


def test_user_errors_are_one_line(
    inputs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items, panel = inputs
    assert run("items", str(items), "--panel", str(panel), "--benchmark", "nope") == 2
    assert "benchmark" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("model,item,score\na,1,0\n")
    assert run("items", str(bad), "--panel", str(panel)) == 2
    assert "has no 'benchmark' column;" in capsys.readouterr().err
    assert run("items", str(items), "--panel", str(panel), "--lm-eval-task", "t") == 2
    assert "--out" in capsys.readouterr().err


def test_ingest_items_writes_partitioned_parquet_that_items_reads(
    inputs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "io" / "fixtures"))
    import make_item_fixtures

    roots = make_item_fixtures.build_all(tmp_path / "fx")
    out = tmp_path / "items"
    code = run("ingest", "--items", "--item-id", "hash", *map(str, roots.values()), "-o", str(out))
    assert code == 0
    captured = capsys.readouterr()
    # lm-eval and HELM name the models alike (org/model-a), Inspect with its provider
    # (hf/org/model-a): 2 x 17 results, and HELM's repeats are left out with a note.
    assert "Read 34 item results: 6 models x 1 benchmarks (6 items)." in captured.out
    assert "already read from another file" in captured.err
    assert (out / "benchmark=toy_refusal" / "part-0.parquet").is_file()
    assert "ran different item sets" in captured.err


def test_items_reads_a_results_folder_directly(
    inputs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from safetywashing.items.simulate import simulate_items, write_simulated_results

    sim = simulate_items(n_models=12, n_items=30, entangled_fraction=0.5, rng=4)
    write_simulated_results(sim, tmp_path / "sim")
    from safetywashing.panels import build_panel

    (tmp_path / "panel.json").write_text(build_panel(sim.panel.table).to_json())
    code = run(
        "items", str(tmp_path / "sim" / "lm_eval"), "--panel", str(tmp_path / "panel.json"),
        "--no-subset",
    )  # fmt: skip
    assert code == 0
    assert "syn_items: 30 items over 12 models" in capsys.readouterr().out


def test_unmatched_models_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from safetywashing.panels import build_panel

    sim = simulate_items(n_models=12, n_items=20, rng=5)
    (tmp_path / "panel.json").write_text(build_panel(sim.panel.table).to_json())
    frame = sim.to_frame()
    frame["model"] = frame["model"].astype(str).replace({"model-01": "mystery-model"})
    frame.to_csv(tmp_path / "items.csv", index=False)
    code = run("items", str(tmp_path / "items.csv"), "--panel", str(tmp_path / "panel.json"),
               "--no-subset", "--format", "json")  # fmt: skip
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert document["unmatched"] == ["mystery-model"]
    assert document["n_models"] == 11
