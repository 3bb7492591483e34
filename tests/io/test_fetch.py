"""Fetching the paper's data from a local HTTP server: verify, cache, refuse corruption."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from safetywashing.cli.app import main
from safetywashing.core.errors import InputError
from safetywashing.datasets.panels import reference_root
from safetywashing.io import fetch


def _paper_folder() -> Path:
    folder = reference_root() / "safetywashing-paper"
    if not folder.is_dir():
        pytest.skip(f"reference datasets not found at {folder}")
    return folder


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(folder: Path) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def paper_server() -> Iterator[str]:
    yield from _serve(_paper_folder())


@pytest.fixture
def corrupt_server(tmp_path: Path) -> Iterator[str]:
    folder = tmp_path / "mirror"
    shutil.copytree(_paper_folder(), folder)
    target = folder / "benchmarks_chat_models.csv"
    target.write_bytes(target.read_bytes().replace(b"Llama", b"Llamb", 1))
    yield from _serve(folder)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(fetch.DATA_DIR_ENV, str(folder))
    monkeypatch.delenv(fetch.BASE_URL_ENV, raising=False)
    return folder


def test_pinned_hashes_are_those_of_the_reference_files() -> None:
    # sha256sum ../shared/datasets/safetywashing-paper/*.csv gives the pinned values.
    import hashlib

    folder = _paper_folder()
    for name, expected in fetch.PAPER_FILES.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == expected


def test_cache_location_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fetch.DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere/cache")
    assert fetch.cache_dir() == Path("/somewhere/cache/safetywashing")
    monkeypatch.setenv(fetch.DATA_DIR_ENV, "/data/sw")
    assert fetch.paper_dir() == Path("/data/sw/safetywashing-paper")


def test_fetch_downloads_verifies_and_then_uses_the_cache(paper_server: str, cache: Path) -> None:
    first = fetch.fetch_paper(base_url=paper_server)
    assert sorted(first.downloaded) == sorted(fetch.PAPER_FILES)
    assert first.cached == ()
    assert sorted(p.name for p in (cache / "safetywashing-paper").iterdir()) == sorted(
        fetch.PAPER_FILES
    )
    second = fetch.fetch_paper(base_url=paper_server)
    assert second.downloaded == ()
    assert sorted(second.cached) == sorted(fetch.PAPER_FILES)


def test_base_url_comes_from_the_environment(
    paper_server: str, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(fetch.BASE_URL_ENV, paper_server.rstrip("/"))
    result = fetch.fetch_paper()
    assert result.base_url == paper_server
    assert len(result.downloaded) == 3


def test_corrupt_download_is_refused_and_nothing_is_cached(
    corrupt_server: str, cache: Path
) -> None:
    with pytest.raises(InputError) as caught:
        fetch.fetch_paper(base_url=corrupt_server)
    message = str(caught.value)
    assert message.startswith(f"{corrupt_server}benchmarks_chat_models.csv has SHA-256 ")
    assert "not the pinned 5ede9888" in message
    assert "nothing was cached" in message
    assert not (cache / "safetywashing-paper").exists()


def test_unreachable_server_is_one_sentence(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Port 9 on the loopback address: nothing listens there, the connection is refused.
    rc = main(["datasets", "fetch", "paper", "--base-url", "http://127.0.0.1:9/"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("error: Downloading http://127.0.0.1:9/benchmarks_base_models.csv failed")
    assert err.count("\n") == 1


def test_paper_panel_works_offline_without_a_fetch(
    cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 13, failure 8: `check --panel paper-chat` needed `datasets fetch paper`
    # first; the packaged copy now serves it with an empty cache and no network.
    import csv

    rows = list(csv.reader((_paper_folder() / "benchmarks_chat_models.csv").open()))
    column = rows[0].index("ethics_all")
    new = tmp_path / "ethics.csv"
    new.write_text(
        "model,ethics\n" + "".join(f"{row[0]},{row[column]}\n" for row in rows[1:]),
        encoding="utf-8",
    )
    assert main(["check", str(new), "--panel", "paper-chat", "--format", "latex"]) == 0
    assert not (cache / "safetywashing-paper").exists()
    # The paper's chat capabilities correlation of ETHICS: 82.2 (its README's table).
    assert "\nethics & 26 & 82.2 & " in capsys.readouterr().out


def test_cli_fetch_then_check_offline(
    paper_server: str, cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["datasets", "fetch", "paper", "--base-url", paper_server]) == 0
    assert capsys.readouterr().out.strip() == str(cache / "safetywashing-paper")
    # The paper's own ethics_all column checked as a "new" benchmark reproduces the
    # paper's chat capabilities correlation (82.2%, README of the reference data).
    import csv

    rows = list(csv.reader((cache / "safetywashing-paper" / "benchmarks_chat_models.csv").open()))
    column = rows[0].index("ethics_all")
    new = tmp_path / "ethics.csv"
    new.write_text(
        "model,ethics\n" + "".join(f"{row[0]},{row[column]}\n" for row in rows[1:]),
        encoding="utf-8",
    )
    assert main(["check", str(new), "--panel", "paper-chat", "--format", "latex"]) == 0
    # Compute correlation: scipy's Spearman over the 21 chat models with FLOP.
    from scipy.stats import spearmanr

    flop_column = rows[0].index("FLOP")
    pairs = [(float(r[flop_column]), float(r[column])) for r in rows[1:] if r[flop_column]]
    expected = 100 * spearmanr(*zip(*pairs, strict=True)).statistic
    assert len(pairs) == 21
    # --format latex prints the whole booktabs table; its one row:
    out = capsys.readouterr().out
    assert r"\begin{table}" in out
    # The row: n, correlation, its interval (Fisher's z by default), compute correlation.
    row = next(line for line in out.splitlines() if line.startswith("ethics & "))
    assert row.startswith("ethics & 26 & 82.2 & [")
    assert row.endswith(f"] & {expected:.1f} & 21 \\\\")


@pytest.mark.parametrize(
    ("base_url", "start"),
    [
        ("example.com/data/", "error: example.com/data/benchmarks_base_models.csv is not a URL"),
        ("http://exa mple.com/", "error: http://exa mple.com/benchmarks_base_models.csv is not"),
    ],
    ids=["no-scheme", "space-in-host"],
)
def test_a_base_url_that_is_not_a_url_is_one_sentence(
    cache: Path, capsys: pytest.CaptureFixture[str], base_url: str, start: str
) -> None:
    # Both used to end in a ValueError / InvalidURL traceback.
    rc = main(["datasets", "fetch", "paper", "--base-url", base_url])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith(start)
    assert "file:///path/" in err
    assert err.count("\n") == 1


def test_an_unwritable_cache_is_one_sentence(
    paper_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cache folder's parent is a file, so the folder cannot be created (as root too).
    blocker = tmp_path / "blocker"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv(fetch.DATA_DIR_ENV, str(blocker / "cache"))
    with pytest.raises(InputError, match=r"^Cannot write .*blocker/cache/safetywashing-paper/"):
        fetch.fetch_paper(base_url=paper_server)
