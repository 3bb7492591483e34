"""The audit: the paper's method and its typed result.

- :mod:`~safetywashing.audit.compute`: :func:`audit`, the capabilities correlation of every
  benchmark (standardize, PC1 of the capability block, Spearman correlations);
- :mod:`~safetywashing.audit.prepared`: one model class made ready for the method;
- :mod:`~safetywashing.audit.coverage`: which models and benchmarks each class could use;
- :mod:`~safetywashing.audit.result`: :class:`AuditResult` and its parts;
- :mod:`~safetywashing.audit.notebook`: the result's view in a notebook.
"""
