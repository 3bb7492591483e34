"""Uncertainty: the bootstrap over models with the whole pipeline refit in every resample.

- :mod:`~safetywashing.uncertainty.settings`: :class:`UncertaintySettings`, the counts and
  levels checked once, and the seeds;
- :mod:`~safetywashing.uncertainty.compute`: :func:`bootstrap_audit` (intervals,
  permutation p-values, multiple-comparison control, verdicts);
- :mod:`~safetywashing.uncertainty.engine`: the chunks of resamples and permutations a
  scheduler runs;
- :mod:`~safetywashing.uncertainty.units`: models or whole families, and the refits' basis;
- :mod:`~safetywashing.uncertainty.result`: :class:`UncertaintyResult`, which the audit
  carries once applied.
"""
