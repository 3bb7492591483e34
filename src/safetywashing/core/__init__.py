"""The shared vocabulary every capability builds on.

- :mod:`~safetywashing.core.table`: :class:`ScoreTable` and the model and benchmark info;
- :mod:`~safetywashing.core.config`: :class:`AuditConfig`, the audit's settings;
- :mod:`~safetywashing.core.decision`: :class:`DecisionRule`, the readings and verdicts;
- :mod:`~safetywashing.core.errors`, :mod:`~safetywashing.core.limits`: bad input, bounds;
- :mod:`~safetywashing.core.result`, :mod:`~safetywashing.core.document`: the result base
  and the JSON envelope;
- :mod:`~safetywashing.core.parallel`, :mod:`~safetywashing.core.progress`: schedulers
  (in-process, processes, Dask) and progress lines.

Nothing here imports a capability folder, the readers or the presentation.
"""
