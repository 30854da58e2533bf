"""Progress reporting without a UI dependency.

Long-running functions take an optional `progress` callback and call it with `ProgressEvent`s.
The CLI turns them into Rich progress bars on stderr; library users can log them or ignore them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ProgressEvent:
    """One step of work: `done` of `total` units of `task` (total None = unknown).

    `finished` marks the last event of a task; `message` is a short human note.
    """

    task: str
    done: int = 0
    total: int | None = None
    message: str = ""
    finished: bool = False


ProgressCallback = Callable[[ProgressEvent], None]


def ignore(event: ProgressEvent) -> None:
    """The default callback: report nothing."""
