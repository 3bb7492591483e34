"""Power: how many models a panel needs to decide a benchmark.

- :mod:`~safetywashing.power.compute`: :func:`power_analysis` on simulated panels;
- :mod:`~safetywashing.power.result`: :class:`PowerResult`.
"""
