"""Where seeded chunks of work run: in this process, on local threads or processes, or on Dask.

The resampling analyses (bootstrap, permutation tests, the bootstrap engine of the
power analysis) cut their work into chunks whose results depend only on the root seed
and the chunk's position, never on which worker ran it or in what order. This module
runs such chunks and returns their results in chunk order, so that a result is the same
bytes whatever the scheduler and the number of workers.

Schedulers, by name (the command line's ``--scheduler``):

``local`` (the default)
    Threads on this machine, one per core (or ``workers``), for work large enough to
    gain from them (:data:`PARALLEL_MIN_CELLS`); smaller work runs in place.
``serial``
    One chunk after another in this process.
``threads``, ``processes``
    A local pool of threads or of processes (``workers`` of them).
``dask://HOST:PORT`` (or ``tcp://HOST:PORT``)
    The workers of a running ``dask.distributed`` scheduler. Needs the optional
    dependency: ``pip install 'safetywashing[distributed]'``.

A ``distributed.Client`` (e.g. of a ``LocalCluster``) can be passed from Python instead
of a name.

Chunks that run side by side each get one BLAS thread: a pool of threads runs with the
BLAS libraries held to one thread for the time of the run, and a pool of processes
holds each worker to one (with :mod:`threadpoolctl` where it is installed; Dask's
workers get the same from their environment). Otherwise two chunks' matrix products
would each start a BLAS thread per core and fight over the cores: on two cores,
``threads`` then ran slower than ``serial``.

Dask's workers start with ``MALLOC_TRIM_THRESHOLD_=65536``, which makes glibc map and
unmap every large temporary array afresh: a bootstrap chunk then ran 3.5 times slower on
a worker than in this process. Start workers with :data:`WORKER_ENVIRONMENT` (the README
shows how; ``benchmarks/bench_distributed.py`` measures both).
"""

from __future__ import annotations

import dataclasses
import gc
import os
import re
import sys
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar

from safetywashing.core.errors import InputError, InputWarning

if TYPE_CHECKING:
    from concurrent.futures import Executor

__all__ = [
    "PARALLEL_MIN_CELLS",
    "SERIAL",
    "WORKER_ENVIRONMENT",
    "Scheduler",
    "SchedulerSpec",
    "available_cores",
    "connected",
    "resolve_scheduler",
    "run_chunks",
]

Shared = TypeVar("Shared")
Task = TypeVar("Task")
Outcome = TypeVar("Outcome")

SchedulerKind: TypeAlias = Literal["serial", "threads", "processes", "dask"]

#: Below this many cells of work (resamples x models x columns), the ``local``
#: scheduler runs in place. A judgment between two measurements: on the 15-model demo
#: panel (about 10^6 cells for 2,000 resamples) two threads took 0.95 s against 0.41 s in
#: place, and on a 10,000 x 100 panel (2.6 x 10^8 cells for 256 resamples) two workers
#: ran 1.74 times as fast as one process (benchmarks/bench_distributed.py).
PARALLEL_MIN_CELLS = 200_000_000

#: Environment for Dask workers: large arrays come from the heap and stay there between
#: chunks instead of being mapped afresh (see the module's note); BLAS on one thread per
#: worker, as Dask sets by default.
WORKER_ENVIRONMENT: dict[str, str] = {
    "MALLOC_MMAP_THRESHOLD_": str(32 * 2**20),
    "MALLOC_TRIM_THRESHOLD_": str(2**30),
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}

#: Seconds to wait for a Dask scheduler to answer.
CONNECT_SECONDS = 10

_ADDRESS = re.compile(r"^(?:dask|tcp)://(?P<host>[^\s:/]+|\[[0-9a-fA-F:]+\]):(?P<port>\d{1,5})/?$")


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on every platform
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Scheduler:
    """A resolved scheduler: what runs the chunks, and how many at once.

    Build with :func:`resolve_scheduler`.
    """

    #: {"serial", "threads", "processes", "dask"}
    kind: SchedulerKind
    #: Chunks that run at once (for Dask, the cluster decides; 0 means unknown).
    workers: int
    #: The Dask scheduler's address, for ``kind="dask"`` given by name.
    address: str | None = None
    #: A client passed in by the caller (left open after use).
    client: Any = None
    #: Chosen by default (``local``): small work runs in place (see :meth:`for_work`).
    automatic: bool = False

    @property
    def tasks_wanted(self) -> int:
        """How many chunks to cut a job into: several per worker even out unequal ones.

        1 in place; a Dask cluster's size is not known here, so many small tasks.
        """
        if self.kind == "serial":
            return 1
        return 4 * (self.workers if self.kind != "dask" else 32)

    def for_work(self, cells: float) -> Scheduler:
        """This scheduler, or running in place when it is automatic and ``cells`` small."""
        if self.automatic and cells < PARALLEL_MIN_CELLS:
            return SERIAL
        return self


#: One chunk after another in this process.
SERIAL = Scheduler("serial", 1)

#: What callers may pass for a scheduler: a name, an address, a resolved scheduler, a
#: ``distributed.Client``, or None for the default.
SchedulerSpec: TypeAlias = "str | Scheduler | Any | None"


def resolve_scheduler(spec: SchedulerSpec = None, workers: int | None = None) -> Scheduler:
    """Turn a scheduler name, an address or a Dask client into a :class:`Scheduler`.

    Parameters
    ----------
    spec : str, Scheduler, distributed.Client or None
        ``"local"`` (the default), ``"serial"``, ``"threads"``, ``"processes"``, or
        ``"dask://HOST:PORT"``.
    workers : int, optional
        Local threads or processes; by default one per core, and never more (a larger
        number is lowered to it, with a warning).

    Examples
    --------
    >>> resolve_scheduler("serial").kind
    'serial'
    >>> resolve_scheduler("threads", workers=1).workers
    1
    >>> resolve_scheduler("dask://127.0.0.1:8786").address
    'tcp://127.0.0.1:8786'
    """
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise InputError(
            f"workers={workers} must be a positive number of workers",
            param="workers",
            remedy="give workers=1 or more, or leave it out for one per core",
        )
    cores = available_cores()
    if workers is not None and workers > cores:
        # More local workers than cores only adds start-up and memory (each chunk is
        # compute-bound); a million of them would exhaust the machine.
        warnings.warn(
            f"workers={workers} is more than the {cores} cores this process may run on; "
            f"{cores} are used.",
            InputWarning,
            stacklevel=2,
        )
        workers = cores
    count = workers or cores
    if isinstance(spec, Scheduler):
        return spec
    if spec is None or spec == "local":
        return Scheduler("threads" if count > 1 else "serial", count, automatic=True)
    if isinstance(spec, str):
        if spec == "serial":
            return SERIAL
        if spec in ("threads", "processes"):
            return Scheduler(spec, count)  # type: ignore[arg-type]
        match = _ADDRESS.match(spec.strip())
        if match:
            return Scheduler("dask", 0, address=f"tcp://{match['host']}:{match['port']}")
        raise InputError(
            f"scheduler='{spec}' is not a scheduler",
            param="scheduler",
            remedy="give local, serial, threads, processes or dask://HOST:PORT",
        )
    if hasattr(spec, "submit") and hasattr(spec, "gather") and hasattr(spec, "scatter"):
        return Scheduler("dask", 0, client=spec)
    raise InputError(
        f"scheduler={type(spec).__name__} is not a scheduler",
        param="scheduler",
        remedy="give a name (local, serial, threads, processes), dask://HOST:PORT or a "
        "distributed.Client",
    )


def run_chunks(
    scheduler: Scheduler,
    function: Callable[[Shared, Task], Outcome],
    shared: Shared,
    tasks: Sequence[Task],
    *,
    on_done: Callable[[int], None] | None = None,
) -> list[Outcome]:
    """``[function(shared, task) for task in tasks]``, run by ``scheduler``.

    Parameters
    ----------
    scheduler : Scheduler
    function : callable
        A module-level function (processes and Dask workers import it by name).
    shared : object
        The inputs every chunk reads; sent once to each process or Dask worker.
    tasks : sequence
        One small description per chunk (e.g. a range of resample numbers).
    on_done : callable, optional
        ``on_done(finished)`` after each chunk, with the number finished so far.

    Returns
    -------
    list
        The chunks' results, in the order of ``tasks`` whatever order they finished in.
    """
    if scheduler.kind == "serial" or len(tasks) <= 1:
        in_order = []
        for finished, task in enumerate(tasks, start=1):
            in_order.append(function(shared, task))
            if on_done is not None:
                on_done(finished)
        return in_order
    if scheduler.kind == "dask":
        return _run_on_dask(scheduler, function, shared, tasks, on_done)
    # Imported here: the pools pull in multiprocessing, sockets and logging, which a
    # serial run (the demo audit) never needs.
    from concurrent.futures import as_completed

    with _one_blas_thread(), _local_executor(scheduler, shared, len(tasks)) as executor:
        if scheduler.kind == "threads":
            futures = {executor.submit(function, shared, task): i for i, task in enumerate(tasks)}
        else:
            futures = {
                executor.submit(_call_installed, function, task): i for i, task in enumerate(tasks)
            }
        results: list[Any] = [None] * len(tasks)
        try:
            for finished, future in enumerate(as_completed(futures), start=1):
                results[futures[future]] = future.result()
                if on_done is not None:
                    on_done(finished)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return results


def _local_executor(scheduler: Scheduler, shared: Any, n_tasks: int) -> Executor:
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    workers = min(scheduler.workers, n_tasks)
    if scheduler.kind == "threads":
        return ThreadPoolExecutor(max_workers=workers)
    import multiprocessing

    # forkserver starts workers from a clean process that holds none of this one's
    # threads (fork could copy a held lock); spawn where forkserver does not exist.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_install, initargs=(shared,)
    )


# -- worker processes ------------------------------------------------------------------------

_INSTALLED: dict[str, Any] = {}


def _install(shared: Any) -> None:
    """Keep the shared inputs in a worker process (sent once, not with every chunk).

    The worker is one of several side by side: its BLAS gets one thread for good.
    """
    _INSTALLED["shared"] = shared
    _INSTALLED["blas"] = _one_blas_thread()
    _INSTALLED["blas"].__enter__()


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """BLAS (OpenBLAS, MKL, BLIS) and OpenMP held to one thread inside the block.

    Without :mod:`threadpoolctl` the libraries keep their own settings (the
    environment's ``OPENBLAS_NUM_THREADS`` and the like, as :data:`WORKER_ENVIRONMENT`).
    """
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1):
        yield


def _call_installed(function: Callable[[Any, Any], Any], task: Any) -> Any:
    return function(_INSTALLED["shared"], task)


# -- Dask ------------------------------------------------------------------------------------


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise InputError(
            "The Dask scheduler needs the optional dependency dask.distributed, which is "
            "not installed",
            param="scheduler",
            remedy="install it with pip install 'safetywashing[distributed]', or leave "
            "scheduler out to use this machine's cores",
        ) from None
    return distributed


@contextmanager
def connected(scheduler: Scheduler) -> Iterator[Scheduler]:
    """The scheduler, connected once for a block of work (a Dask address gets a client).

    Other schedulers, and a client the caller passed in, are yielded as they are.
    """
    if scheduler.kind != "dask" or scheduler.client is not None:
        yield scheduler
        return
    distributed = _distributed()
    failure: str | None = None
    # A half-made client closes itself when collected, waiting out its own timeout and
    # printing what that raised; nothing of it reaches the user.
    previous_hook = sys.unraisablehook
    sys.unraisablehook = lambda _: None
    try:
        client = distributed.Client(
            scheduler.address, timeout=f"{CONNECT_SECONDS}s", set_as_default=False
        )
    except (OSError, TimeoutError):
        failure = f"No Dask scheduler answered at {scheduler.address} within {CONNECT_SECONDS} s"
    except Exception as error:  # what a server that is not a scheduler makes Dask raise
        failure = (
            f"What answered at {scheduler.address} is not a Dask scheduler "
            f"({type(error).__name__} while connecting)"
        )
    finally:
        if failure is not None:
            gc.collect()
        sys.unraisablehook = previous_hook
    if failure is not None:
        raise InputError(
            failure,
            param="scheduler",
            remedy=f"start one there (dask scheduler, then dask worker {scheduler.address}), "
            "or check the host and port",
        )
    try:
        yield dataclasses.replace(scheduler, client=client)
    finally:
        client.close()


@contextmanager
def _cluster_failures(scheduler: Scheduler) -> Iterator[None]:
    """A cluster that cannot do the work (no workers, a worker lost) as one sentence."""
    try:
        yield
    except InputError:
        raise
    except (TimeoutError, OSError) as error:
        raise InputError(
            f"The Dask cluster at {scheduler.address or 'the client'} did not take the work "
            f"({type(error).__name__}: no worker answered within {CONNECT_SECONDS} s)",
            param="scheduler",
            remedy="start workers for it (dask worker ADDRESS), or leave --scheduler out to "
            "use this machine's cores",
        ) from None
    except Exception as error:
        if not type(error).__module__.startswith(("distributed", "concurrent", "asyncio")):
            raise
        raise InputError(
            f"The Dask cluster at {scheduler.address or 'the client'} lost the work "
            f"({type(error).__name__}, e.g. a worker that stopped)",
            param="scheduler",
            remedy="run again when its workers are up, or leave --scheduler out to use "
            "this machine's cores",
        ) from None


def _run_on_dask(
    scheduler: Scheduler,
    function: Callable[[Any, Any], Any],
    shared: Any,
    tasks: Sequence[Any],
    on_done: Callable[[int], None] | None,
) -> list[Any]:
    distributed = _distributed()
    with connected(scheduler) as live, _cluster_failures(scheduler):
        client = live.client
        remote = client.scatter(shared, broadcast=True, hash=False, timeout=CONNECT_SECONDS)
        run = uuid.uuid4().hex
        futures = [
            client.submit(function, remote, task, pure=False, key=f"safetywashing-{run}-{i}")
            for i, task in enumerate(tasks)
        ]
        index = {future.key: i for i, future in enumerate(futures)}
        results: list[Any] = [None] * len(tasks)
        try:
            for finished, future in enumerate(
                distributed.as_completed(futures, loop=client.loop), start=1
            ):
                results[index[future.key]] = future.result()
                if on_done is not None:
                    on_done(finished)
        finally:
            client.cancel(futures)
            client.cancel([remote])
        return results
