"""Coverage of the bootstrap intervals on simulated panels with known truth.

Every panel has 12 capability benchmarks (loadings 0.75 to 0.95 on a latent capability)
and one safety benchmark with a planted loading (0.0, 0.4 and 0.7 in turn). Settings:

- ``gaussian``: 30 models, normal latent capability and noise (the simulator's model);
- ``heavy-tailed``: 30 models, latent capability and every noise term Student t with
  3 degrees of freedom (scaled to unit variance);
- ``skewed``: 30 models, log-normal latent capability and noise (standardized);
- ``tied``: 30 models, the safety benchmark rounded to 5 levels (many ties);
- ``G=4``, ``G=6``, ``G=10``, ``G=20``: 6 models per family, a family effect shared by
  the latent capability and the safety noise (intra-family correlation 0.3), whole
  families resampled (``cluster="family"``, with the sqrt(G/(G-1)) widening);
- ``G=6 indep``: 6 families of 6 models without any family effect, resampled by family
  (the issue's setting: the family bootstrap alone should still cover).

The truth of a setting is the audit's estimate on one panel of 200,000 models (600,000
for the family settings, so that the family effects average out) drawn from it: the
population capabilities correlation up to Monte Carlo error of about 0.003. The script
prints, per setting and interval type, the share of panels whose interval contains the
truth (target: 93-97% for 95% intervals) and the mean width.

Usage: ``uv run python benchmarks/validate_coverage.py [--panels 500] [--resamples 1000]
[--settings gaussian,G=6]``
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from safetywashing.core.table import BenchmarkInfo, ModelInfo, ScoreTable
from safetywashing.stats.ranks import rank_columns
from safetywashing.uncertainty.compute import bootstrap_audit

FloatArray = npt.NDArray[np.float64]
LOADINGS = np.linspace(0.75, 0.95, 12)
PLANTED = (0.0, 0.4, 0.7)


@dataclass(frozen=True)
class Setting:
    name: str
    n_models: int
    noise: str = "normal"  # "normal", "t3", "lognormal"
    levels: int = 0  # round the safety benchmark to this many levels (0: no rounding)
    families: int = 0  # 0: none
    icc: float = 0.0  # share of variance shared within a family

    @property
    def clustered(self) -> bool:
        return self.families > 0


SETTINGS = {
    s.name: s
    for s in (
        Setting("gaussian", 30),
        Setting("heavy-tailed", 30, noise="t3"),
        Setting("skewed", 30, noise="lognormal"),
        Setting("tied", 30, levels=5),
        Setting("G=4", 24, families=4, icc=0.3),
        Setting("G=6", 36, families=6, icc=0.3),
        Setting("G=10", 60, families=10, icc=0.3),
        Setting("G=20", 120, families=20, icc=0.3),
        Setting("G=6 indep", 36, families=6, icc=0.0),
    )
}


def _noise(kind: str, rng: np.random.Generator, size: tuple[int, ...]) -> FloatArray:
    if kind == "t3":
        return np.asarray(rng.standard_t(3, size=size) / math.sqrt(3.0))
    if kind == "lognormal":
        draws = rng.lognormal(0.0, 0.8, size=size)
        mean = math.exp(0.32)
        return np.asarray((draws - mean) / math.sqrt((math.exp(0.64) - 1) * math.exp(0.64)))
    return np.asarray(rng.normal(size=size))


def draw(
    setting: Setting, loading: float, n_models: int, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64]]:
    """Capability block (n, 12), safety scores (n,) and family of each model."""
    families = setting.families or 1
    family = np.arange(n_models) % families
    shared = rng.normal(size=families)
    latent = _noise(setting.noise, rng, (n_models,))
    latent = math.sqrt(1 - setting.icc) * latent + math.sqrt(setting.icc) * shared[family]
    capability = latent[:, None] * LOADINGS + _noise(
        setting.noise, rng, (n_models, LOADINGS.size)
    ) * np.sqrt(1 - LOADINGS**2)
    own = rng.normal(size=families)
    noise = _noise(setting.noise, rng, (n_models,))
    noise = math.sqrt(1 - setting.icc) * noise + math.sqrt(setting.icc) * own[family]
    safety = loading * latent + math.sqrt(1 - loading**2) * noise
    if setting.levels:
        edges = np.quantile(safety, np.linspace(0, 1, setting.levels + 1)[1:-1])
        safety = np.digitize(safety, edges).astype(np.float64)
    return capability, safety, family


def audit_estimate(capability: FloatArray, safety: FloatArray) -> float:
    """The audit's estimate (PC1 of the Spearman matrix; Spearman with the score)."""
    z = (capability - capability.mean(axis=0)) / capability.std(axis=0)
    ranks = rank_columns(capability)
    ranks -= ranks.mean(axis=0)
    matrix = ranks.T @ ranks
    scale = np.sqrt(np.diag(matrix))
    _, vectors = np.linalg.eigh(matrix / np.outer(scale, scale))
    score = z @ vectors[:, -1]
    if np.dot(score - score.mean(), z.mean(axis=1) - z.mean()) < 0:
        score = -score
    both = rank_columns(np.column_stack([score, safety]))
    both -= both.mean(axis=0)
    return float(both[:, 0] @ both[:, 1] / np.sqrt((both**2).sum(axis=0).prod()))


def truth(setting: Setting, loading: float, seed: int) -> float:
    """The setting's population capabilities correlation, from one very large panel."""
    size = 600_000 if setting.clustered else 200_000
    big = Setting(
        setting.name, size, setting.noise, setting.levels, size // 6 if setting.clustered else 0,
        setting.icc,
    )  # fmt: skip
    capability, safety, _ = draw(big, loading, size, np.random.default_rng(seed))
    return audit_estimate(capability, safety)


def table_of(
    capability: FloatArray, safety: FloatArray, family: npt.NDArray[np.int64]
) -> ScoreTable:
    n, k = capability.shape
    models = tuple(
        ModelInfo(id=f"model-{i:03d}", family=f"family-{family[i]:02d}") for i in range(n)
    )
    benchmarks = (
        *(BenchmarkInfo(id=f"capability_{j + 1:02d}", role="capability") for j in range(k)),
        BenchmarkInfo(id="safety", role="safety"),
    )
    return ScoreTable(
        values=np.column_stack([capability, safety]),
        models=models,
        benchmarks=benchmarks,
        synthetic=True,
    )


def coverage(
    setting: Setting, panels: int, resamples: int, seed: int
) -> dict[str, tuple[float, float, int]]:
    """Share of panels covering the truth, mean width, and panels counted per interval."""
    truths = {loading: truth(setting, loading, seed + 99_991) for loading in PLANTED}
    hits = {"percentile": 0, "bca": 0}
    widths: dict[str, list[float]] = {"percentile": [], "bca": []}
    counted = {"percentile": 0, "bca": 0}
    for i in range(panels):
        loading = PLANTED[i % len(PLANTED)]
        rng = np.random.default_rng(seed + i)
        table = table_of(*draw(setting, loading, setting.n_models, rng))
        found = bootstrap_audit(
            table,
            n_resamples=resamples,
            seed=seed + i,
            permutations=0,
            cluster="family" if setting.clustered else None,
        ).classes[0]
        position = found.benchmark_ids.index("safety")
        for kind in ("percentile", "bca"):
            low, high = found.interval(kind)[:, position]  # type: ignore[arg-type]
            if math.isnan(low) or math.isnan(high):
                continue
            counted[kind] += 1
            hits[kind] += int(low <= truths[loading] <= high)
            widths[kind].append(high - low)
    return {
        kind: (hits[kind] / max(counted[kind], 1), float(np.mean(widths[kind])), counted[kind])
        for kind in hits
    }


def main() -> None:
    import warnings

    from safetywashing.core.errors import InputWarning

    warnings.simplefilter("ignore", InputWarning)  # "only G families": measured here
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panels", type=int, default=500)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--settings", default=",".join(SETTINGS))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    names = [name.strip() for name in args.settings.split(",")]
    print(
        f"{args.panels} panels per setting (planted loadings {', '.join(map(str, PLANTED))} "
        f"in turn), {args.resamples} resamples each, 95% intervals; target 93-97%"
    )
    header = ("setting", "models", "percentile", "width", "bca", "width", "s")
    print("{:<13} {:>6} {:>11} {:>6} {:>7} {:>6} {:>5}".format(*header))
    misses: list[str] = []
    for name in names:
        setting = SETTINGS[name]
        start = time.perf_counter()
        result = coverage(setting, args.panels, args.resamples, args.seed)
        (p_share, p_width, _), (b_share, b_width, _) = result["percentile"], result["bca"]
        print(
            f"{name:<13} {setting.n_models:>6} {100 * p_share:>10.1f}% {p_width:>6.3f} "
            f"{100 * b_share:>6.1f}% {b_width:>6.3f} {time.perf_counter() - start:>5.0f}",
            flush=True,
        )
        for kind, share in (("percentile", p_share), ("bca", b_share)):
            if not 0.93 <= share <= 0.97:
                misses.append(f"{name} {kind} ({100 * share:.1f}%)")
    if misses:
        print(f"\noutside 93-97%: {', '.join(misses)}")
        print(
            "why: with 4 families a family bootstrap has only 35 distinct resamples, so its "
            "distribution is coarse and its tails short even after the sqrt(G/(G-1)) "
            "widening; with 6 independent families the spread is estimated from 6 units "
            "(about 5 degrees of freedom: a normal-quantile interval then covers about "
            "P(|t_5| < 1.96) = 89%), and a further t_{G-1}/z widening overshoots to 98% "
            "on both G=6 settings; BCa's bias correction and acceleration rest on G "
            "leave-one-family-out fits and under-cover with few families. The percentile "
            "interval (the default) is the one to use with clusters."
        )


if __name__ == "__main__":
    main()
