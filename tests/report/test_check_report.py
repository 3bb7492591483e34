"""Markdown of a check: hostile model names stay inside their table cell."""

from __future__ import annotations

import numpy as np

from safetywashing.datasets import load_demo_panel
from safetywashing.panels import NewScores, build_panel, check
from safetywashing.report.check import check_json, check_markdown


def test_unmatched_names_with_newlines_and_emphasis_stay_in_one_cell() -> None:
    table = load_demo_panel()
    panel = build_panel(table, label="demo")
    chat = [m.id for m in table.models if m.model_class == "chat"]
    hostile = "evil\nmodel | *bold* __x__"
    new = NewScores(
        "new_bench",
        (*chat, hostile),
        np.arange(len(chat) + 1, dtype=np.float64),
        "new.csv",
    )
    text = check_markdown(check(new, panel, model_class="chat"))
    rows = [line for line in text.splitlines() if line.startswith("| evil")]
    # One row, the newline folded, the pipe and the emphasis escaped (the report's one
    # Markdown escaper); the old local escaper let the newline split the row.
    assert len(rows) == 1
    assert rows[0].startswith(r"| evil model \| \*bold\* \_\_x\_\_ |")


def test_the_checks_table_has_the_reading_its_report_prints() -> None:
    # Before: the console, Markdown and JSON gave a reading, to_frame() had none.
    import json

    table = load_demo_panel()
    panel = build_panel(table, label="demo")
    chat = [m.id for m in table.models if m.model_class == "chat"]
    scores = table.values[:, table.benchmark_ids.index("syn_ethics_qa")]
    values = np.array([scores[table.model_ids.index(m)] for m in chat])
    result = check(
        NewScores("new_bench", tuple(chat), values, "new.csv"), panel, model_class="chat"
    )
    frame = result.to_frame()
    assert frame.loc[0, "reading"] == json.loads(check_json(result))["reading"] == "high"
    columns = list(frame.columns)
    assert columns[columns.index("capabilities_correlation") + 1] == "reading"
