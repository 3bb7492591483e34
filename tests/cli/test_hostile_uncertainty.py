"""Hostile settings of the bootstrap: every run bounded, no interval from too little."""

from __future__ import annotations

import json

import pytest

from safetywashing.cli.app import main
from safetywashing.core.limits import MAX_RESAMPLES


def _audit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object], str]:
    code = main(["audit", "--seed", "1", "--format", "json", *args])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if code == 0 else {}, captured.err


@pytest.mark.parametrize(
    ("alpha", "needed"),
    [
        # Before: 149,999 permutations per class, past the documented 100,000 limit.
        ("0.001", "149,999"),
        # Before: about 1.5e302 permutations, so the run never returned.
        ("1e-300", "about 1.5e+302"),
    ],
)
def test_a_tiny_alpha_draws_at_most_the_allowed_permutations_and_says_so(
    capsys: pytest.CaptureFixture[str], alpha: str, needed: str
) -> None:
    code, document, err = _audit(capsys, "--bootstrap", "20", "--alpha", alpha)
    assert code == 0
    classes = document["uncertainty"]["classes"]  # type: ignore[index]
    assert {name: c["permutations"] for name, c in classes.items()} == {
        "base": MAX_RESAMPLES,
        "chat": MAX_RESAMPLES,
    }
    assert (
        f"warning: alpha={float(alpha):g} with bh over 15 tests among the base models would "
        f"need {needed} permutations, more than the 100,000 allowed; 100,000 were drawn, so no "
        "adjusted p-value can be below 0.00015 (raise alpha, or give fewer tests)."
    ) in err


def test_one_resample_gives_no_class_interval(capsys: pytest.CaptureFixture[str]) -> None:
    # Before: variance explained and score vs compute got an "interval" [x, x] from the one
    # resample, while every benchmark rightly had none (an interval needs 200 at 95%).
    code, document, _ = _audit(capsys, "--bootstrap", "1", "--permutations", "0")
    assert code == 0
    for found in document["uncertainty"]["classes"].values():  # type: ignore[index]
        for key in ("variance_explained", "score_compute_correlation"):
            assert found[key]["estimate"] is not None
            assert (found[key]["low"], found[key]["high"]) == (None, None)


def test_local_workers_are_capped_by_the_cores(capsys: pytest.CaptureFixture[str]) -> None:
    # Before: --workers 1000000 started a process per chunk (124 on the demo panel).
    code, document, err = _audit(
        capsys, "--bootstrap", "200", "--scheduler", "processes", "--workers", "1000000"
    )
    assert code == 0
    assert "warning: workers=1000000 is more than the" in err
    assert "cores this process may run on;" in err
    reference = _audit(capsys, "--bootstrap", "200", "--scheduler", "serial")[1]
    assert document["uncertainty"] == reference["uncertainty"]  # same numbers either way


def _serve_garbage() -> int:
    """A TCP server on 127.0.0.1 that answers every connection with bytes that are not Dask's."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def answer() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                connection.sendall(b"garbage\x00\xff" * 100)

    threading.Thread(target=answer, daemon=True).start()
    return int(server.getsockname()[1])


def test_a_server_that_is_not_a_dask_scheduler_is_one_sentence(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("distributed")
    port = _serve_garbage()
    # Before: a MemoryError (Dask read the garbage as a 25 PiB frame), then a traceback.
    code, _, err = _audit(capsys, "--bootstrap", "200", "--scheduler", f"dask://127.0.0.1:{port}")
    assert code == 2
    assert err.strip().endswith(
        f"error: What answered at tcp://127.0.0.1:{port} is not a Dask scheduler (MemoryError "
        f"while connecting); start one there (dask scheduler, then dask worker "
        f"tcp://127.0.0.1:{port}), or check the host and port."
    )
    assert "Traceback" not in err


def test_a_cluster_that_loses_the_work_is_one_sentence() -> None:
    from safetywashing.core import parallel
    from safetywashing.core.errors import InputError

    class FutureCancelledError(Exception):
        """What distributed raises for the futures of a worker that was killed."""

    FutureCancelledError.__module__ = "distributed.client"
    scheduler = parallel.Scheduler("dask", 0, address="tcp://10.0.0.5:8786")
    with pytest.raises(InputError) as caught, parallel._cluster_failures(scheduler):
        raise FutureCancelledError("lost")
    assert str(caught.value).startswith(
        "The Dask cluster at tcp://10.0.0.5:8786 lost the work (FutureCancelledError, e.g. a "
        "worker that stopped)"
    )
    with (
        pytest.raises(InputError, match="did not take the work"),
        parallel._cluster_failures(scheduler),
    ):
        raise TimeoutError("no workers")
