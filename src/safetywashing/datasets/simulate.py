"""Simulated panels with known truth: a latent-capability factor model.

Each model ``i`` has a latent capability ``c_i ~ N(0, 1)``. A capability benchmark ``j``
scores ``a_j c_i + sqrt(1 - a_j^2) e_ij``; a safety benchmark with planted loading
``rho`` scores ``rho c_i + sqrt(1 - rho^2) e_i`` (so its correlation with the latent
capability is ``rho``), with independent standard normal noise ``e``. Scores are then
mapped linearly to a benchmark-like range. Training FLOP rises with capability.

Because the audit correlates with the *estimated* capability score, the simulator also
reports the population value the audit estimates: the Spearman correlation between a
safety benchmark and the population PC1 score of the capability benchmarks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from safetywashing.core.errors import InputError
from safetywashing.core.table import BenchmarkInfo, ModelInfo, ScoreTable

FloatArray = npt.NDArray[np.float64]

RngLike = np.random.Generator | int | None


def as_generator(rng: RngLike) -> np.random.Generator:
    """A numpy Generator from a Generator, a seed, or None (fresh entropy)."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


@dataclass(frozen=True)
class SafetySpec:
    """A planted safety benchmark."""

    #: Column id.
    id: str
    #: Correlation of the benchmark with the latent capability, in [-1, 1].
    loading: float
    #: Safety area label.
    area: str = "Other"
    #: {"higher", "lower"}: How the benchmark is *reported*: "lower" writes the negated score (e.g.
    #: an attack success rate), so the audit must flip it back.
    direction: str = "higher"


@dataclass(frozen=True)
class SimulatedPanel:
    """A simulated score table and the truth behind it."""

    #: Marked ``synthetic=True``.
    table: ScoreTable
    #: ndarray of shape (n_models,): Latent capability of each model.
    latent: FloatArray
    #: ndarray of shape (n_capability,)
    capability_loadings: FloatArray
    #: Planted loading of each safety benchmark.
    safety_loadings: dict[str, float]
    #: Population Spearman correlation of each safety benchmark with the population PC1 capability
    #: score: the quantity the audit estimates.
    true_capabilities_correlation: dict[str, float]
    #: The seed used, when one was given.
    seed: int | None


def _spearman_from_pearson(r: float) -> float:
    # Spearman correlation of a bivariate normal pair with Pearson correlation r.
    return (6.0 / math.pi) * math.asin(r / 2.0)


def population_capabilities_correlation(
    capability_loadings: FloatArray, safety_loading: float
) -> float:
    """Population Spearman correlation of a safety benchmark with the PC1 score.

    Parameters
    ----------
    capability_loadings : ndarray of shape (k,)
        Loadings of the capability benchmarks on the latent capability.
    safety_loading : float
        Loading of the safety benchmark.

    Returns
    -------
    float
    """
    a = np.asarray(capability_loadings, dtype=np.float64)
    pearson_matrix = np.outer(a, a)
    np.fill_diagonal(pearson_matrix, 1.0)
    spearman_matrix = (6.0 / np.pi) * np.arcsin(pearson_matrix / 2.0)
    _, vectors = np.linalg.eigh(spearman_matrix)
    weights = vectors[:, -1]
    score_latent = float(weights @ a / math.sqrt(float(weights @ pearson_matrix @ weights)))
    return _spearman_from_pearson(abs(score_latent) * safety_loading)


def simulate_panel(
    *,
    n_models: int = 30,
    capability_loadings: Sequence[float] | None = None,
    n_capability: int = 12,
    safety: Sequence[SafetySpec] | Mapping[str, float] = (),
    missing_fraction: float = 0.0,
    classes: Sequence[str] = (),
    flop: bool = True,
    rng: RngLike = None,
) -> SimulatedPanel:
    """Simulate a panel of models x benchmarks from a latent capability factor.

    Parameters
    ----------
    n_models : int, default 30
        Models in total (split evenly across ``classes`` if given).
    capability_loadings : sequence of float, optional
        Loadings of the capability benchmarks; by default ``n_capability`` loadings
        drawn uniformly from [0.75, 0.95].
    n_capability : int, default 12
        Number of capability benchmarks when loadings are not given.
    safety : sequence of SafetySpec or mapping of id to loading
        The planted safety benchmarks.
    missing_fraction : float, default 0
        Share of safety cells removed at random (capability cells are kept complete).
    classes : sequence of str, optional
        Model classes (e.g. ``("base", "chat")``); each class is its own sample.
    flop : bool, default True
        Give each model a training FLOP that rises with its capability.
    rng : numpy Generator, int or None
        Randomness; an int seed makes the panel reproducible.

    Returns
    -------
    SimulatedPanel

    Examples
    --------
    >>> panel = simulate_panel(n_models=20, safety={"entangled": 0.8, "distinct": 0.0}, rng=1)
    >>> panel.table.values.shape
    (20, 14)
    """
    if n_models < 3:
        raise InputError(f"A simulated panel needs at least 3 models; got {n_models}.")
    if not 0.0 <= missing_fraction < 1.0:
        raise InputError(f"missing_fraction must be in [0, 1); got {missing_fraction}.")
    seed = rng if isinstance(rng, int) else None
    generator = as_generator(rng)
    specs = (
        [SafetySpec(id=key, loading=float(value)) for key, value in safety.items()]
        if isinstance(safety, Mapping)
        else list(safety)
    )
    for spec in specs:
        if not -1.0 <= spec.loading <= 1.0:
            raise InputError(
                f"Safety loading of '{spec.id}' must be in [-1, 1]; got {spec.loading}."
            )
    loadings = (
        np.asarray(capability_loadings, dtype=np.float64)
        if capability_loadings is not None
        else generator.uniform(0.75, 0.95, size=n_capability)
    )
    if loadings.ndim != 1 or not np.all((loadings >= -1.0) & (loadings <= 1.0)):
        raise InputError(
            f"Capability loadings must be correlations in [-1, 1]; got {loadings.tolist()}."
        )
    k = loadings.size
    latent = generator.normal(size=n_models)
    capability = latent[:, None] * loadings + generator.normal(size=(n_models, k)) * np.sqrt(
        1.0 - loadings**2
    )
    safety_scores = np.empty((n_models, len(specs)))
    for j, spec in enumerate(specs):
        noise = generator.normal(size=n_models)
        safety_scores[:, j] = spec.loading * latent + math.sqrt(1.0 - spec.loading**2) * noise
    # Benchmark-like ranges: accuracies around 0.3-0.8; monotone, so ranks are unchanged.
    centres = generator.uniform(0.45, 0.65, size=k + len(specs))
    spreads = generator.uniform(0.06, 0.12, size=k + len(specs))
    values = np.hstack([capability, safety_scores]) * spreads + centres
    for j, spec in enumerate(specs):
        if spec.direction == "lower":
            values[:, k + j] = 1.0 - values[:, k + j]
    if missing_fraction > 0 and specs:
        mask = generator.random(size=(n_models, len(specs))) < missing_fraction
        values[:, k:][mask] = np.nan

    class_names = list(classes) or [""]
    model_class = [class_names[i * len(class_names) // n_models] for i in range(n_models)]
    flops = (
        10.0 ** (22.5 + 0.8 * latent + 0.25 * generator.normal(size=n_models))
        if flop
        else np.full(n_models, np.nan)
    )
    families = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]
    models = tuple(
        ModelInfo(
            id=f"{model_class[i] + '-' if model_class[i] else ''}model-{i + 1:02d}",
            model_class=model_class[i],
            flop=float(flops[i]),
            family=families[i % len(families)],
            parameters=float(round(10 ** (9.0 + 0.6 * latent[i] + 0.5), -8)),
        )
        for i in range(n_models)
    )
    benchmarks = tuple(
        BenchmarkInfo(id=f"capability_{j + 1:02d}", role="capability", area="Capabilities")
        for j in range(k)
    ) + tuple(
        BenchmarkInfo(
            id=spec.id,
            role="safety",
            area=spec.area,
            direction="lower" if spec.direction == "lower" else "higher",
        )
        for spec in specs
    )
    table = ScoreTable(values=values, models=models, benchmarks=benchmarks, synthetic=True)
    return SimulatedPanel(
        table=table,
        latent=latent,
        capability_loadings=loadings,
        safety_loadings={spec.id: spec.loading for spec in specs},
        true_capabilities_correlation={
            spec.id: population_capabilities_correlation(loadings, spec.loading) for spec in specs
        },
        seed=seed,
    )
