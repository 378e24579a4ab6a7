"""Which stack the demo drives and as whom: the gateway (EDF_GATEWAY_URL, default
http://127.0.0.1:8000), its NATS (for the finance consumer), and the bootstrap admin that
`make run` creates (its password in var/admin-password, or EDF_BOOTSTRAP_ADMIN_PASSWORD).

When nothing answers on the gateway's address, `StartedStack` runs `python -m devstack run`
(what `make run` does) in the background for as long as the demo needs it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import httpx

from demo.client import LOOPBACK, DemoError
from devstack.stack import ADMIN_PASSWORD_FILE, DEFAULT_ADMIN_EMAIL, ROOT, load_config

DEFAULT_GATEWAY = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Target:
    gateway: str
    nats_url: str
    var_dir: Path
    admin_email: str
    admin_password_given: str | None  # EDF_BOOTSTRAP_ADMIN_PASSWORD; else read from var/admin-password

    def admin_password_where(self) -> str:
        """Where the admin's password is, never the password itself."""
        return (
            "from EDF_BOOTSTRAP_ADMIN_PASSWORD"
            if self.admin_password_given
            else f"in {self.var_dir / ADMIN_PASSWORD_FILE}"
        )

    def admin_password(self) -> str:
        if self.admin_password_given:
            return self.admin_password_given
        path = self.var_dir / ADMIN_PASSWORD_FILE
        if not path.exists():
            raise DemoError(
                f"no admin password in {path}: start the stack with `make run` (it makes one), "
                "or set EDF_BOOTSTRAP_ADMIN_PASSWORD"
            )
        return path.read_text().strip()


def target_from(env: Mapping[str, str], gateway: str | None = None, nats_url: str | None = None) -> Target:
    port = env.get("EDF_GATEWAY_PORT", "").strip()
    url = gateway or env.get("EDF_GATEWAY_URL") or (f"http://127.0.0.1:{port}" if port else DEFAULT_GATEWAY)
    config = load_config(env)
    return Target(
        gateway=url.rstrip("/"),
        nats_url=nats_url or config.nats_url,
        var_dir=config.var_dir,
        admin_email=env.get("EDF_BOOTSTRAP_ADMIN_EMAIL") or DEFAULT_ADMIN_EMAIL,
        admin_password_given=env.get("EDF_BOOTSTRAP_ADMIN_PASSWORD") or None,
    )


def ready(gateway: str) -> bool:
    try:
        return httpx.get(f"{gateway}/readyz", timeout=3, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


class StartedStack:
    """`python -m devstack run` in the background, its output in var/demo-stack.log."""

    def __init__(self, target: Target, timeout: float = 180.0) -> None:
        parts = urlsplit(target.gateway)
        if parts.hostname not in LOOPBACK:
            raise DemoError(f"nothing answers at {target.gateway} and it is not this machine: start that stack first")
        self.target, self.timeout = target, timeout
        self.log_path = target.var_dir / "demo-stack.log"
        env = dict(os.environ)
        env["EDF_GATEWAY_PORT"] = str(parts.port or 80)
        env.setdefault("EDF_STACK_READY_TIMEOUT", str(int(timeout)))  # a first start on a busy machine is slow
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.log: IO[bytes] | None = None

    def start(self) -> None:
        self.target.var_dir.mkdir(parents=True, exist_ok=True)
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devstack", "run"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + self.timeout + 30  # the runner gives up first, and says why
        while not ready(self.target.gateway):
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log_path.read_text(errors="replace").splitlines()[-15:]
                self.stop()
                raise DemoError("the stack did not start (`make run` says why):\n" + "\n".join(tail))
            time.sleep(0.5)

    def wait(self) -> None:
        """Until the stack stops (Ctrl-C reaches it too: it is in the same process group)."""
        if self.process is not None:
            try:
                self.process.wait()
            except KeyboardInterrupt:
                self.stop()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log is not None:
            self.log.close()
            self.log = None
