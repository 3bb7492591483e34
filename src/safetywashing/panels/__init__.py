"""Reference panels: stored audits that a new benchmark can be checked against.

- :mod:`safetywashing.panels.model`: the panel's types and their JSON form;
- :mod:`safetywashing.panels.build`: panels from an audit, a table, or the paper's data;
- :mod:`safetywashing.panels.check`: a new benchmark's correlations against a panel;
- :mod:`safetywashing.panels.atlas`: one benchmark across many panels, pooled;
- :mod:`safetywashing.panels.result`: the typed results of the check and the atlas.

Reading a new benchmark's scores is :func:`safetywashing.io.tables.new_scores.read_new_scores`.
"""

from safetywashing.io.tables.new_scores import NewScores, read_new_scores
from safetywashing.panels.build import (
    PAPER_PANELS,
    build_panel,
    panel_from_audit,
    paper_panel,
    resolve_panel,
)
from safetywashing.panels.check import MIN_MATCHED, check
from safetywashing.panels.model import (
    PANEL_KIND,
    PANEL_SCHEMA_VERSION,
    Panel,
    PanelBenchmark,
    PanelClass,
    PanelModel,
    load_panel,
)
from safetywashing.panels.result import (
    AtlasResult,
    AtlasSetting,
    CheckData,
    CheckResult,
    Interval,
    IntervalEstimator,
    Neighbour,
    SkippedSetting,
)

__all__ = [
    "MIN_MATCHED",
    "PANEL_KIND",
    "PANEL_SCHEMA_VERSION",
    "PAPER_PANELS",
    "AtlasResult",
    "AtlasSetting",
    "CheckData",
    "CheckResult",
    "Interval",
    "IntervalEstimator",
    "Neighbour",
    "NewScores",
    "Panel",
    "PanelBenchmark",
    "PanelClass",
    "PanelModel",
    "SkippedSetting",
    "build_panel",
    "check",
    "load_panel",
    "panel_from_audit",
    "paper_panel",
    "read_new_scores",
    "resolve_panel",
]
