"""The straightforward bootstrap loop, kept as the reference the batched kernels match.

One resample at a time: materialise it with :func:`numpy.repeat`, take
``scipy.stats.spearmanr`` of the capability matrix, ``numpy.linalg.eigh``, standardize,
score, then ``scipy.stats.spearmanr`` per benchmark. Slow by design; used by the tests
and by ``benchmarks/bench_bootstrap.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from safetywashing.stats.pca import standardize

FloatArray = npt.NDArray[np.float64]


def bootstrap_loop(
    capability: FloatArray,
    targets: FloatArray,
    counts: FloatArray,
    *,
    reference_loadings: FloatArray,
    references: Sequence[FloatArray | None] | None = None,
) -> FloatArray:
    """Capabilities correlations of every target in every resample, one at a time.

    Parameters
    ----------
    capability : ndarray of shape (n, k)
        Capability block; rows with a NaN (models the audit left out) take no part.
    targets : ndarray of shape (n, J)
    counts : ndarray of shape (B, n)
        How often each model is drawn in each resample.
    reference_loadings : ndarray of shape (k,)
        Full-data PC1; each resample's PC1 is signed to agree with it.
    references : sequence of (ndarray of shape (n,) or None), optional
        Fixed reference columns instead of the capability score.

    Returns
    -------
    ndarray of shape (B, J)
        NaN where a resample has fewer than 3 distinct models with both values (as in
        the audit, copies do not count) or a constant side.

    Notes
    -----
    Copies of a model must receive identical scores. The scores are therefore computed
    with an elementwise product and a row sum, not a BLAS matrix-vector product, which
    may round two copies of the same row differently and so break their tie.
    """
    from scipy import stats

    n_targets = targets.shape[1]
    refs = list(references) if references is not None else [None] * n_targets
    complete = np.asarray(~np.isnan(capability).any(axis=1), dtype=bool)
    out = np.full((counts.shape[0], n_targets), np.nan)
    for b, row in enumerate(np.asarray(counts, dtype=np.int64)):
        index = np.repeat(np.arange(row.size), row)
        scored = index[complete[index]]
        block = capability[scored]
        z, _, _ = standardize(block)
        matrix = stats.spearmanr(block).statistic
        _, vectors = np.linalg.eigh(matrix)
        loadings = vectors[:, -1]
        if loadings @ reference_loadings < 0:
            loadings = -loadings
        scores = np.full(index.size, np.nan)
        scores[complete[index]] = (z * loadings).sum(axis=1)
        for j in range(n_targets):
            reference = refs[j]
            x = scores if reference is None else reference[index]
            y = targets[index, j]
            keep = ~(np.isnan(x) | np.isnan(y))
            distinct_models = np.unique(index[keep]).size
            if distinct_models < 3 or np.ptp(x[keep]) == 0 or np.ptp(y[keep]) == 0:
                continue
            out[b, j] = stats.spearmanr(x[keep], y[keep]).statistic
    return out
