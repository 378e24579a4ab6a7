"""The whole stack as processes (`python -m devstack run`) on free ports and a var dir of its
own, with a bootstrap admin of known credentials: what the end-to-end tests, the bench and the
chaos run drive through the gateway and NATS, as users and a finance system would."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from devstack.keys import PRIVATE, PUBLIC, key_files
from devstack.mfa import TotpStore, sign_in
from devstack.natsauth import ops_url
from devstack.ports import distinct_ports
from devstack.procs import interrupt_stack
from devstack.stack import APPS, ROOT, nats_auth_on
from shared.app import token_config
from shared.auth import AMR_MFA, Role, TokenConfig, issue_token
from shared.settings import CommonSettings

ADMIN_EMAIL = "admin@e2e.example"
ADMIN_PASSWORD = "e2e admin password"  # noqa: S105  (a throw-away stack's admin on loopback)
PORT_VARIABLES = tuple(app.port_variable for app in APPS)  # EDF_GATEWAY_PORT, APPLICATIONS_PORT, ...
OTHER_PORTS = ("EDF_NATS_PORT", "EDF_NATS_MONITOR_PORT", "GATEWAY_METRICS_PORT")


@dataclass
class Stack:
    gateway: str
    nats_url: str
    var_dir: Path
    output: list[str]

    def token_config(self) -> TokenConfig:
        """What this stack's gateway signs with (devstack.keys): for tokens of synthetic users."""
        files = key_files(self.var_dir, os.environ)
        settings = CommonSettings(jwt_public_keys_file=Path(files[PUBLIC]))
        return token_config(settings, Path(files[PRIVATE]))

    def synthetic_token(self, role: Role, user_id: uuid.UUID, email: str) -> dict[str, str]:
        """A token of a user the gateway does not know, as it would issue it after a sign-in with a
        second factor (the bench's synthetic staff and applicants)."""
        token = issue_token(self.token_config(), user_id, email, role, AMR_MFA)
        return {"Authorization": f"Bearer {token}"}

    def token(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD, enrol: bool = True) -> dict[str, str]:
        """Signs in; a staff account is enrolled in TOTP on its first sign-in (`devstack.mfa`) and
        signs in with a code, so that its token carries the second factor."""
        with httpx.Client(base_url=f"{self.gateway}/api/v1", timeout=120) as client:
            token = sign_in(client, self.totp, email, password, enrol)
        return {"Authorization": f"Bearer {token}"}

    @property
    def totp(self) -> TotpStore:
        return TotpStore.of(self.var_dir)


@contextmanager
def running_stack(var_dir: Path, extra_env: dict[str, str] | None = None, timeout: float = 90.0) -> Iterator[Stack]:
    ports = distinct_ports((*PORT_VARIABLES, *OTHER_PORTS))
    env = {
        **os.environ,
        **ports,
        "EDF_VAR_DIR": str(var_dir),
        "EDF_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
        "EDF_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        **(extra_env or {}),
    }
    env.pop("EDF_NATS_URL", None)
    plain_nats = f"nats://127.0.0.1:{ports['EDF_NATS_PORT']}"
    # as the operators' user (devstack.natsauth): tests and the bench look at every stream; with
    # EDF_DEV_NATS_AUTH=off (the bench's comparison) the NATS has no users: the plain URL
    nats_url = ops_url(plain_nats, var_dir / "nats") if nats_auth_on(env) else plain_nats
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if "is ready in" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        deadline = time.monotonic() + timeout
        while not ready.wait(0.2):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the stack did not get ready:\n" + "".join(output[-60:]))
        yield Stack(
            gateway=f"http://127.0.0.1:{ports['EDF_GATEWAY_PORT']}",
            nats_url=nats_url,
            var_dir=var_dir,
            output=output,
        )
    finally:
        interrupt_stack(process)
