"""Robustness: does a benchmark's reading survive other reasonable choices?

- :mod:`~safetywashing.robustness.compute`: leave-one-capability-out, alternative
  capability measures, leave-one-family-out;
- :mod:`~safetywashing.robustness.validation`: masking validation of the imputation;
- :mod:`~safetywashing.robustness.result`: :class:`RobustnessResult`.
"""
