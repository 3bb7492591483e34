"""Progress of long computations, reported through a callback.

The analyses call ``progress(stage, done, total)`` as work completes; they never draw
anything. The command line passes a callback that shows a progress bar on a terminal
(see :mod:`safetywashing.cli.progress`); library callers pass their own, or None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

#: ``progress(stage, done, total)``: ``done`` of ``total`` units of ``stage`` are finished.
ProgressCallback: TypeAlias = Callable[[str, int, int], None]


def report_to(progress: ProgressCallback | None, stage: str) -> Callable[[int, int], None]:
    """A ``(done, total)`` callback for one stage (does nothing when ``progress`` is None)."""

    def update(done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    return update
