"""Uncertainty: the bootstrap over models with the whole pipeline refit in every resample.

- :mod:`~safetywashing.uncertainty.compute`: :func:`bootstrap_audit` (intervals,
  permutation p-values, multiple-comparison control, verdicts);
- :mod:`~safetywashing.uncertainty.result`: :class:`UncertaintyResult` and its settings.
"""
