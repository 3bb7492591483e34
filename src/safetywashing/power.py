"""Power analysis: how many models does a benchmark author need?

For each panel size, simulate many panels (with :func:`safetywashing.simulate.simulate_panel`)
in which one safety benchmark has a planted correlation ``rho`` with the latent
capability, run the bootstrap on each, and report the mean interval width and how often
each verdict comes out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from safetywashing.errors import InputError
from safetywashing.simulate import simulate_panel
from safetywashing.stats.intervals import VERDICTS, IntervalKind
from safetywashing.uncertainty import MIN_BOOTSTRAP_MODELS, _Progress, bootstrap_audit


@dataclass(frozen=True)
class PowerRow:
    """Simulated behaviour of the audit at one panel size.

    Attributes
    ----------
    n_models : int
    true_correlation : float
        The capabilities correlation the audit estimates (population value), averaged
        over the panels (each panel draws its own capability loadings).
    mean_estimate : float
    mean_width : float
        Mean width of the interval.
    coverage : float
        Share of panels whose interval contains that panel's true value.
    verdicts : dict of str to float
        Share of panels with each verdict.
    """

    n_models: int
    true_correlation: float
    mean_estimate: float
    mean_width: float
    coverage: float
    verdicts: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "n_models": self.n_models,
            "true_correlation": self.true_correlation,
            "mean_estimate": self.mean_estimate,
            "mean_width": self.mean_width,
            "coverage": self.coverage,
            "verdicts": dict(self.verdicts),
        }


@dataclass(frozen=True)
class PowerResult:
    """A power analysis: settings and one row per panel size."""

    rho: float
    panels: int
    n_resamples: int
    confidence: float
    threshold: float
    interval: str
    n_capability: int
    seed: int
    rows: tuple[PowerRow, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "settings": {
                "rho": self.rho,
                "panels": self.panels,
                "n_resamples": self.n_resamples,
                "confidence": self.confidence,
                "verdict_lines": [-self.threshold, self.threshold],
                "interval": self.interval,
                "n_capability": self.n_capability,
                "seed": self.seed,
            },
            "rows": [row.to_dict() for row in self.rows],
        }


def power_analysis(
    *,
    rho: float,
    models: Sequence[int],
    panels: int = 200,
    n_resamples: int = 500,
    confidence: float = 0.95,
    threshold: float = 0.40,
    interval: IntervalKind = "percentile",
    n_capability: int = 12,
    seed: int | None = None,
    progress: bool = False,
) -> PowerResult:
    """Interval width and chance of each verdict for several panel sizes.

    Parameters
    ----------
    rho : float
        Planted correlation of the safety benchmark with the latent capability, in
        [-1, 1]; the row's ``true_correlation`` is the population capabilities
        correlation this implies (slightly smaller in size, as the capability score is
        an imperfect measure of the latent capability).
    models : sequence of int
        Panel sizes, each at least 5.
    panels : int, default 200
        Simulated panels per size.
    n_resamples : int, default 500
        Bootstrap resamples per panel.
    confidence : float, default 0.95
    threshold : float, default 0.40
        Verdict lines at -threshold and +threshold.
    interval : {"percentile", "bca"}
    n_capability : int, default 12
    seed : int, optional
    progress : bool, default False

    Returns
    -------
    PowerResult

    Examples
    --------
    >>> found = power_analysis(rho=0.9, models=[40], panels=5, n_resamples=200, seed=1)
    >>> found.rows[0].verdicts["entangled"] > 0.5
    True
    """
    if not -1.0 <= rho <= 1.0:
        raise InputError(f"--rho must be a correlation in [-1, 1]; got {rho}.")
    if not models:
        raise InputError("Give at least one panel size with --models, e.g. --models 20,30,50.")
    for size in models:
        if size < MIN_BOOTSTRAP_MODELS:
            raise InputError(
                f"Panel size {size} in --models is too small; the bootstrap needs at least "
                f"{MIN_BOOTSTRAP_MODELS} models."
            )
    if panels < 1:
        raise InputError(f"--panels must be at least 1; got {panels}.")
    if n_capability < 2:
        raise InputError(
            "--capability-benchmarks must be at least 2 (the capability score needs two); "
            f"got {n_capability}."
        )
    root = np.random.SeedSequence(seed)
    recorded_seed = int(root.entropy) if seed is None else int(seed)  # type: ignore[arg-type]
    rows: list[PowerRow] = []
    total = len(models) * panels
    bar = _Progress(progress, "power analysis")
    done = 0
    try:
        for position, size in enumerate(models):
            estimates: list[float] = []
            widths: list[float] = []
            covered = 0
            counts = dict.fromkeys(VERDICTS, 0)
            truths: list[float] = []
            for panel_number in range(panels):
                panel_seed = np.random.SeedSequence(
                    entropy=root.entropy, spawn_key=(position, panel_number)
                )
                panel = simulate_panel(
                    n_models=size,
                    n_capability=n_capability,
                    safety={"safety": rho},
                    rng=np.random.default_rng(panel_seed),
                )
                truth = panel.true_capabilities_correlation["safety"]
                truths.append(truth)
                found = bootstrap_audit(
                    panel.table,
                    n_resamples=n_resamples,
                    confidence=confidence,
                    seed=int(panel_seed.generate_state(1)[0]),
                    interval=interval,
                    permutations=0,
                    threshold=threshold,
                ).classes[0]
                j = found.benchmark_ids.index("safety")
                low, high = found.interval(interval)[:, j]
                estimates.append(float(found.estimate[j]))
                widths.append(float(high - low))
                covered += int(low <= truth <= high)
                if found.verdicts[j]:
                    counts[found.verdicts[j]] += 1
                done += 1
                bar(done, total)
            rows.append(
                PowerRow(
                    n_models=size,
                    true_correlation=float(np.mean(truths)),
                    mean_estimate=float(np.nanmean(estimates)),
                    mean_width=float(np.nanmean(widths)),
                    coverage=covered / panels,
                    verdicts={v: counts[v] / panels for v in VERDICTS},
                )
            )
    finally:
        bar.close()
    return PowerResult(
        rho=rho,
        panels=panels,
        n_resamples=n_resamples,
        confidence=confidence,
        threshold=threshold,
        interval=interval,
        n_capability=n_capability,
        seed=recorded_seed,
        rows=tuple(rows),
    )
