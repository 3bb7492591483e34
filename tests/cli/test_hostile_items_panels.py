"""The hostile catalogue of items, ingest --items and panels: hangs and silent wrong numbers.

Each case is what issue 24 found at 5adea0d: an input that hung, or that ended in exit 0
with a wrong number. A hang now ends in one sentence and exit 2 within its bound; a
wrong number is now the right one or a refusal naming the row, the model or the limit.
Refused commands leave the folder as it was (compared file by file). The item tables
are simulated (:func:`safetywashing.items.simulate.simulate_items`, 12 models x 20
items) with a panel built from the same simulation, so every model is matched.
"""

from __future__ import annotations

import io
import json
import socket
import struct
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cli.test_hostile_catalogue import assert_refused, create, snapshot

from safetywashing.cli.app import main

N_MODELS, N_ITEMS = 12, 20


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, object]]:
    """The simulated item table (CSV text) and its panel (a JSON document)."""
    from safetywashing.items.simulate import simulate_items
    from safetywashing.panels import build_panel

    sim = simulate_items(n_models=N_MODELS, n_items=N_ITEMS, entangled_fraction=0.5, rng=5)
    panel = json.loads(build_panel(sim.panel.table, label="sim").to_json())
    return sim.to_frame().to_csv(index=False), panel


def renamed(
    simulated: tuple[str, dict[str, object]], old: str, new: str
) -> tuple[str, dict[str, object]]:
    """The table and panel with model ``old`` called ``new`` in both."""
    text, panel = simulated
    lines = text.splitlines()
    body = [f"{new}{line[len(old) :]}" if line.startswith(f"{old},") else line for line in lines]
    document = json.loads(json.dumps(panel))
    for model in document["classes"]["all"]["models"]:  # type: ignore[index]
        if model["id"] == old:
            model["id"] = model["name"] = new
    return "\n".join(body) + "\n", document


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def refused(argv: list[str], message: str, folder: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Run a command that must be refused with ``message``, writing nothing; its stderr."""
    before = snapshot(folder)
    code, _, err = run(argv, capsys)
    assert_refused(code, err, message)
    assert snapshot(folder) == before, "a refused command changed the folder"
    return err


# -- silent wrong numbers: ids read as missing values -----------------------------------


@pytest.mark.parametrize("name", ["NA", "None", "null", "nan", "N/A"])
def test_a_model_named_like_a_missing_value_is_a_model(
    name: str,
    simulated: tuple[str, dict[str, object]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before: pandas read the id as missing and the model was merged into the last one
    # (11 models reported instead of 12, one holding 40 items) or refused as a repeat.
    monkeypatch.chdir(tmp_path)
    table, panel = renamed(simulated, "model-01", name)
    create({"items.csv": table, "panel.json": json.dumps(panel)}, tmp_path)
    code, out, err = run(
        ["items", "items.csv", "--panel", "panel.json", "--no-subset", "--format", "json",
         "--out", "o"], capsys,
    )  # fmt: skip
    assert code == 0, err
    document = json.loads(out)
    assert document["n_models"] == N_MODELS and document["n_items"] == N_ITEMS
    assert name in [model["model"] for model in document["models"]]
    assert document["unmatched"] == [] and document["coverage"] == []
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [
        "categories.csv", "items.csv", "items.json",
    ]  # fmt: skip


def test_an_item_named_none_is_an_item_not_merged_into_another(
    simulated: tuple[str, dict[str, object]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before: item 'None' was read as missing and merged into item '99' (one item fewer).
    monkeypatch.chdir(tmp_path)
    text, panel = simulated
    table = text.replace(",syn_items-03,", ",None,").replace(",syn_items-04,", ",99,")
    create({"items.csv": table, "panel.json": json.dumps(panel)}, tmp_path)
    code, out, err = run(
        ["items", "items.csv", "--panel", "panel.json", "--no-subset", "--format", "json"], capsys
    )
    assert code == 0, err
    document = json.loads(out)
    ids = [item["item"] for item in document["items"]]
    assert document["n_items"] == N_ITEMS and {"None", "99"} <= set(ids)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.replace("\nmodel-01,", "\n,", 1),
            "items.csv, row 2: the model is empty; give every row its model (text such as NA "
            "or None is read as an id)",
        ),
        (
            lambda t: t.replace(",syn_items-00,", ", ,", 1),
            "items.csv, row 2: the item is empty; give every row its item (text such as NA or "
            "None is read as an id)",
        ),
    ],
    ids=["empty-model", "blank-item"],
)
def test_an_empty_id_is_refused_naming_its_row(
    edit: object,
    message: str,
    simulated: tuple[str, dict[str, object]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    text, panel = simulated
    create({"items.csv": edit(text), "panel.json": json.dumps(panel)}, tmp_path)  # type: ignore[operator]
    refused(
        ["items", "items.csv", "--panel", "panel.json", "--out", "o"], message, tmp_path, capsys
    )


def test_a_null_model_in_a_parquet_item_table_is_refused_naming_its_row(
    simulated: tuple[str, dict[str, object]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import pandas as pd

    monkeypatch.chdir(tmp_path)
    text, panel = simulated
    frame = pd.read_csv(io.StringIO(text))
    frame["model"] = frame["model"].astype(object)
    frame.loc[3, "model"] = None
    frame.to_parquet(tmp_path / "items.parquet")
    create({"panel.json": json.dumps(panel)}, tmp_path)
    refused(
        ["items", "items.parquet", "--panel", "panel.json"],
        "items.parquet, row 5: the model is empty; give every row its model (text such as NA "
        "or None is read as an id)",
        tmp_path,
        capsys,
    )


@pytest.mark.parametrize(("cell", "shown"), [("1e300", "1e+300"), ("inf", "inf"), ("-inf", "-inf")])
def test_item_scores_beyond_the_audits_range_are_refused(
    cell: str,
    shown: str,
    simulated: tuple[str, dict[str, object]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before: exit 0 with "nan%" of variance explained (1e300) or a shifted share (inf).
    monkeypatch.chdir(tmp_path)
    text, panel = simulated
    lines = text.splitlines()
    first = lines[1].split(",")
    first[3] = cell
    lines[1] = ",".join(first)
    create({"items.csv": "\n".join(lines) + "\n", "panel.json": json.dumps(panel)}, tmp_path)
    refused(
        ["items", "items.csv", "--panel", "panel.json", "--no-subset"],
        f"items.csv, row 2: the score {shown} is beyond the supported range (a finite value "
        "of magnitude at most 1e+100); fix the cell or remove the row",
        tmp_path,
        capsys,
    )


# -- hangs and unbounded work ----------------------------------------------------------


def test_an_item_table_naming_a_column_twice_is_refused_in_any_column_order(
    simulated: tuple[str, dict[str, object]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Found by benchmarks/fuzz.py (seed 25): with the category column renamed "score",
    # pandas read the second one as "score.1", so shuffling the columns changed which one
    # was the score (one order audited the items, the other refused 'privacy' as a score).
    monkeypatch.chdir(tmp_path)
    text, panel = simulated
    header, _, body = text.partition("\n")
    assert header.endswith(",category")
    create({"items.csv": header.replace(",category", ",score") + "\n" + body}, tmp_path)
    create({"panel.json": json.dumps(panel)}, tmp_path)
    refused(
        ["items", "items.csv", "--panel", "panel.json"],
        "items.csv: the column 'score' appears twice in the header; keep one column of each name.",
        tmp_path,
        capsys,
    )


def test_items_refuses_a_fifo(
    simulated: tuple[str, dict[str, object]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before: reading the FIFO blocked for ever.
    monkeypatch.chdir(tmp_path)
    create({"f.csv": None, "panel.json": json.dumps(simulated[1])}, tmp_path)
    refused(
        ["items", "f.csv", "--panel", "panel.json"],
        "f.csv is a FIFO, not a regular file; give an item table (CSV, TSV or Parquet).",
        tmp_path,
        capsys,
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--repeats", "100000"],
            "--repeats 100000 asks for more halvings than the 1000 allowed; give at most "
            "--repeats 1000 (--repeats 5 is usual).",
        ),
        (
            ["--bootstrap", "1000000000"],
            "--bootstrap 1000000000 asks for more bootstrap resamples than the 100000 allowed; "
            "give at most --bootstrap 100000 (--bootstrap 2000 is usual).",
        ),
        (
            ["--seed", "-1"],
            "--seed -1 is not a whole number of at least 0; give a seed such as --seed 1.",
        ),
    ],
    ids=["repeats", "bootstrap", "seed"],
)
def test_items_counts_are_bounded_before_any_work(
    flags: list[str],
    message: str,
    simulated: tuple[str, dict[str, object]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before: --repeats 100000 ran for hours, --bootstrap 1e9 raised MemoryError (305 GiB)
    # and --seed -1 a ValueError traceback.
    monkeypatch.chdir(tmp_path)
    text, panel = simulated
    create({"items.csv": text, "panel.json": json.dumps(panel)}, tmp_path)
    err = refused(
        ["items", "items.csv", "--panel", "panel.json", *flags, "--out", "o"],
        message,
        tmp_path,
        capsys,
    )
    assert "reading items.csv" not in err  # refused before the table is read


def overlapping_archive(names: int = 200, size: int = 4 * 1024 * 1024) -> bytes:
    """An ``.eval`` whose sample entries all point at one compressed member (a zip bomb)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("header.json", '{"eval": {"task": "x", "model": "m"}}')
        archive.writestr("samples/s0000.json", b'{"id": 1, "pad": "' + b"a" * size + b'"}')
    data = buffer.getvalue()
    end = data.rindex(b"PK\x05\x06")
    _, directory_size, directory_offset = struct.unpack("<HLL", data[end + 10 : end + 20])
    directory = data[directory_offset : directory_offset + directory_size]
    second = directory.index(b"PK\x01\x02", 4)
    entry = directory[second:]
    entries = b"".join(entry.replace(b"s0000", f"s{i:04d}".encode()) for i in range(names))
    new_directory = directory[:second] + entries
    tail = bytearray(data[end:])
    struct.pack_into("<HHLL", tail, 8, names + 1, names + 1, len(new_directory), directory_offset)
    return data[:directory_offset] + new_directory + bytes(tail)


def test_an_eval_archive_whose_entries_share_one_member_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: 2,000 names for one 60 MB member were each decompressed and parsed (a 151 kB
    # file that ran for many minutes); here 200 names for 4 MB.
    monkeypatch.chdir(tmp_path)
    create({"bomb.eval": overlapping_archive()}, tmp_path)
    err = refused(
        ["ingest", "--items", "bomb.eval", "-o", "out.csv"],
        "No per-item results could be read from bomb.eval; lm-eval needs --log_samples "
        "(samples_*.jsonl), Inspect logs need their samples, HELM runs need "
        "per_instance_stats.json.",
        tmp_path,
        capsys,
    )
    assert (
        "  bomb.eval has entries 'samples/s0000.json' and 'samples/s0001.json' that share "
        "their bytes (a zip bomb?); the archive was not read"
    ) in err.splitlines()


def test_an_archive_is_bounded_in_total_not_only_per_member(tmp_path: Path) -> None:
    from safetywashing.io.frameworks._safe import SafeZip, Unreadable

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(4):
            archive.writestr(f"samples/{index}.json", b"0" * 1000)
    path = tmp_path / "log.eval"
    path.write_bytes(buffer.getvalue())
    with SafeZip(path, member_limit=1000, total_limit=2500) as archive:
        archive.read("samples/0.json")
        archive.read("samples/1.json")
        with pytest.raises(Unreadable) as error:
            archive.read("samples/2.json")
    assert error.value.reason == (
        "expands beyond the 0.0 MB limit for one archive at entry 'samples/2.json' (a zip bomb?)"
    )


@pytest.fixture
def slow_mirror() -> Iterator[str]:
    """A local HTTP server that sends its body one byte every 0.2 s."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    stop = threading.Event()

    def drip(connection: socket.socket) -> None:
        with connection:
            try:
                connection.recv(4096)
                connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 100000\r\n\r\n")
                while not stop.is_set():
                    connection.sendall(b"0")
                    time.sleep(0.2)
            except OSError:
                pass

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            threading.Thread(target=drip, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/"
    finally:
        stop.set()
        thread.join(2)
        server.close()


def test_fetch_from_a_mirror_sending_a_byte_at_a_time_ends_at_the_deadline(
    slow_mirror: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before: every read returned a byte within the 60 s timeout, so the download of
    # 100,000 bytes would have taken 5.5 hours.
    import safetywashing.io.fetch as fetch

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SAFETYWASHING_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(fetch, "DEADLINE_SECONDS", 1.5)
    monkeypatch.setattr(fetch, "TIMEOUT_SECONDS", 1.0)
    started = time.monotonic()
    refused(
        ["datasets", "fetch", "paper", "--base-url", slow_mirror, "--force"],
        f"Downloading {slow_mirror}benchmarks_base_models.csv took longer than the 1.5 s "
        "allowed for the paper's files, so it was stopped; check the network connection or "
        "set SAFETYWASHING_BASE_URL to a faster mirror.",
        tmp_path,
        capsys,
    )
    assert time.monotonic() - started < 1.5 + 1.0 + 1.0  # the deadline, one read, slack


# -- panels ----------------------------------------------------------------------------


def test_check_all_with_a_misspelled_benchmark_suggests_the_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: "across 0 settings" and exit 0.
    monkeypatch.chdir(tmp_path)
    refused(
        ["check", "--panel", "all", "--benchmark", "truthfulqa_mcl"],
        "No panel holds the benchmark 'truthfulqa_mcl' (did you mean 'truthfulqa_mc1', "
        "'TruthfulQA' or 'truthfulqa_info'?); give a benchmark of the panels.",
        tmp_path,
        capsys,
    )


def test_a_panel_with_an_infinite_capability_score_is_refused_naming_the_model(
    simulated: tuple[str, dict[str, object]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before: accepted (the infinite score ranks first and moves every correlation).
    monkeypatch.chdir(tmp_path)
    text, panel = simulated
    document = json.loads(json.dumps(panel))
    document["classes"]["all"]["models"][0]["capability_score"] = float("inf")
    create({"items.csv": text, "panel.json": json.dumps(document)}, tmp_path)
    refused(
        ["items", "items.csv", "--panel", "panel.json"],
        "panel.json is a damaged panel file: model 1 (\"model-01\") of class 'all' has "
        '"capability_score": Infinity, not a finite number (null stands for none); rebuild it '
        "with `safetywashing panel build`.",
        tmp_path,
        capsys,
    )


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        # Before: read as 0.5, 1.0 and a dropped model, each moving the correlation
        # (r 0.793 / 0.745 instead of 0.812 on the panel) without a word.
        ('"0.5"', '"0.5", not a number'),
        ("true", "true, not a number"),
        ("NaN", "NaN, not a finite number (null stands for none)"),
    ],
)
def test_a_panel_score_that_is_not_a_number_is_refused_naming_the_model(
    simulated: tuple[str, dict[str, object]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    stored: str,
    shown: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    text, panel = simulated
    document = json.loads(json.dumps(panel))
    document["classes"]["all"]["models"][0]["capability_score"] = "@SCORE@"
    raw = json.dumps(document).replace('"@SCORE@"', stored)
    create({"items.csv": text, "panel.json": raw}, tmp_path)
    refused(
        ["items", "items.csv", "--panel", "panel.json"],
        "panel.json is a damaged panel file: model 1 (\"model-01\") of class 'all' has "
        f'"capability_score": {shown}; rebuild it with `safetywashing panel build`.',
        tmp_path,
        capsys,
    )


def test_a_panel_count_that_is_not_a_whole_number_is_refused(
    simulated: tuple[str, dict[str, object]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Found by benchmarks/fuzz.py (seed 24): a benchmark's "n" of Infinity ended in an
    # OverflowError traceback.
    monkeypatch.chdir(tmp_path)
    text, panel = simulated
    document = json.loads(json.dumps(panel))
    document["classes"]["all"]["benchmarks"][0]["n"] = "@N@"
    raw = json.dumps(document).replace('"@N@"', "Infinity")
    create({"items.csv": text, "panel.json": raw}, tmp_path)
    refused(
        ["items", "items.csv", "--panel", "panel.json"],
        "panel.json is a damaged panel file: benchmark 1 of class 'all' has \"n\": Infinity, "
        "not a whole number; rebuild it with `safetywashing panel build`.",
        tmp_path,
        capsys,
    )


# -- results are read-only ---------------------------------------------------------------


def test_result_arrays_are_read_only_down_to_the_kernels_output() -> None:
    import numpy as np

    import safetywashing as sw

    result = sw.audit(sw.load_demo_panel())
    before = result.to_dict()
    with pytest.raises(ValueError, match="read-only"):
        result["chat"].loadings[:] = 0
    with pytest.raises(ValueError, match="read-only"):
        result["chat"].component.scores[0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        result["chat"].capability_scores[0] = 1.0
    assert result.to_dict() == before
    # The caller's own arrays are left writable: only the result's views are frozen.
    values = np.arange(3.0)
    from safetywashing.core.result import read_only

    frozen = read_only({"a": [values]})
    assert not frozen["a"][0].flags.writeable and values.flags.writeable
