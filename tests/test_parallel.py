"""Schedulers: the same seed gives the same bytes wherever the chunks run.

The reference for every comparison is the run in this process (``scheduler="serial"``);
a Dask ``LocalCluster`` with two worker processes stands in for a cluster.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from safetywashing.cli.app import main
from safetywashing.core import parallel
from safetywashing.core.errors import InputError
from safetywashing.core.parallel import Scheduler, resolve_scheduler, run_chunks
from safetywashing.datasets import load_demo_panel
from safetywashing.datasets.simulate import simulate_panel
from safetywashing.power.compute import power_analysis
from safetywashing.report.tables import to_json
from safetywashing.stats.bootstrap import DRAW_BLOCK
from safetywashing.stats.permutation import (
    permutation_blocks,
    permutation_counts,
    permutation_pvalues,
)
from safetywashing.uncertainty.compute import bootstrap_audit

PAPER_CHAT = Path(__file__).resolve().parents[1] / (
    "src/safetywashing/datasets/reference/safetywashing-paper/benchmarks_chat_models.csv"
)


def _document(scheduler: Any, **settings: Any) -> str:
    found = bootstrap_audit(
        load_demo_panel(), n_resamples=600, seed=11, scheduler=scheduler, **settings
    )
    return to_json(found.apply())


@pytest.fixture(scope="module")
def serial_document() -> str:
    return _document("serial")


def _gappy_document(scheduler: Any, **settings: Any) -> str:
    """BCa (its jackknife in chunks of 16 models) and 4 blocks of permutations on a
    panel whose safety columns have many missing-value patterns."""
    safety = {f"s{j}": (j % 5 - 2) / 3 for j in range(12)}
    table = simulate_panel(n_models=48, safety=safety, missing_fraction=0.15, rng=5).table
    found = bootstrap_audit(
        table,
        n_resamples=300,
        seed=4,
        interval="bca",
        chunk_size=16,
        permutations=3 * DRAW_BLOCK + 7,
        scheduler=scheduler,
        **settings,
    )
    return to_json(found.apply())


@pytest.fixture(scope="module")
def serial_gappy() -> str:
    return _gappy_document("serial")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    import dask

    with (
        dask.config.set({"distributed.nanny.pre-spawn-environ": parallel.WORKER_ENVIRONMENT}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as local,
    ):
        yield local


# -- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "kind", "address"),
    [
        ("serial", "serial", None),
        ("threads", "threads", None),
        ("processes", "processes", None),
        ("dask://10.0.0.5:8786", "dask", "tcp://10.0.0.5:8786"),
        ("tcp://scheduler.local:8786", "dask", "tcp://scheduler.local:8786"),
        ("dask://[::1]:8786", "dask", "tcp://[::1]:8786"),
    ],
)
def test_scheduler_names_resolve(spec: str, kind: str, address: str | None) -> None:
    found = resolve_scheduler(spec, workers=1)
    assert (found.kind, found.address) == (kind, address)
    assert not found.automatic


@pytest.mark.parametrize("spec", ["thread", "dask://host", "dask://host:port", "http://h:1", ""])
def test_an_unknown_scheduler_is_one_sentence(spec: str) -> None:
    with pytest.raises(InputError, match=r"^scheduler='.*' is not a scheduler; give local"):
        resolve_scheduler(spec)


@pytest.mark.parametrize("workers", [0, -2, True])
def test_workers_must_be_positive(workers: int) -> None:
    with pytest.raises(InputError, match="must be a positive number of workers"):
        resolve_scheduler("threads", workers=workers)


def test_the_default_runs_small_work_in_place() -> None:
    default = resolve_scheduler(None, workers=2)
    assert default == Scheduler("threads", 2, automatic=True)
    assert default.for_work(parallel.PARALLEL_MIN_CELLS - 1).kind == "serial"
    assert default.for_work(parallel.PARALLEL_MIN_CELLS).kind == "threads"
    # An explicit choice is kept whatever the size of the work.
    assert resolve_scheduler("threads", workers=2).for_work(1).kind == "threads"


# -- running chunks --------------------------------------------------------------------------


def _slow_square(delay: float, task: int) -> int:
    # Later tasks finish first, so the order of the results is the runner's doing.
    time.sleep(delay * (5 - task))
    return task * task


@pytest.mark.parametrize(
    "kind",
    [
        "threads",
        pytest.param("processes", marks=pytest.mark.sweep),
        pytest.param("serial", marks=pytest.mark.sweep),
    ],
)
def test_results_come_back_in_task_order(kind: str) -> None:
    seen: list[int] = []
    lock = threading.Lock()

    def done(count: int) -> None:
        with lock:
            seen.append(count)

    found = run_chunks(Scheduler(kind, 3), _slow_square, 0.02, list(range(5)), on_done=done)  # type: ignore[arg-type]
    assert found == [0, 1, 4, 9, 16]
    assert seen == [1, 2, 3, 4, 5]


def _fail_on_three(_: None, task: int) -> int:
    if task == 3:
        raise ZeroDivisionError("task 3")
    return task


@pytest.mark.parametrize("kind", ["threads", pytest.param("processes", marks=pytest.mark.sweep)])
def test_a_failing_chunk_raises_its_own_error(kind: str) -> None:
    with pytest.raises(ZeroDivisionError, match="task 3"):
        run_chunks(Scheduler(kind, 2), _fail_on_three, None, list(range(6)))  # type: ignore[arg-type]


# -- the same bytes ----------------------------------------------------------------------------


def test_permutation_counts_of_disjoint_blocks_add_up() -> None:
    rng = np.random.default_rng(5)
    reference = rng.normal(size=40)
    values = rng.normal(size=(40, 3)) + reference[:, None] * [0.0, 0.3, 0.9]
    values[:4, 1] = np.nan
    n = 3 * DRAW_BLOCK + 17
    seed = np.random.SeedSequence(9)
    blocks = permutation_blocks(n)
    assert blocks == 4
    parts = [
        permutation_counts(reference, values, n, seed, blocks=range(b, b + 1))
        for b in range(blocks)
    ]
    exceed = np.sum([part[0] for part in parts], axis=0)
    whole = permutation_pvalues(reference, values, n, seed)
    np.testing.assert_array_equal((1.0 + exceed) / (1.0 + n), whole)


@pytest.mark.parametrize(
    ("scheduler", "workers"),
    [
        ("processes", 2),
        pytest.param("threads", 2, marks=pytest.mark.sweep),
        pytest.param("threads", 3, marks=pytest.mark.sweep),
        pytest.param("local", 2, marks=pytest.mark.sweep),
    ],
)
def test_local_schedulers_give_the_serial_bytes(
    serial_document: str, scheduler: str, workers: int
) -> None:
    # A Scheduler made directly keeps its worker count (resolve_scheduler would lower 3 to
    # the cores of a 2-core machine), so an odd number of workers is tested everywhere.
    chosen = Scheduler(scheduler, workers) if scheduler != "local" else scheduler  # type: ignore[arg-type]
    settings = {"workers": workers} if scheduler == "local" else {}
    assert _document(chosen, **settings) == serial_document


@pytest.mark.parametrize(
    ("scheduler", "workers"),
    [("threads", 2), ("processes", 2), pytest.param("threads", 3, marks=pytest.mark.sweep)],
)
def test_chunked_jackknife_and_permutations_give_the_serial_bytes(
    serial_gappy: str, scheduler: str, workers: int
) -> None:
    assert '"bca": [' in serial_gappy and '"p_value": 0.' in serial_gappy
    assert _gappy_document(Scheduler(scheduler, workers)) == serial_gappy  # type: ignore[arg-type]


def _blas_threads(_: None, task: int) -> int:
    from threadpoolctl import threadpool_info

    return max(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas")


@pytest.mark.parametrize("kind", ["threads", pytest.param("processes", marks=pytest.mark.sweep)])
def test_chunks_side_by_side_get_one_blas_thread_each(kind: str) -> None:
    pytest.importorskip("threadpoolctl")
    found = run_chunks(Scheduler(kind, 2), _blas_threads, None, [0, 1, 2])  # type: ignore[arg-type]
    assert found == [1, 1, 1]


def test_chunk_size_does_not_change_the_bytes(serial_document: str) -> None:
    assert _document("threads", workers=2, chunk_size=37) == serial_document


@pytest.mark.slow
def test_a_dask_cluster_with_two_workers_gives_the_serial_bytes(
    serial_document: str, cluster: Any
) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.Client(cluster) as client:
        assert _document(client) == serial_document
    # By address, as the command line's --scheduler dask://HOST:PORT does.
    address = cluster.scheduler_address.replace("tcp://", "dask://")
    assert _document(address) == serial_document


@pytest.mark.slow
def test_a_dask_cluster_gives_the_serial_bytes_of_the_jackknife_and_permutations(
    serial_gappy: str, cluster: Any
) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.Client(cluster) as client:
        assert _gappy_document(client) == serial_gappy


@pytest.mark.slow
@pytest.mark.sweep
def test_the_command_line_on_a_dask_cluster_gives_the_serial_bytes(
    cluster: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["audit", str(PAPER_CHAT), "--preset", "paper", "--format", "json"]
    argv += ["--bootstrap", "400", "--seed", "2"]
    assert main([*argv, "--scheduler", "serial"]) == 0
    serial = capsys.readouterr().out
    address = cluster.scheduler_address.replace("tcp://", "dask://")
    assert main([*argv, "--scheduler", address]) == 0
    assert capsys.readouterr().out == serial
    assert main([*argv, "--scheduler", "processes", "--workers", "2"]) == 0
    assert capsys.readouterr().out == serial


@pytest.mark.parametrize("engine", ["fisher", "bootstrap"])
def test_power_is_the_same_whichever_scheduler(engine: str) -> None:
    settings: dict[str, Any] = {"rho": 0.5, "models": [12, 20], "seed": 3, "engine": engine}
    settings["panels"] = 6 if engine == "bootstrap" else 300
    settings["n_resamples"] = 200
    serial = power_analysis(**settings, scheduler="serial")
    threads = power_analysis(**settings, scheduler="threads", workers=2)
    assert threads.to_dict() == serial.to_dict()


# -- refusals ----------------------------------------------------------------------------------


def test_dask_without_the_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(InputError, match=r"pip install 'safetywashing\[distributed\]'"):
        _document("dask://127.0.0.1:8786")


def test_an_unreachable_dask_scheduler_is_one_sentence(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(parallel, "CONNECT_SECONDS", 1)
    argv = ["audit", str(PAPER_CHAT), "--preset", "paper", "--bootstrap", "300"]
    code = main([*argv, "--scheduler", "dask://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines()[-1] == (
        "error: No Dask scheduler answered at tcp://127.0.0.1:9 within 1 s; start one there "
        "(dask scheduler, then dask worker tcp://127.0.0.1:9), or check the host and port."
    )
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--scheduler", "gpu"], "--scheduler gpu is not a scheduler"),
        (["--workers", "0"], "--workers 0 must be a positive number of workers"),
    ],
)
def test_command_line_refusals(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["audit", str(PAPER_CHAT), "--preset", "paper", "--bootstrap", "300", *argv])
    assert code == 2
    assert message in capsys.readouterr().err


def test_scheduler_needs_bootstrap(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(PAPER_CHAT), "--scheduler", "threads"]) == 2
    assert "--scheduler needs --bootstrap N" in capsys.readouterr().err


@pytest.mark.parametrize(
    "scheduler", ["threads", pytest.param("processes", marks=pytest.mark.sweep)]
)
def test_robustness_refits_are_the_same_whichever_scheduler(scheduler: str) -> None:
    from safetywashing.robustness.compute import robustness_audit

    serial = robustness_audit(load_demo_panel(), scheduler="serial")
    other = robustness_audit(load_demo_panel(), scheduler=scheduler, workers=2)
    assert other.to_dict() == serial.to_dict()
    kinds = serial["chat"].variant_kinds
    assert (kinds.count("capability"), kinds.count("measure")) == (12, 5)
    assert kinds.count("family") >= 2
