"""Power analysis: how many models does a benchmark author need?

For each panel size, simulate many panels (with :func:`safetywashing.simulate.simulate_panel`)
in which one safety benchmark has a planted correlation ``rho`` with the latent
capability, run the bootstrap on each, and report the mean interval width and how often
each verdict comes out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from safetywashing.decision import PAPER_THRESHOLD, VERDICTS, DecisionRule
from safetywashing.errors import InputError
from safetywashing.progress import ProgressCallback, report_to
from safetywashing.results.power import PowerResult, PowerRow
from safetywashing.results.uncertainty import UncertaintySettings, root_seed
from safetywashing.simulate import simulate_panel
from safetywashing.stats.intervals import IntervalKind
from safetywashing.uncertainty import MIN_BOOTSTRAP_MODELS, bootstrap_audit

__all__ = ["PowerResult", "PowerRow", "power_analysis"]


def power_analysis(
    *,
    rho: float,
    models: Sequence[int],
    panels: int = 200,
    n_resamples: int = 500,
    confidence: float = 0.95,
    threshold: float = PAPER_THRESHOLD,
    interval: IntervalKind = "percentile",
    n_capability: int = 12,
    seed: int | None = None,
    progress: ProgressCallback | None = None,
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
    progress : callable, optional
        ``progress(stage, done, total)`` as panels finish.

    Returns
    -------
    PowerResult

    Examples
    --------
    >>> found = power_analysis(rho=0.9, models=[40], panels=5, n_resamples=200, seed=1)
    >>> found.rows[0].verdicts["entangled"] > 0.5
    True
    """
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
    DecisionRule(threshold)
    UncertaintySettings(n_resamples=n_resamples, confidence=confidence, interval=interval)
    root = root_seed(seed)
    recorded_seed = int(root.entropy) if seed is None else int(seed)  # type: ignore[arg-type]
    rows: list[PowerRow] = []
    total = len(models) * panels
    bar = report_to(progress, "power analysis")
    done = 0
    bar(done, total)
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
