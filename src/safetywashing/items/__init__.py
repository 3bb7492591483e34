"""Inside a benchmark: which items carry the capability signal.

- :mod:`~safetywashing.items.table`: the per-item score table (models x items);
- :mod:`~safetywashing.items.analysis`: item correlations, the item model, the
  cross-fitted subset;
- :mod:`~safetywashing.items.simulate`: item panels with known truth;
- :mod:`~safetywashing.items.result`: the typed result.
"""
