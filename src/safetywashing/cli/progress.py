"""Progress bars on the terminal for the library's progress callbacks."""

from __future__ import annotations

import sys
import time
from typing import Any

from safetywashing.progress import ProgressCallback


class TerminalProgress:
    """A rich progress bar per stage on stderr, shown once a stage will take over a second.

    Call it as ``progress(stage, done, total)`` (see :mod:`safetywashing.progress`).
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


def terminal_progress() -> ProgressCallback | None:
    """A progress callback when stderr is a terminal, else None (no output when piped)."""
    return TerminalProgress() if sys.stderr.isatty() else None
