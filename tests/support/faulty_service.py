"""A service as a real process with a fault injected: one of its inbox consumers SIGKILLs the
process after committing an event's effect and before acking its message (the moment an
at-least-once consumer must survive). The production code has no such switch: this launcher
installs the consumer's `after_commit` hook, then serves the app with uvicorn.

    python -m tests.support.faulty_service <app> <port> <durable consumer name, or *>
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from pathlib import Path

from shared.inbox import InboxConsumer
from shared.migrate import APPS
from tests.support.apps import AppProcess


def kill_this_process(_: InboxConsumer) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def serve_with_kill_after_commit(app_name: str, port: int, consumer: str) -> None:
    import uvicorn

    app = importlib.import_module(f"{APPS[app_name]}.main").create_app()
    consumers: list[InboxConsumer] = app.state.runtime.consumers
    doomed = [c for c in consumers if consumer in (c.name, "*")]
    assert doomed, f"{app_name} has no consumer {consumer}: {[c.name for c in consumers]}"
    for victim in doomed:
        victim.after_commit = kill_this_process
    uvicorn.run(app, host="127.0.0.1", port=port)


class KilledAfterCommit(AppProcess):
    """An `AppProcess` whose consumer `consumer` kills it after its first committed effect."""

    def __init__(self, app: str, port: int, env: dict[str, str], log_path: Path, consumer: str) -> None:
        super().__init__(app, port, env, log_path)
        self.consumer = consumer

    def command(self) -> list[str]:
        return [sys.executable, "-m", "tests.support.faulty_service", self.app, str(self.port), self.consumer]


if __name__ == "__main__":
    serve_with_kill_after_commit(sys.argv[1], int(sys.argv[2]), sys.argv[3])
