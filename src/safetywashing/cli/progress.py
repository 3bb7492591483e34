"""Feedback on long work: a progress bar on a terminal, one line per stage when piped.

The analyses report through the library's callback (``progress(stage, done, total)``,
see :mod:`safetywashing.core.progress`); the command line decides how to show it. On a
terminal a rich bar appears once a stage will take over a second; when stderr is piped
each stage prints one line when it starts and one when it ends, so a log shows where
the time went. ``--quiet`` silences both, and the ``wrote ...`` lines.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from safetywashing.core.progress import ProgressCallback

_settings = {"quiet": False}


def set_quiet(quiet: bool) -> None:
    """Silence (or restore) progress and status lines on stderr."""
    _settings["quiet"] = quiet


def status(message: str) -> None:
    """One status line on stderr, unless ``--quiet``."""
    if not _settings["quiet"]:
        print(message, file=sys.stderr, flush=True)


class TerminalProgress:
    """A rich progress bar per stage on stderr, shown once a stage will take over a second.

    Call it as ``progress(stage, done, total)`` (see :mod:`safetywashing.core.progress`).
    """

    def __init__(self) -> None:
        self.stage = ""
        self.started = 0.0
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.started = time.perf_counter()
        if self.bar is None:
            elapsed = time.perf_counter() - self.started
            if done >= total or done <= 0 or elapsed / done * total < 1.0:
                return
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task(stage, total=total)
        self.bar.update(self.task, completed=done)
        if done >= total:
            self.close()

    def close(self) -> None:
        """Remove the bar of the current stage, if one is shown."""
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


class LineProgress:
    """One line when a stage starts and one when it ends, for piped stderr (logs)."""

    def __init__(self) -> None:
        self.stage = ""
        self.started = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.stage = stage
            self.started = time.perf_counter()
            status(f"{stage}: {total} steps...")
        if done >= total:
            status(f"{stage}: done in {time.perf_counter() - self.started:.1f} s")
            self.stage = ""


def terminal_progress() -> ProgressCallback | None:
    """The progress callback for this process: a bar, lines, or None under ``--quiet``."""
    if _settings["quiet"]:
        return None
    return TerminalProgress() if sys.stderr.isatty() else LineProgress()
