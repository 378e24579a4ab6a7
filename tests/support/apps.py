"""Running the apps in-process or as processes, tokens, polling."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
from fastapi.testclient import TestClient

from shared.auth import AMR_MFA, AMR_PASSWORD, Role, issue_token
from shared.migrate import APPS, upgrade
from tests.support.keys import signing_config
from tests.support.natsd import app_environment, app_login

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[2]


def bearer(role: Role, user_id: uuid.UUID | None = None, *, mfa: bool = True) -> dict[str, str]:
    """A valid token for the default (development) settings, as the gateway would issue it: signed
    in with a second factor unless `mfa=False` (money and award routes refuse such a token)."""
    config = signing_config()
    amr = AMR_MFA if mfa else AMR_PASSWORD
    token = issue_token(config, user_id or uuid.uuid4(), f"{role.value}@example.org", role, amr)
    return {"Authorization": f"Bearer {token}"}


def wait_until(
    predicate: Callable[[], T | None],
    timeout: float = 20.0,
    interval: float = 0.05,
    what: str | Callable[[], str] = "condition not met",
) -> T:
    """The predicate's first truthy result; an AssertionError saying `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what() if callable(what) else what} within {timeout} s")
        time.sleep(interval)


def settings_for(app: str, **values: Any) -> Any:
    module = importlib.import_module(f"{APPS[app]}.settings")
    return module.Settings(**values)


@contextmanager
def running_app(app: str, database_url: str, nats_url: str, **values: Any) -> Iterator[TestClient]:
    """The app in-process with its lifespan (relay, consumers) running, on a migrated database."""
    upgrade(app, database_url)
    settings = settings_for(app, database_url=database_url, **{**app_login(nats_url, app), **values})
    create_app = importlib.import_module(f"{APPS[app]}.main").create_app
    with TestClient(create_app(settings), raise_server_exceptions=True) as client:
        yield client


class AppProcess:
    """An app as a real process (uvicorn), so that tests can SIGKILL it."""

    def __init__(self, app: str, port: int, env: dict[str, str], log_path: Path) -> None:
        self.app = app
        self.port = port
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        factory = f"{APPS[self.app]}.main:create_app"
        return [sys.executable, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1", "--port", str(self.port)]

    def start(self) -> None:
        env = {**os.environ, **self.env}
        if env.get("EDF_NATS_URL") and "EDF_NATS_USER" not in self.env:  # its own NATS user (natsd.app_login)
            env.update(app_environment(env["EDF_NATS_URL"], self.app))
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.command(), cwd=REPO, env=env, stdout=log, stderr=log)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until `/readyz` answers 200 and says the app is connected to NATS (its consumers run)."""

        def ready() -> bool:
            try:
                response = httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1)
                return response.status_code == 200 and response.json()["nats"] == "connected"
            except httpx.HTTPError:
                return False

        wait_until(ready, timeout, 0.1)

    def wait_exit(self, timeout: float = 30.0) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
