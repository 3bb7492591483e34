"""Drawing bootstrap resamples as counts, reproducibly and independently of chunking.

A resample over ``n`` models is a vector of counts (how often each model is drawn; they
sum to ``n``), never a materialised sample. Resample ``b`` always comes from block
``b // DRAW_BLOCK`` of its own random stream, so a batch cut into any chunks, on any
number of workers, draws the same resamples.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DRAW_BLOCK = 1024
"""Resamples drawn per generator block; fixed so that results do not depend on chunking."""


def block_generator(seed: np.random.SeedSequence, tag: int, block: int) -> np.random.Generator:
    """The random generator of one block of draws: a child stream of ``seed`` by (tag, block).

    Every block of resamples (and of permutations, ``tag`` apart) gets its own stream, so
    a result never depends on how the work is chunked.
    """
    child = np.random.SeedSequence(
        entropy=seed.entropy, spawn_key=(*seed.spawn_key, tag, block), pool_size=seed.pool_size
    )
    return np.random.default_rng(child)


def draw_counts(
    seed: np.random.SeedSequence,
    start: int,
    stop: int,
    *,
    n_models: int,
    clusters: IntArray | None = None,
    tag: int = 0,
) -> FloatArray:
    """Bootstrap counts for resamples ``start`` to ``stop - 1`` of a reproducible stream.

    Resample ``b`` always comes from block ``b // DRAW_BLOCK`` of its own generator, so
    the counts of a resample do not depend on how the stream is cut into chunks.

    Parameters
    ----------
    seed : numpy.random.SeedSequence
        Root of the stream.
    start, stop : int
        Half-open range of resample numbers.
    n_models : int
    clusters : ndarray of int of shape (n_models,), optional
        Cluster (e.g. model family) of each model, numbered 0..G-1. When given, whole
        clusters are drawn with replacement (G draws) and every model of a drawn
        cluster enters the resample.
    tag : int, default 0
        Separates independent streams from the same root.

    Returns
    -------
    ndarray of shape (stop - start, n_models)
        Counts as floats.
    """
    parts: list[FloatArray] = []
    first_block = start // DRAW_BLOCK
    last_block = (stop - 1) // DRAW_BLOCK if stop > start else first_block - 1
    units = n_models if clusters is None else int(clusters.max()) + 1
    for block in range(first_block, last_block + 1):
        generator = block_generator(seed, tag, block)
        indices = generator.integers(0, units, size=(DRAW_BLOCK, units))
        lo = max(start, block * DRAW_BLOCK) - block * DRAW_BLOCK
        hi = min(stop, (block + 1) * DRAW_BLOCK) - block * DRAW_BLOCK
        parts.append(counts_from_indices(indices[lo:hi], units))
    counts = np.concatenate(parts) if parts else np.zeros((0, units))
    if clusters is None:
        return counts
    membership = np.zeros((units, n_models))
    membership[clusters, np.arange(n_models)] = 1.0
    return np.asarray(counts @ membership, dtype=np.float64)


def counts_from_indices(indices: npt.ArrayLike, n_models: int) -> FloatArray:
    """Turn resample indices ``(B, m)`` into counts ``(B, n_models)``.

    Examples
    --------
    >>> counts_from_indices([[0, 0, 2]], 3).tolist()
    [[2.0, 0.0, 1.0]]
    """
    idx = np.asarray(indices, dtype=np.int64)
    rows = idx.shape[0]
    flat = (idx + (np.arange(rows, dtype=np.int64) * n_models)[:, None]).ravel()
    return np.bincount(flat, minlength=rows * n_models).reshape(rows, n_models).astype(np.float64)


def jackknife_counts(
    n_models: int, clusters: IntArray | None = None, *, start: int = 0, stop: int | None = None
) -> FloatArray:
    """Leave-one-out counts: one row per left-out model (or cluster), rows ``start:stop``.

    Examples
    --------
    >>> jackknife_counts(3, start=1).tolist()
    [[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]
    """
    units = n_models if clusters is None else int(clusters.max()) + 1
    left_out = np.arange(units)[start:stop]
    labels = np.arange(n_models) if clusters is None else clusters
    return np.asarray(labels[None, :] != left_out[:, None], dtype=np.float64)
