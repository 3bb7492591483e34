"""Simulated item-level results with known truth: which items carry capabilities.

The models are those of :func:`safetywashing.datasets.simulate.simulate_panel` (latent capability
``c_i``, capability benchmarks loading on it), and each model also has a latent safety
property ``s_i ~ N(0, 1)``, independent of ``c``. Item ``j`` of the simulated safety
benchmark has a loading ``l_j`` on capability and ``m_j`` on safety: its latent response
is ``l_j c_i + m_j s_i + sqrt(1 - l_j^2 - m_j^2) e_ij``. *Entangled* items have
``l_j`` in ``capability_loading`` and a small safety loading; *distinct* items have
``l_j = 0`` and ``m_j`` in ``safety_loading``. A 0/1 item is passed when the response
exceeds the item's threshold (its difficulty); a graded item is the response cut at
four thresholds into 0, 0.25, ..., 1. Cells are then removed at random
(``missing_fraction``), and whole items for some models (``missing_items``), as when
models ran different versions of a benchmark.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from safetywashing.core.errors import InputError
from safetywashing.datasets.simulate import RngLike, SimulatedPanel, as_generator, simulate_panel

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

DEFAULT_CATEGORIES = ("harmful requests", "deception", "privacy", "bias")


@dataclass(frozen=True)
class SimulatedItems:
    """Simulated per-item results of one benchmark and the truth behind them."""

    #: The models and their capability benchmarks (build a reference panel from ``panel.table``).
    panel: SimulatedPanel
    benchmark: str
    model_ids: tuple[str, ...]
    item_ids: tuple[str, ...]
    #: ndarray of shape (n_models, n_items): Item scores (NaN: missing).
    values: FloatArray
    #: Each item's category.
    categories: tuple[str, ...]
    #: ndarray of shape (n_items,)
    capability_loadings: FloatArray
    safety_loadings: FloatArray
    #: ndarray of bool, shape (n_items,): The planted truth: items that load on capability.
    entangled: BoolArray
    #: ndarray of bool, shape (n_items,)
    graded: BoolArray
    #: ndarray of shape (n_models,)
    safety_latent: FloatArray

    def to_frame(self) -> pd.DataFrame:
        """The long item table: model, benchmark, item, score, category (no missing rows)."""
        import pandas as pd

        present = ~np.isnan(self.values)
        rows, cols = np.nonzero(present)
        categories = sorted(set(self.categories))
        category_codes = np.asarray([categories.index(c) for c in self.categories])
        return pd.DataFrame(
            {
                "model": pd.Categorical.from_codes(rows, categories=pd.Index(list(self.model_ids))),
                "benchmark": pd.Categorical.from_codes(
                    np.zeros(rows.size, dtype=np.int64), categories=pd.Index([self.benchmark])
                ),
                "item": pd.Categorical.from_codes(cols, categories=pd.Index(list(self.item_ids))),
                "score": self.values[rows, cols],
                "category": pd.Categorical.from_codes(
                    category_codes[cols], categories=pd.Index(categories)
                ),
            }
        )


def simulate_items(
    *,
    n_models: int = 30,
    n_items: int = 500,
    entangled_fraction: float = 0.3,
    capability_loading: tuple[float, float] = (0.55, 0.85),
    safety_loading: tuple[float, float] = (0.45, 0.75),
    graded_fraction: float = 0.0,
    missing_fraction: float = 0.0,
    missing_items: float = 0.0,
    categories: Sequence[str] = DEFAULT_CATEGORIES,
    benchmark: str = "syn_items",
    n_capability: int = 12,
    safety_correlation: float = 0.0,
    rng: RngLike = None,
) -> SimulatedItems:
    """Simulate per-item results of one safety benchmark with planted entangled items.

    Parameters
    ----------
    n_models, n_items : int
    entangled_fraction : float
        Share of items that load on capability.
    capability_loading, safety_loading : (float, float)
        Ranges the planted loadings are drawn from (uniformly).
    graded_fraction : float
        Share of items scored 0, 0.25, ..., 1 rather than 0/1.
    missing_fraction : float
        Share of cells removed at random.
    missing_items : float
        Share of items that a third of the models did not run (whole items missing).
    categories : sequence of str
        Item categories, assigned in turn.
    benchmark : str
        The benchmark's id.
    n_capability : int
        Capability benchmarks of the simulated panel.
    safety_correlation : float
        Pearson correlation of the latent safety property with the latent capability
        *in this sample of models* (exactly; default 0). Drawing the two independently
        would give a sample correlation of about +-1/sqrt(n_models), and a subset that
        measures safety would inherit it: a property of the models, not of the items.
    rng : numpy Generator, int or None

    Returns
    -------
    SimulatedItems

    Examples
    --------
    >>> sim = simulate_items(n_models=20, n_items=40, rng=1)
    >>> sim.values.shape, int(sim.entangled.sum())
    ((20, 40), 12)
    """
    if not -1.0 < safety_correlation < 1.0:
        raise InputError(
            f"safety_correlation={safety_correlation} is not a correlation",
            param="safety_correlation",
            remedy="give a value in (-1, 1)",
        )
    for name, value in (
        ("entangled_fraction", entangled_fraction),
        ("graded_fraction", graded_fraction),
        ("missing_items", missing_items),
    ):
        if not 0.0 <= value <= 1.0:
            raise InputError(f"{name}={value} is not a share", param=name, remedy="give 0 to 1")
    if not 0.0 <= missing_fraction < 1.0:
        raise InputError(
            f"missing_fraction={missing_fraction} is not a share below 1",
            param="missing_fraction",
            remedy="give 0 <= missing_fraction < 1",
        )
    if n_items < 2:
        raise InputError(f"n_items={n_items} is too few", param="n_items", remedy="give 2 or more")
    if not categories:
        raise InputError("categories=() names no category", param="categories")
    generator = as_generator(rng)
    panel = simulate_panel(n_models=n_models, n_capability=n_capability, rng=generator)
    c = panel.latent
    s = _safety_latent(c, safety_correlation, generator)
    n_entangled = round(entangled_fraction * n_items)
    entangled = np.zeros(n_items, dtype=bool)
    entangled[generator.permutation(n_items)[:n_entangled]] = True
    lam = np.where(entangled, generator.uniform(*capability_loading, size=n_items), 0.0)
    mu = np.where(
        entangled,
        generator.uniform(0.0, 0.25, size=n_items),
        generator.uniform(*safety_loading, size=n_items),
    )
    excess = lam**2 + mu**2
    shrink = np.where(excess > 0.95, math.sqrt(0.95) / np.sqrt(np.maximum(excess, 1e-12)), 1.0)
    lam, mu = lam * shrink, mu * shrink
    noise_scale = np.sqrt(1.0 - lam**2 - mu**2)
    response = (
        c[:, None] * lam
        + s[:, None] * mu
        + generator.normal(size=(n_models, n_items)) * noise_scale
    )
    graded = np.zeros(n_items, dtype=bool)
    graded[generator.permutation(n_items)[: round(graded_fraction * n_items)]] = True
    threshold = generator.uniform(-1.0, 1.0, size=n_items)
    values = (response > threshold).astype(np.float64)
    if graded.any():
        cuts = threshold[graded] + np.array([-1.2, -0.4, 0.4, 1.2])[:, None]
        levels = (response[:, graded][None, :, :] > cuts[:, None, :]).sum(axis=0)
        values[:, graded] = levels / 4.0
    if missing_fraction > 0:
        values[generator.random(size=values.shape) < missing_fraction] = np.nan
    if missing_items > 0:
        dropped = generator.permutation(n_items)[: round(missing_items * n_items)]
        models = generator.permutation(n_models)[: n_models // 3]
        values[np.ix_(models, dropped)] = np.nan
    width = len(str(n_items))
    return SimulatedItems(
        panel=panel,
        benchmark=benchmark,
        model_ids=panel.table.model_ids,
        item_ids=tuple(f"{benchmark}-{j:0{width}d}" for j in range(n_items)),
        values=values,
        categories=tuple(categories[j % len(categories)] for j in range(n_items)),
        capability_loadings=lam,
        safety_loadings=mu,
        entangled=entangled,
        graded=graded,
        safety_latent=s,
    )


def _safety_latent(
    capability: FloatArray, rho: float, generator: np.random.Generator
) -> FloatArray:
    """A standard normal draw with sample correlation exactly ``rho`` with ``capability``."""
    c = (capability - capability.mean()) / capability.std()
    draw = generator.normal(size=capability.size)
    draw -= draw.mean()
    draw -= (draw @ c) / (c @ c) * c
    draw /= draw.std()
    return np.asarray(rho * c + math.sqrt(1.0 - rho * rho) * draw, dtype=np.float64)


LM_EVAL_DATE = "2025-01-01T00-00-00.000000"


def write_simulated_results(sim: SimulatedItems, folder: str | Path) -> list[Path]:
    """Write a simulation as a user would have it: capability scores and per-item logs.

    ``folder/scores.csv`` holds the models' capability benchmarks (one row per model),
    ``folder/benchmarks.csv`` their roles, and ``folder/lm_eval/<model>/`` each model's
    lm-evaluation-harness output for the item benchmark: ``results_<date>.json`` naming
    the model and ``samples_<benchmark>_<date>.jsonl`` with one line per item it ran
    (``doc_id``, ``doc`` with the prompt and category, ``metrics`` and ``acc``). Files are
    written atomically; existing ones are kept (an error).
    """
    import json

    from safetywashing.io.writers import check_writable, write_atomic

    root = Path(folder)
    table = sim.panel.table
    scores = table.to_frame()
    info = "benchmark,role\n" + "".join(f"{b.id},{b.role}\n" for b in table.benchmarks)
    files: dict[Path, str] = {
        root / "scores.csv": scores.to_csv(index_label="model"),
        root / "benchmarks.csv": info,
    }
    for i, model in enumerate(sim.model_ids):
        base = root / "lm_eval" / model
        files[base / f"results_{LM_EVAL_DATE}.json"] = json.dumps(
            {"model_name": model, "results": {sim.benchmark: {"alias": sim.benchmark}}}
        )
        lines = []
        for j, value in enumerate(sim.values[i]):
            if np.isnan(value):
                continue
            doc = {"question": f"Simulated prompt {j}", "category": sim.categories[j]}
            record = {"doc_id": j, "doc": doc, "target": "safe", "filter": "none"}
            lines.append(json.dumps({**record, "metrics": ["acc"], "acc": float(value)}))
        files[base / f"samples_{sim.benchmark}_{LM_EVAL_DATE}.jsonl"] = "\n".join(lines) + "\n"
    check_writable(list(files), force=False)
    return [write_atomic(path, text) for path, text in files.items()]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m safetywashing.items.simulate FOLDER``: write a demo for the item analysis.

    40 models, 400 items of ``syn_items`` (half of them entangled, 20% graded, 5% of the
    items not run by a third of the models), seed 2.
    """
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m safetywashing.items.simulate FOLDER", file=sys.stderr)
        return 2
    sim = simulate_items(
        n_models=40,
        n_items=400,
        entangled_fraction=0.5,
        graded_fraction=0.2,
        missing_items=0.05,
        rng=2,
    )
    try:
        written = write_simulated_results(sim, args[0])
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} files to {args[0]} (simulated: no real model)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
