"""Uncertainty of an audit: bootstrap intervals, permutation p-values, verdicts.

The bootstrap resamples *models* with replacement (or whole model families, when asked)
and refits the whole pipeline inside every resample: standardization, the capability
PC1 of the same matrix as the point estimate (its sign aligned to the full-data PC1),
the capability scores, and every benchmark's capabilities and compute correlation. The
batched kernels live in :mod:`safetywashing.stats.bootstrap`. Capability cells that the
audit imputed are held at their imputed values (the imputation is not refit).

Only the Spearman correlation is bootstrapped (the paper's and the default method).
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from safetywashing.audit import AuditResult, BenchmarkResult, ClassAudit, audit
from safetywashing.errors import InputError
from safetywashing.stats.bootstrap import (
    BootstrapPlan,
    draw_counts,
    jackknife_counts,
    make_plan,
)
from safetywashing.stats.intervals import (
    INTERVAL_KINDS,
    IntervalKind,
    bca_interval,
    percentile_interval,
    verdict,
)
from safetywashing.stats.multiple import ADJUSTMENTS, Adjustment, adjust
from safetywashing.stats.pca import MatrixKind
from safetywashing.stats.permutation import permutation_pvalues
from safetywashing.table import DEFAULT_CLASS, ScoreTable

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MIN_BOOTSTRAP_MODELS = 5
DEFAULT_RESAMPLES = 2000
CLUSTERS = ("family",)


def check_count(value: object, what: str, option: str, *, allow_zero: bool = False) -> int:
    """A positive whole number of resamples or permutations, or an :class:`InputError`.

    Parameters
    ----------
    value : object
        An int, or text from the command line.
    what : str
        What is counted, for the message ("bootstrap resamples").
    option : str
        The command-line option, for the remedy ("--bootstrap").
    allow_zero : bool, default False
        Zero switches the computation off (permutations).

    Examples
    --------
    >>> check_count("2000", "bootstrap resamples", "--bootstrap")
    2000
    """
    text = str(value).strip()
    try:
        number = int(text)
    except ValueError:
        raise InputError(
            f"The number of {what} must be a whole number; got '{text}' "
            f"(try {option} {DEFAULT_RESAMPLES})."
        ) from None
    if isinstance(value, float) and not float(value).is_integer():
        raise InputError(
            f"The number of {what} must be a whole number; got {value} "
            f"(try {option} {DEFAULT_RESAMPLES})."
        )
    if number == 0 and not allow_zero:
        raise InputError(
            f"{option} 0 asks for no {what}; give a positive number such as "
            f"{option} {DEFAULT_RESAMPLES}, or leave the option out."
        )
    if number < 0:
        raise InputError(
            f"The number of {what} cannot be negative; got {number} "
            f"(try {option} {DEFAULT_RESAMPLES})."
        )
    return number


@dataclass(frozen=True)
class UncertaintySettings:
    """Settings of the uncertainty analysis, recorded in the output.

    Attributes
    ----------
    n_resamples : int
        Bootstrap resamples (default 2000).
    confidence : float
        Interval coverage, in (0, 1) (default 0.95).
    seed : int
        Root seed of every random stream (recorded even when drawn from entropy).
    interval : {"percentile", "bca"}
        Which interval fills ``ci_low``/``ci_high`` and the verdict; both are reported.
    cluster : str or None
        ``"family"`` resamples whole model families; None resamples models.
    permutations : int
        Permutations per p-value; 0 computes none.
    adjustment : {"bh", "holm"}
        Which adjusted p-value fills ``p_adjusted``; both are reported.
    lower, upper : float
        Verdict lines (default -0.40 and +0.40, the paper's line for "low").
    """

    n_resamples: int = DEFAULT_RESAMPLES
    confidence: float = 0.95
    seed: int = 0
    interval: IntervalKind = "percentile"
    cluster: str | None = None
    permutations: int = DEFAULT_RESAMPLES
    adjustment: Adjustment = "bh"
    lower: float = -0.40
    upper: float = 0.40

    def __post_init__(self) -> None:
        check_count(self.n_resamples, "bootstrap resamples", "--bootstrap")
        check_count(self.permutations, "permutations", "--permutations", allow_zero=True)
        if not (isinstance(self.confidence, int | float) and 0.0 < self.confidence < 1.0):
            raise InputError(
                f"The confidence level must be strictly between 0 and 1; got {self.confidence} "
                "(try --confidence 0.95)."
            )
        if self.interval not in INTERVAL_KINDS:
            raise InputError(
                f"The interval must be one of {', '.join(INTERVAL_KINDS)}; got '{self.interval}'."
            )
        if self.adjustment not in ADJUSTMENTS:
            raise InputError(
                f"The p-value adjustment must be one of {', '.join(ADJUSTMENTS)}; "
                f"got '{self.adjustment}'."
            )
        if self.cluster is not None and self.cluster not in CLUSTERS:
            raise InputError(
                f"Resampling can cluster by {', '.join(CLUSTERS)} only; got '{self.cluster}'."
            )
        if not -1.0 <= self.lower < self.upper <= 1.0:
            raise InputError(
                "The verdict lines must satisfy -1 <= lower < upper <= 1; got "
                f"{self.lower} and {self.upper} (try --verdict-threshold 0.40)."
            )

    def to_dict(self) -> dict[str, Any]:
        """Settings as a JSON-ready dict."""
        return {
            "method": "bootstrap over models, whole pipeline refit per resample",
            "n_resamples": self.n_resamples,
            "confidence": self.confidence,
            "seed": self.seed,
            "interval": self.interval,
            "cluster": self.cluster,
            "permutations": self.permutations,
            "adjustment": self.adjustment,
            "verdict_lines": [self.lower, self.upper],
        }


@dataclass(frozen=True)
class ClassUncertainty:
    """Bootstrap and permutation results of one model class.

    Attributes
    ----------
    model_class : str
    benchmark_ids : tuple of str
        Aligned with every per-benchmark array (the audit's benchmark order).
    estimate : ndarray of shape (J,)
        Full-data capabilities correlations.
    percentile, bca : ndarray of shape (2, J)
        Interval ends (low, high) of each kind.
    p_value, p_bh, p_holm : ndarray of shape (J,)
        Permutation p-values and their adjusted values (capability benchmarks are not
        in the adjusted family and get NaN).
    verdicts : tuple of str
    compute_interval : ndarray of shape (2, J)
        Percentile interval of each compute correlation.
    variance_explained : ndarray of shape (3,)
        Estimate, low, high (percentile) of the top eigenvalue share.
    score_compute : ndarray of shape (3,)
        Estimate, low, high (percentile) of the capability score vs FLOP.
    n_valid : int
        Resamples that gave a capability score (others had a constant capability column
        or fewer than 3 distinct models and are left out).
    n_units : int
        Models (or families) resampled.
    replicates : ndarray of shape (B, J) or None
        Bootstrap replicates of the capabilities correlations, when kept.
    """

    model_class: str
    benchmark_ids: tuple[str, ...]
    estimate: FloatArray
    percentile: FloatArray
    bca: FloatArray
    p_value: FloatArray
    p_bh: FloatArray
    p_holm: FloatArray
    verdicts: tuple[str, ...]
    compute_interval: FloatArray
    variance_explained: FloatArray
    score_compute: FloatArray
    n_valid: int
    n_units: int
    replicates: FloatArray | None = None

    def interval(self, kind: IntervalKind) -> FloatArray:
        """Interval ends (2, J) of one kind."""
        return self.percentile if kind == "percentile" else self.bca

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN as None)."""
        return {
            "n_valid_resamples": self.n_valid,
            "n_resampled_units": self.n_units,
            "variance_explained": _triple(self.variance_explained),
            "score_compute_correlation": _triple(self.score_compute),
            "benchmarks": {
                benchmark: {
                    "percentile": _pair(self.percentile[:, j]),
                    "bca": _pair(self.bca[:, j]),
                    "p_value": _float(self.p_value[j]),
                    "p_bh": _float(self.p_bh[j]),
                    "p_holm": _float(self.p_holm[j]),
                    "compute_interval": _pair(self.compute_interval[:, j]),
                }
                for j, benchmark in enumerate(self.benchmark_ids)
            },
        }


@dataclass(frozen=True)
class UncertaintyResult:
    """Uncertainty of every class of an audit.

    Attributes
    ----------
    settings : UncertaintySettings
    classes : tuple of ClassUncertainty
    """

    settings: UncertaintySettings
    classes: tuple[ClassUncertainty, ...]

    def __getitem__(self, model_class: str) -> ClassUncertainty:
        for item in self.classes:
            if item.model_class == model_class:
                return item
        raise KeyError(model_class)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: settings and per-class details."""
        return {
            "settings": self.settings.to_dict(),
            "classes": {c.model_class: c.to_dict() for c in self.classes},
        }

    def apply(self, result: AuditResult) -> AuditResult:
        """The audit with ``ci_low``, ``ci_high``, ``p_value``, ``p_adjusted``, ``verdict``.

        Parameters
        ----------
        result : AuditResult
            The audit these uncertainties were computed for.
        """
        classes: list[ClassAudit] = []
        for audit_of_class in result.classes:
            found = self[audit_of_class.model_class]
            low, high = found.interval(self.settings.interval)
            adjusted = found.p_bh if self.settings.adjustment == "bh" else found.p_holm
            benchmarks: list[BenchmarkResult] = []
            for j, b in enumerate(audit_of_class.benchmarks):
                benchmarks.append(
                    replace(
                        b,
                        ci_low=float(low[j]),
                        ci_high=float(high[j]),
                        p_value=float(found.p_value[j]),
                        p_adjusted=float(adjusted[j]),
                        verdict=found.verdicts[j],
                    )
                )
            classes.append(replace(audit_of_class, benchmarks=tuple(benchmarks)))
        return replace(result, classes=tuple(classes), uncertainty=self.to_dict())


def _float(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def _pair(values: FloatArray) -> list[float | None]:
    return [_float(v) for v in values]


def _triple(values: FloatArray) -> dict[str, float | None]:
    return {"estimate": _float(values[0]), "low": _float(values[1]), "high": _float(values[2])}


# -- data of one class, as the audit saw it -----------------------------------------------


@dataclass(frozen=True)
class ClassData:
    """The arrays the refit needs for one class (oriented, in the audit's order).

    Attributes
    ----------
    capability : ndarray of shape (n, k)
        The audit's capability block: imputed cells filled, NaN only in the rows of
        models left out of the capability score.
    targets : ndarray of shape (n, J)
        Every reported benchmark, aligned with the audit's ``benchmarks``.
    references : tuple of (ndarray of shape (n,) or None)
    flop : ndarray of shape (n,)
    families : tuple of str
    """

    capability: FloatArray
    targets: FloatArray
    references: tuple[FloatArray | None, ...]
    flop: FloatArray
    families: tuple[str, ...]


def prepared_table(table: ScoreTable, result: AuditResult) -> ScoreTable:
    """The table with the audit's preset and capability roles applied."""
    from safetywashing.audit import _with_capability_roles

    config = result.config
    if config.preset is not None:
        from safetywashing.datasets.presets import get_preset

        table = get_preset(config.preset).apply(table)
    if config.capabilities is not None:
        table = _with_capability_roles(table, config.capabilities)
    return table


def class_data(table: ScoreTable, audit_of_class: ClassAudit) -> ClassData:
    """Extract one class's arrays from a prepared table (see :func:`prepared_table`).

    The capability block is the audit's own (``ClassAudit.capability_block``), so that
    models whose gaps the audit imputed keep their capability score here too, with the
    imputed cells held at the audit's values.
    """
    values, _ = table.oriented()
    position = {model: i for i, model in enumerate(table.model_ids)}
    rows = np.array([position[m] for m in audit_of_class.model_ids], dtype=np.int64)
    capability_columns = np.array(
        [table.benchmark_index(b) for b in audit_of_class.capability_benchmarks], dtype=np.int64
    )
    capability = (
        values[np.ix_(rows, capability_columns)]
        if audit_of_class.capability_block is None
        else audit_of_class.capability_block
    )
    columns = np.array(
        [table.benchmark_index(b.id) for b in audit_of_class.benchmarks], dtype=np.int64
    )
    references: list[FloatArray | None] = []
    for b in audit_of_class.benchmarks:
        if b.correlated_with == "capability score":
            references.append(None)
        else:
            references.append(values[rows, table.benchmark_index(b.correlated_with)])
    return ClassData(
        capability=np.asarray(capability, dtype=np.float64),
        targets=np.asarray(values[np.ix_(rows, columns)], dtype=np.float64),
        references=tuple(references),
        flop=np.asarray(table.flop[rows], dtype=np.float64),
        families=tuple(table.models[i].family for i in rows),
    )


def cluster_ids(families: Sequence[str], model_ids: Sequence[str], model_class: str) -> IntArray:
    """Number model families 0..G-1; every model must have one."""
    kind = "" if model_class == DEFAULT_CLASS else f"{model_class} "
    for model, family in zip(model_ids, families, strict=True):
        if not family:
            raise InputError(
                f"Resampling by family needs a family for every model, but {kind}"
                f"model '{model}' has none; add a family column (--family-column) or leave "
                "out --cluster."
            )
    names = sorted(set(families))
    return np.array([names.index(f) for f in families], dtype=np.int64)


# -- the analysis ----------------------------------------------------------------------------


def default_chunk(plan: BootstrapPlan) -> int:
    """Resamples per batch: about 4 million cells of the widest intermediate array."""
    width = plan.n_models * max(plan.n_targets, plan.capability.shape[1], 1)
    return int(max(64, min(4096, 4_000_000 // width)))


def run_bootstrap(
    plan: BootstrapPlan,
    n_resamples: int,
    seed: np.random.SeedSequence,
    *,
    clusters: IntArray | None = None,
    chunk_size: int | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> dict[str, FloatArray]:
    """Evaluate ``plan`` on ``n_resamples`` resamples, in chunks; stacked outputs.

    The counts of resample ``b`` depend only on ``seed`` and ``b``, and every output
    row only on its counts, so the result is the same for any ``chunk_size``.
    """
    chunk = chunk_size or default_chunk(plan)
    outputs: dict[str, FloatArray] = {}
    for start in range(0, n_resamples, chunk):
        stop = min(n_resamples, start + chunk)
        counts = draw_counts(seed, start, stop, n_models=plan.n_models, clusters=clusters)
        for key, value in plan.evaluate(counts).items():
            if key not in outputs:
                outputs[key] = np.empty((n_resamples, *np.shape(value)[1:]), dtype=np.float64)
            outputs[key][start:stop] = value
        if on_chunk is not None:
            on_chunk(stop, n_resamples)
    return outputs


class _Progress:
    """A rich progress bar on stderr, shown only when the run will take over a second."""

    def __init__(self, enabled: bool, label: str) -> None:
        self.enabled = enabled
        self.label = label
        self.started = time.perf_counter()
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.started
        if self.bar is None:
            if done >= total or elapsed / done * total < 1.0:
                return
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=total)
        self.bar.update(self.task, completed=done)
        if done >= total:
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def bootstrap_audit(
    table: ScoreTable,
    result: AuditResult | None = None,
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence: float = 0.95,
    seed: int | None = None,
    interval: IntervalKind = "percentile",
    cluster: str | None = None,
    permutations: int | None = None,
    adjustment: Adjustment = "bh",
    threshold: float | tuple[float, float] = 0.40,
    chunk_size: int | None = None,
    progress: bool = False,
    keep_replicates: bool = False,
    **audit_options: Any,
) -> UncertaintyResult:
    """Bootstrap intervals, permutation p-values and verdicts for an audit.

    Parameters
    ----------
    table : ScoreTable
        The scores the audit was run on.
    result : AuditResult, optional
        The audit of ``table``; run with ``audit_options`` when not given.
    n_resamples : int, default 2000
    confidence : float, default 0.95
    seed : int, optional
        Root seed; drawn from entropy (and recorded) when not given.
    interval : {"percentile", "bca"}, default "percentile"
        Which interval fills ``ci_low``/``ci_high`` and decides the verdict.
    cluster : {"family"}, optional
        Resample whole model families instead of models.
    permutations : int, optional
        Permutations per p-value; defaults to ``n_resamples``; 0 computes none.
    adjustment : {"bh", "holm"}, default "bh"
    threshold : float or (float, float), default 0.40
        Verdict lines: ``t`` means (-t, +t).
    chunk_size : int, optional
        Resamples per batch (memory); results do not depend on it.
    progress : bool, default False
        Show a progress bar on stderr when the run takes more than a second.
    keep_replicates : bool, default False
        Keep the (B, J) bootstrap replicates in the result.
    **audit_options
        Passed to :func:`safetywashing.audit.audit` when ``result`` is None.

    Returns
    -------
    UncertaintyResult

    Examples
    --------
    >>> from safetywashing.datasets import load_demo_panel
    >>> found = bootstrap_audit(load_demo_panel(), n_resamples=200, seed=1)
    >>> chat = found["chat"]
    >>> bool(chat.percentile[0, 0] <= chat.estimate[0] <= chat.percentile[1, 0])
    True
    """
    if result is None:
        result = audit(table, **audit_options)
    if result.config.method != "spearman":
        raise InputError(
            f"The bootstrap supports the Spearman correlation only; got --method "
            f"{result.config.method} (drop --method or drop --bootstrap)."
        )
    lower, upper = (-threshold, threshold) if isinstance(threshold, int | float) else threshold
    root = np.random.SeedSequence(seed)
    settings = UncertaintySettings(
        n_resamples=n_resamples,
        confidence=confidence,
        seed=int(root.entropy) if seed is None else int(seed),  # type: ignore[arg-type]
        interval=interval,
        cluster=cluster,
        permutations=n_resamples if permutations is None else permutations,
        adjustment=adjustment,
        lower=float(lower),
        upper=float(upper),
    )
    prepared = prepared_table(table, result)
    classes = tuple(
        _class_uncertainty(
            prepared,
            audit_of_class,
            settings,
            result.config.matrix,
            root,
            chunk_size,
            progress,
            keep_replicates,
        )
        for audit_of_class in result.classes
    )
    return UncertaintyResult(settings=settings, classes=classes)


def audit_with_uncertainty(
    table: ScoreTable, *, uncertainty: dict[str, Any] | None = None, **audit_options: Any
) -> AuditResult:
    """Run the audit and fill its intervals, p-values and verdicts.

    Parameters
    ----------
    table : ScoreTable
    uncertainty : dict, optional
        Keyword arguments of :func:`bootstrap_audit`.
    **audit_options
        Keyword arguments of :func:`safetywashing.audit.audit`.
    """
    result = audit(table, **audit_options)
    return bootstrap_audit(table, result, **(uncertainty or {})).apply(result)


def _class_uncertainty(
    table: ScoreTable,
    audit_of_class: ClassAudit,
    settings: UncertaintySettings,
    kind: MatrixKind,
    root: np.random.SeedSequence,
    chunk_size: int | None,
    progress: bool,
    keep_replicates: bool,
) -> ClassUncertainty:
    name = audit_of_class.model_class
    n_scored = len(audit_of_class.capability_model_ids)
    if n_scored < MIN_BOOTSTRAP_MODELS:
        raise InputError(
            f"The bootstrap needs at least {MIN_BOOTSTRAP_MODELS} models with a capability "
            f"score{'' if name == DEFAULT_CLASS else f' among the {name} models'}; only {n_scored} "
            f"ha{'s' if n_scored == 1 else 've'} one (add models or leave out --bootstrap)."
        )
    data = class_data(table, audit_of_class)
    clusters = (
        cluster_ids(data.families, audit_of_class.model_ids, name)
        if settings.cluster == "family"
        else None
    )
    if clusters is not None and int(clusters.max()) + 1 < 3:
        raise InputError(
            f"Resampling by family needs at least 3 model families"
            f"{'' if name == DEFAULT_CLASS else f' among the {name} models'}; there are "
            f"{int(clusters.max()) + 1} (leave out --cluster)."
        )
    plan = make_plan(
        data.capability,
        data.targets,
        reference_loadings=audit_of_class.loadings,
        kind=kind,
        references=data.references,
        flop=data.flop,
    )
    # Each class gets its own stream under the root seed.
    class_seed = np.random.SeedSequence(
        entropy=root.entropy, spawn_key=(zlib.crc32(name.encode()),)
    )
    full = plan.evaluate(np.ones((1, plan.n_models)))
    bar = _Progress(progress, f"bootstrap ({name})")
    try:
        draws = run_bootstrap(
            plan,
            settings.n_resamples,
            class_seed,
            clusters=clusters,
            chunk_size=chunk_size,
            on_chunk=bar,
        )
    finally:
        bar.close()
    jack = plan.evaluate(jackknife_counts(plan.n_models, clusters))
    estimate = full["capabilities"][0]
    replicates = draws["capabilities"]
    # No interval around an undefined estimate (e.g. a benchmark with 2 models).
    percentile = np.vstack(percentile_interval(replicates, settings.confidence))
    percentile[:, np.isnan(estimate)] = np.nan
    bca = np.vstack(bca_interval(replicates, estimate, jack["capabilities"], settings.confidence))
    compute_interval = np.vstack(percentile_interval(draws["compute"], settings.confidence))
    compute_interval[:, np.isnan(full["compute"][0])] = np.nan
    share = draws["variance_explained"][:, None]
    share_ci = percentile_interval(share, settings.confidence)
    score_ci = percentile_interval(draws["score_compute"][:, None], settings.confidence)
    if math.isnan(float(full["score_compute"][0])):
        score_ci = (np.full(1, np.nan), np.full(1, np.nan))
    chosen = percentile if settings.interval == "percentile" else bca
    verdicts = tuple(
        verdict(
            float(chosen[0, j]), float(chosen[1, j]), lower=settings.lower, upper=settings.upper
        )
        for j in range(estimate.size)
    )
    p_value = np.full(estimate.size, np.nan)
    if settings.permutations > 0:
        p_value = _pvalues(audit_of_class, data, settings.permutations, class_seed)
    in_family = np.array([b.role != "capability" for b in audit_of_class.benchmarks])
    family_p = np.where(in_family, p_value, np.nan)
    return ClassUncertainty(
        model_class=name,
        benchmark_ids=tuple(b.id for b in audit_of_class.benchmarks),
        estimate=estimate,
        percentile=percentile,
        bca=bca,
        p_value=p_value,
        p_bh=adjust(family_p, "bh"),
        p_holm=adjust(family_p, "holm"),
        verdicts=verdicts,
        compute_interval=compute_interval,
        variance_explained=np.array(
            [full["variance_explained"][0], share_ci[0][0], share_ci[1][0]]
        ),
        score_compute=np.array([full["score_compute"][0], score_ci[0][0], score_ci[1][0]]),
        n_valid=int(np.asarray(draws["valid"], dtype=bool).sum()),
        n_units=plan.n_models if clusters is None else int(clusters.max()) + 1,
        replicates=replicates if keep_replicates else None,
    )


def _pvalues(
    audit_of_class: ClassAudit, data: ClassData, permutations: int, seed: np.random.SeedSequence
) -> FloatArray:
    p = np.full(len(audit_of_class.benchmarks), np.nan)
    groups: dict[bytes, list[int]] = {}
    for j, ref in enumerate(data.references):
        key = b"score" if ref is None else ref.tobytes()
        groups.setdefault(key, []).append(j)
    for members in groups.values():
        ref = data.references[members[0]]
        reference = audit_of_class.capability_scores if ref is None else ref
        p[members] = permutation_pvalues(
            reference, data.targets[:, members], permutations, seed, tag=1
        )
    return p
