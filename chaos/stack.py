"""The stack of the chaos run: its own PostgreSQL cluster (a database per app), its own
`nats-server` (JetStream store in the run's folder), the four services and the gateway as
`uvicorn` processes (built by `devstack.stack`, as `make run DB=postgres` builds them) and the
reference finance consumer (`edf finance-sim`), each process's output in `<run>/logs/`.

Any one process can be SIGKILLed and started again; NATS is stopped and started on the same
store; PostgreSQL is stopped the crash-like way (`pg_ctl -m immediate`) and started again.
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from devstack.pgcluster import PostgresCluster
from devstack.ports import free_ports
from devstack.procs import Child, stop_all, tcp_open, wait_until_ready
from devstack.stack import APPS, ROOT, build_children, common_environment, load_config
from shared import migrate

# fsync off: the machine does not crash in this run, processes do (what an immediate stop
# simulates); a killed server loses nothing the page cache holds.
POSTGRES_SETTINGS = {"max_connections": "400", "fsync": "off", "full_page_writes": "off", "shared_buffers": "128MB"}
SERVICES = tuple(app.name for app in APPS)  # applications, scoring, disbursement, monitoring, gateway
FINANCE = "finance-sim"
KILLABLE = (*SERVICES, FINANCE)
ADMIN_EMAIL = "admin@chaos.example"


@dataclass(frozen=True)
class Endpoints:
    gateway: str
    nats_url: str
    database_urls: dict[str, str]  # app -> URL
    finance_db: Path


class ChaosStack:
    def __init__(self, workdir: Path, *, fail_every: int, log_level: str = "INFO") -> None:
        self.workdir = workdir
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.fail_every = fail_every
        self.log_level = log_level
        self.admin_password = secrets.token_urlsafe(18)
        ports = free_ports(len(APPS) + 2)
        self.ports = {app.port_variable: ports[i] for i, app in enumerate(APPS)}
        self.nats_port = ports[len(APPS)]
        self.postgres = PostgresCluster(ports[len(APPS) + 1], POSTGRES_SETTINGS, self.logs / "postgres.log")
        self.children: dict[str, Child] = {}
        self.endpoints: Endpoints | None = None
        self.lock = threading.Lock()

    def start(self, ready_timeout: float = 120.0) -> Endpoints:
        self.postgres.init()
        self.postgres.start()
        names = {app.name: f"edf_{app.name}" for app in APPS}
        self.postgres.create_databases(list(names.values()))
        urls = {app: self.postgres.database_url(name) for app, name in names.items()}
        base = {k: v for k, v in os.environ.items() if k != "EDF_NATS_URL" and not k.endswith("_DATABASE_URL")}
        base.update({k: str(v) for k, v in self.ports.items()})
        base.update(
            EDF_NATS_PORT=str(self.nats_port),
            EDF_VAR_DIR=str(self.workdir / "var"),
            EDF_BOOTSTRAP_ADMIN_EMAIL=ADMIN_EMAIL,
            EDF_BOOTSTRAP_ADMIN_PASSWORD=self.admin_password,
            EDF_LOG_LEVEL=self.log_level,
        )
        config = load_config(base)
        config.var_dir.mkdir(parents=True, exist_ok=True)
        env = common_environment(config, base)
        env.update({f"{app.upper()}_DATABASE_URL": url for app, url in urls.items()})
        for app, url in urls.items():
            migrate.upgrade(app, url)
        finance_db = self.workdir / "finance-sim.db"
        children = build_children(config, env)
        children.append(
            Child(
                FINANCE,
                [
                    sys.executable,
                    "-m",
                    "cli.main",
                    "finance-sim",
                    "--nats-url",
                    config.nats_url,
                    "--db",
                    str(finance_db),
                    "--fail-every",
                    str(self.fail_every),
                ],
                env=env,
                cwd=ROOT,
                ready=lambda: True,
            )
        )
        for child in children:
            child.log = self.logs / f"{child.name}.log"
            self.children[child.name] = child
            child.start()
        problem = wait_until_ready(children, ready_timeout, threading.Event())
        if problem is not None:
            raise RuntimeError(f"the stack did not start: {problem} (logs in {self.logs})")
        gateway = f"http://127.0.0.1:{config.ports['gateway']}"
        self.endpoints = Endpoints(gateway=gateway, nats_url=config.nats_url, database_urls=urls, finance_db=finance_db)
        return self.endpoints

    def kill(self, name: str) -> None:
        child = self.children[name]
        child.signal(signal.SIGKILL)
        child.wait(10.0)

    def start_again(self, name: str) -> None:
        child = self.children[name]
        if not child.running:
            child.start()

    def wait_one_ready(self, name: str, timeout: float) -> bool:
        child = self.children[name]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if child.running and child.ready():
                return True
            time.sleep(0.2)
        return False

    def restart_nats(self, down_seconds: float) -> None:
        nats = self.children["nats"]
        nats.signal(signal.SIGTERM)
        if not nats.wait(15.0):
            nats.signal(signal.SIGKILL)
            nats.wait(5.0)
        time.sleep(down_seconds)
        nats.start()
        deadline = time.monotonic() + 30
        while not tcp_open("127.0.0.1", self.nats_port)():
            if time.monotonic() > deadline:
                raise RuntimeError("nats-server did not start again")
            time.sleep(0.1)

    def restart_postgres(self, down_seconds: float) -> None:
        self.postgres.stop("immediate")
        time.sleep(down_seconds)
        self.postgres.start()

    def exited(self) -> dict[str, int]:
        """Processes that exited by themselves (not killed by the run and not started again yet)."""
        return {name: code for name, child in self.children.items() if (code := child.exit_code()) is not None}

    def ensure_running(self) -> list[str]:
        """Starts whatever is not running (after the faults); returns their names."""
        started = [name for name, child in self.children.items() if not child.running]
        for name in started:
            self.children[name].start()
        return started

    def wait_ready(self, timeout: float = 120.0) -> None:
        problem = wait_until_ready(list(self.children.values()), timeout, threading.Event())
        if problem is not None:
            raise RuntimeError(f"not ready after the faults: {problem}")

    def stop(self) -> None:
        services = [c for name, c in self.children.items() if name != "nats"]
        stop_all(services)
        stop_all([c for name, c in self.children.items() if name == "nats"])
        self.postgres.destroy()
