"""One rich progress bar per stage, and how long each stage took."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


@dataclass
class Bar:
    progress: Progress
    task: TaskID
    started: float = field(default_factory=time.monotonic)

    def advance(self, n: int = 1) -> None:
        self.progress.advance(self.task, n)

    def update(self, completed: int, total: int | None = None) -> None:
        if total is None:
            self.progress.update(self.task, completed=completed)
        else:
            self.progress.update(self.task, completed=completed, total=total)


class Stages:
    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description:<34}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.seconds: dict[str, float] = {}
        self._current: tuple[str, Bar] | None = None

    def __enter__(self) -> Stages:
        self.progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.finish()
        self.progress.stop()

    def start(self, name: str, total: int) -> Bar:
        self.finish()
        bar = Bar(self.progress, self.progress.add_task(name, total=max(total, 0)))
        self._current = (name, bar)
        return bar

    def finish(self) -> None:
        if self._current is not None:
            name, bar = self._current
            task = next(t for t in self.progress.tasks if t.id == bar.task)
            if task.total is not None and task.completed < task.total and task.total > 0:
                self.progress.update(bar.task, description=f"{name} (partly)")
            self.progress.stop_task(bar.task)
            self.seconds[name] = time.monotonic() - bar.started
            self._current = None
