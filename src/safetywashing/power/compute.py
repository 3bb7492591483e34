"""Power analysis: how many models does a benchmark author need?

For each panel size, simulate many panels from the latent-capability factor model of
:mod:`safetywashing.datasets.simulate` (a safety benchmark with planted correlation ``rho`` with
the latent capability; 12 capability benchmarks with loadings drawn from [0.75, 0.95]),
and run the audit's estimator on each: standardize, PC1 of the capability benchmarks'
Spearman matrix, Spearman correlation of the safety benchmark with the score. Every row
reports, for that panel size:

- **power** in the conventional sense: the share of panels in which a two-sided
  level-``alpha`` test rejects a zero capabilities correlation;
- the share of panels whose interval shows **entangled** (above ``+T``), **inverse**
  (below ``-T``) or **distinct** (inside the lines), and inconclusive;
- the mean interval width and its coverage of the true value.

Two engines. ``"fisher"`` (the default, fast: a few seconds for thousands of panels)
simulates the estimator exactly, batched in numpy, and reads each panel with the
Fisher-z approximation of a Spearman correlation (test and interval; see
:mod:`safetywashing.stats.fisher`). ``"bootstrap"`` runs the audit's own bootstrap
interval and permutation test on every panel (what the audit does; slow); the two are
compared in ``tests/test_power.py`` and ``benchmarks/bench_power.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from safetywashing.audit.compute import audit
from safetywashing.core.config import AuditConfig
from safetywashing.core.decision import PAPER_THRESHOLD, VERDICTS, DecisionRule
from safetywashing.core.errors import InputError
from safetywashing.core.parallel import (
    SERIAL,
    Scheduler,
    SchedulerSpec,
    resolve_scheduler,
    run_chunks,
)
from safetywashing.core.progress import ProgressCallback, report_to
from safetywashing.datasets.simulate import population_capabilities_correlation, simulate_panel
from safetywashing.power.result import PowerResult, PowerRow
from safetywashing.stats.fisher import fisher_z, standard_error
from safetywashing.stats.intervals import IntervalKind
from safetywashing.uncertainty.compute import bootstrap_with
from safetywashing.uncertainty.settings import UncertaintySettings
from safetywashing.uncertainty.units import MIN_BOOTSTRAP_MODELS

FloatArray = npt.NDArray[np.float64]
Engine = Literal["fisher", "bootstrap"]
ENGINES: tuple[Engine, ...] = ("fisher", "bootstrap")
#: Most memory one panel size of the Fisher engine may take (:func:`simulation_bytes`):
#: 2,000 panels of 3,000 models and 12 capability benchmarks fit (3.5 GiB).
MAX_POWER_BYTES = 4 * 2**30
#: Bootstrap resamples per simulated panel by default (``engine="bootstrap"``).
POWER_RESAMPLES = 500

__all__ = [
    "ENGINES",
    "POWER_RESAMPLES",
    "PowerJob",
    "PowerResult",
    "PowerRow",
    "bootstrap_panel",
    "fisher_size",
    "power_analysis",
    "simulate_estimates",
    "simulation_bytes",
]


def _ranks(values: FloatArray, axis: int) -> FloatArray:
    # Continuous simulated scores have no ties: ranks are a double argsort.
    return np.argsort(np.argsort(values, axis=axis), axis=axis).astype(np.float64) + 1.0


def simulate_estimates(
    rho: float,
    n_models: int,
    panels: int,
    generator: np.random.Generator,
    *,
    n_capability: int = 12,
) -> tuple[FloatArray, FloatArray]:
    """Capabilities correlations the audit would estimate on simulated panels.

    The same factor model as :func:`safetywashing.datasets.simulate.simulate_panel` (the
    benchmark-like rescaling there is linear per column, so it changes no rank and no
    z-score), batched over panels.

    Returns
    -------
    estimates : ndarray of shape (panels,)
        Spearman correlation of the safety benchmark with the estimated capability score.
    truths : ndarray of shape (panels,)
        The population value each panel's estimate aims at.
    """
    loadings = generator.uniform(0.75, 0.95, size=(panels, n_capability))
    latent = generator.normal(size=(panels, n_models))
    noise = generator.normal(size=(panels, n_models, n_capability))
    capability = latent[:, :, None] * loadings[:, None, :] + noise * np.sqrt(
        1.0 - loadings[:, None, :] ** 2
    )
    safety = rho * latent + np.sqrt(1.0 - rho**2) * generator.normal(size=(panels, n_models))
    z = (capability - capability.mean(axis=1, keepdims=True)) / capability.std(
        axis=1, keepdims=True
    )
    ranks = _ranks(capability, axis=1)
    ranks -= ranks.mean(axis=1, keepdims=True)
    matrix = np.matmul(ranks.transpose(0, 2, 1), ranks)
    diagonal = np.sqrt(np.einsum("pii->pi", matrix))
    matrix /= diagonal[:, :, None] * diagonal[:, None, :]
    _, vectors = np.linalg.eigh(matrix)
    pc1 = vectors[:, :, -1]
    scores = np.einsum("pnk,pk->pn", z, pc1)
    # The audit's sign rule: the score correlates positively with the mean z-score.
    mean_z = z.mean(axis=2)
    sign = np.sign(np.einsum("pn,pn->p", scores - scores.mean(1, keepdims=True), mean_z))
    scores *= np.where(sign == 0, 1.0, sign)[:, None]
    a = _ranks(scores, axis=1)
    b = _ranks(safety, axis=1)
    a -= a.mean(axis=1, keepdims=True)
    b -= b.mean(axis=1, keepdims=True)
    estimates = (a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    truths = np.array([population_capabilities_correlation(row, rho) for row in loadings])
    return np.asarray(estimates, dtype=np.float64), truths


def _check(rho: float, models: Sequence[int], panels: int, n_capability: int, engine: str) -> None:
    if isinstance(rho, bool) or not isinstance(rho, int | float) or not -1.0 <= rho <= 1.0:
        raise InputError(f"rho={rho} is not a correlation in [-1, 1]", param="rho")
    if not models:
        raise InputError(
            "No panel sizes are given", param="models", remedy="give e.g. models=[20, 30, 50]"
        )
    for size in models:
        if isinstance(size, bool) or not isinstance(size, int) or size < MIN_BOOTSTRAP_MODELS:
            raise InputError(
                f"Panel size {size} is too small or not a whole number; the bootstrap "
                f"needs at least {MIN_BOOTSTRAP_MODELS} models, so give sizes of at least "
                f"{MIN_BOOTSTRAP_MODELS}",
                param="models",
            )
    if isinstance(panels, bool) or not isinstance(panels, int) or panels < 1:
        raise InputError(f"panels={panels} is not a whole number of at least 1", param="panels")
    if isinstance(n_capability, bool) or not isinstance(n_capability, int) or n_capability < 2:
        raise InputError(
            f"n_capability={n_capability} is below 2; the capability score needs two",
            param="n_capability",
        )
    if engine not in ENGINES:
        raise InputError(
            f"engine={engine!r} is not one of {', '.join(ENGINES)}",
            param="engine",
            remedy="use engine='fisher' (fast) or engine='bootstrap' (the audit's own)",
        )
    largest = max(models)
    needed = simulation_bytes(largest, panels, n_capability)
    if engine == "fisher" and needed > MAX_POWER_BYTES:
        fitting = MAX_POWER_BYTES // simulation_bytes(largest, 1, n_capability)
        raise InputError(
            f"models={largest} with panels={panels} and n_capability={n_capability} needs "
            f"about {needed / 2**30:.0f} GiB of memory for one panel size, more than the "
            f"{MAX_POWER_BYTES / 2**30:.0f} GiB a simulation may take",
            param=("models", "panels", "n_capability"),
            remedy=f"give at most panels={fitting} at that size, or smaller sizes"
            if fitting >= 1
            else "give smaller sizes or fewer capability benchmarks",
        )


def simulation_bytes(n_models: int, panels: int, n_capability: int) -> int:
    """The peak memory of :func:`simulate_estimates` for one panel size, in bytes.

    About six float64 arrays of panels x models x (capability benchmarks + 1) are alive
    at once (measured: 475 MB for 2,000 panels of 500 models and 12 benchmarks).
    """
    return 6 * 8 * panels * n_models * (n_capability + 1)


def power_analysis(
    *,
    rho: float,
    models: Sequence[int],
    panels: int = 2000,
    confidence: float = 0.95,
    alpha: float = 0.05,
    threshold: float = PAPER_THRESHOLD,
    n_capability: int = 12,
    engine: Engine = "fisher",
    n_resamples: int = POWER_RESAMPLES,
    interval: IntervalKind = "percentile",
    seed: int | None = None,
    progress: ProgressCallback | None = None,
    scheduler: SchedulerSpec = None,
    workers: int | None = None,
) -> PowerResult:
    """Power, chance of each verdict, and interval width for several panel sizes.

    Parameters
    ----------
    rho : float
        Planted correlation of the safety benchmark with the latent capability, in
        [-1, 1]; the row's ``true_correlation`` is the population capabilities
        correlation this implies (slightly smaller in size, as the capability score is
        an imperfect measure of the latent capability).
    models : sequence of int
        Panel sizes, each at least 5.
    panels : int, default 2000
        Simulated panels per size.
    confidence : float, default 0.95
        Level of the intervals behind the verdicts.
    alpha : float, default 0.05
        Level of the two-sided test of a zero correlation (power).
    threshold : float, default 0.40
        Verdict lines at -threshold and +threshold.
    n_capability : int, default 12
    engine : {"fisher", "bootstrap"}, default "fisher"
        Fisher-z test and interval on every simulated estimate (fast), or the audit's
        bootstrap interval and permutation test on every simulated panel (slow).
    n_resamples : int, default 500
        Bootstrap resamples per panel (``engine="bootstrap"`` only).
    interval : {"percentile", "bca"}
        Bootstrap interval (``engine="bootstrap"`` only).
    seed : int, optional
    progress : callable, optional
        ``progress(stage, done, total)`` as panel sizes (or panels) finish.
    scheduler : str or distributed.Client, optional
        Where panel sizes (Fisher engine) or panels (bootstrap engine) run; see
        :mod:`safetywashing.core.parallel`. The result is the same whichever runs it.
    workers : int, optional
        Local threads or processes (one per core by default).

    Returns
    -------
    PowerResult

    Examples
    --------
    >>> found = power_analysis(rho=0.6, models=[30], panels=400, seed=1)
    >>> row = found.rows[0]
    >>> bool(row.power > 0.9), bool(row.verdicts["entangled"] < 0.5)
    (True, True)
    """
    _check(rho, models, panels, n_capability, engine)
    config = AuditConfig(threshold=threshold)  # the one check of the line
    settings = UncertaintySettings.drawn(
        seed,
        n_resamples=n_resamples,
        confidence=confidence,
        interval=interval,
        alpha=alpha,
        rule=config.rule,
    )
    runner = resolve_scheduler(scheduler, workers)
    job = PowerJob(rho, tuple(models), panels, n_capability, config, settings)
    if engine == "fisher":
        bar = report_to(progress, "power analysis")
        bar(0, len(models))
        rows = run_chunks(
            runner.for_work(panels * sum(models) * (n_capability + 1)),
            fisher_size,
            job,
            list(range(len(models))),
            on_done=lambda done: bar(done, len(models)),
        )
    else:
        rows = _bootstrap_rows(job, runner, progress)
    return PowerResult(
        rho=rho,
        panels=panels,
        n_resamples=n_resamples if engine == "bootstrap" else 0,
        confidence=confidence,
        threshold=threshold,
        interval=interval if engine == "bootstrap" else "fisher-z",
        n_capability=n_capability,
        seed=settings.seed,
        rows=tuple(rows),
        alpha=alpha,
        engine=engine,
    )


def _fisher_row(
    size: int,
    estimates: FloatArray,
    truths: FloatArray,
    confidence: float,
    alpha: float,
    rule: DecisionRule,
) -> PowerRow:
    from statistics import NormalDist

    se = float(standard_error(size))
    z = fisher_z(estimates)
    critical = NormalDist().inv_cdf(1.0 - alpha / 2.0)
    half = NormalDist().inv_cdf(0.5 + confidence / 2.0) * se
    low, high = np.tanh(z - half), np.tanh(z + half)
    verdicts = [rule.verdict(float(lo), float(hi)) for lo, hi in zip(low, high, strict=True)]
    return _row(
        size,
        truths,
        estimates,
        rejected=np.abs(z) / se > critical,
        widths=high - low,
        covered=(low <= truths) & (truths <= high),
        verdicts=verdicts,
    )


def _row(
    size: int,
    truths: FloatArray,
    estimates: FloatArray,
    *,
    rejected: npt.NDArray[np.bool_],
    widths: FloatArray,
    covered: npt.NDArray[np.bool_],
    verdicts: Sequence[str],
) -> PowerRow:
    panels = len(verdicts)
    return PowerRow(
        n_models=size,
        true_correlation=float(np.mean(truths)),
        mean_estimate=float(np.nanmean(estimates)),
        power=float(np.mean(rejected)),
        mean_width=float(np.nanmean(widths)) if np.isfinite(widths).any() else float("nan"),
        coverage=float(np.mean(covered)),
        verdicts={v: sum(1 for x in verdicts if x == v) / panels for v in VERDICTS},
    )


@dataclass(frozen=True)
class PowerJob:
    """The settings every chunk of a power analysis reads.

    ``config`` is the audit's of every simulated panel (its decision line); ``settings``
    hold the levels, the bootstrap engine's resamples and interval, the same rule, and
    the root seed.
    """

    rho: float
    models: tuple[int, ...]
    panels: int
    n_capability: int
    config: AuditConfig
    settings: UncertaintySettings

    @property
    def root(self) -> np.random.SeedSequence:
        """The root of the simulation's random streams."""
        return self.settings.root


def fisher_size(job: PowerJob, position: int) -> PowerRow:
    """The Fisher-engine row of panel size ``job.models[position]`` (one task)."""
    size = job.models[position]
    generator = np.random.default_rng(
        np.random.SeedSequence(entropy=job.root.entropy, spawn_key=(position,))
    )
    estimates, truths = simulate_estimates(
        job.rho, size, job.panels, generator, n_capability=job.n_capability
    )
    settings = job.settings
    return _fisher_row(size, estimates, truths, settings.confidence, settings.alpha, settings.rule)


#: One simulated panel's outcome: truth, estimate, width, covered, rejected, verdict.
PanelOutcome = tuple[float, float, float, bool, bool, str]


def bootstrap_panel(job: PowerJob, panel: tuple[int, int]) -> PanelOutcome:
    """Simulate panel ``number`` of size ``job.models[position]`` and bootstrap it (one task)."""
    position, panel_number = panel
    panel_seed = np.random.SeedSequence(
        entropy=job.root.entropy, spawn_key=(position, panel_number)
    )
    simulated = simulate_panel(
        n_models=job.models[position],
        n_capability=job.n_capability,
        safety={"safety": job.rho},
        rng=np.random.default_rng(panel_seed),
    )
    truth = simulated.true_capabilities_correlation["safety"]
    settings = replace(job.settings, seed=int(panel_seed.generate_state(1)[0]))
    found = bootstrap_with(audit(simulated.table, job.config), settings, SERIAL).classes[0]
    j = found.benchmark_ids.index("safety")
    low, high = found.interval(settings.interval)[:, j]
    return (
        truth,
        float(found.estimate[j]),
        float(high - low),
        bool(low <= truth <= high),
        bool(found.p_value[j] <= settings.alpha),
        found.verdicts[j],
    )


def _bootstrap_rows(
    job: PowerJob, runner: Scheduler, progress: ProgressCallback | None
) -> list[PowerRow]:
    bar = report_to(progress, "power analysis (bootstrap)")
    tasks = [(p, n) for p in range(len(job.models)) for n in range(job.panels)]
    bar(0, len(tasks))
    # Every panel is a whole bootstrap: worth a worker whatever its size.
    outcomes = run_chunks(
        runner.for_work(math.inf),
        bootstrap_panel,
        job,
        tasks,
        on_done=lambda done: bar(done, len(tasks)),
    )
    rows: list[PowerRow] = []
    for position, size in enumerate(job.models):
        mine = outcomes[position * job.panels : (position + 1) * job.panels]
        truths, estimates, widths, covered, rejected, verdicts = zip(*mine, strict=True)
        rows.append(
            _row(
                size,
                np.array(truths),
                np.array(estimates),
                rejected=np.array(rejected),
                widths=np.array(widths),
                covered=np.array(covered),
                verdicts=list(verdicts),
            )
        )
    return rows
