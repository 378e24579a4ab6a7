"""The stack of the chaos run: its own PostgreSQL cluster (a database per app), its own
`nats-server` (JetStream store in the run's folder) or, with `nats="cluster"`, its own
three-node JetStream cluster (`devstack.natscluster`, streams with 3 replicas), the four services
and the gateway as `uvicorn` processes (built by `devstack.stack`, as `make run DB=postgres`
builds them) and the reference finance consumer (`edf finance-sim`), each process's output in
`<run>/logs/`.

With `replicas=2` every service and the gateway run twice, in two lanes: the second lane's
processes are named `<app>-2` and its gateway reaches the second lane's services; both lanes
share the databases and the streams (their relays publish the same outboxes, their consumers
share the durable consumers). The workload sends its requests to the gateways in turn.

Any one process can be SIGKILLed and started again, a NATS server or node too; PostgreSQL is
stopped the crash-like way (`pg_ctl -m immediate`) and started again.
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from devstack.natsauth import ops_url
from devstack.natscluster import meta_leader, nodes_on, servers_url
from devstack.pgcluster import PostgresCluster
from devstack.ports import free_ports
from devstack.procs import Child, stop_all, wait_until_ready
from devstack.stack import APPS, ROOT, Config, build_children, common_environment, is_nats, load_config
from shared import migrate

# fsync off: the machine does not crash in this run, processes do (what an immediate stop
# simulates); a killed server loses nothing the page cache holds.
POSTGRES_SETTINGS = {"max_connections": "400", "fsync": "off", "full_page_writes": "off", "shared_buffers": "128MB"}
SERVICES = tuple(app.name for app in APPS)  # applications, scoring, disbursement, monitoring, gateway
FINANCE = "finance-sim"
ADMIN_EMAIL = "admin@chaos.example"


@dataclass(frozen=True)
class Endpoints:
    gateways: tuple[str, ...]  # one per lane
    nats_url: str  # one server, or the cluster's nodes comma-separated
    database_urls: dict[str, str]  # app -> URL
    finance_db: Path


class ChaosStack:
    def __init__(
        self, workdir: Path, *, fail_every: int, log_level: str = "INFO", nats: str = "single", replicas: int = 1
    ) -> None:
        self.workdir = workdir
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.fail_every = fail_every
        self.log_level = log_level
        self.admin_password = secrets.token_urlsafe(18)
        self.nats = nats
        self.replicas = replicas
        nats_ports = 9 if nats == "cluster" else 1  # three nodes: client, route and monitoring ports each
        ports = free_ports(len(APPS) * replicas + nats_ports + 1)
        self.lane_ports = [
            {app.name: ports[lane * len(APPS) + i] for i, app in enumerate(APPS)} for lane in range(replicas)
        ]
        self.ports = {app.port_variable: self.lane_ports[0][app.name] for app in APPS}
        first = len(APPS) * replicas
        self.nats_port = ports[first]
        self.nats_nodes = nodes_on(ports[first : first + 9]) if nats == "cluster" else ()
        self.postgres = PostgresCluster(ports[-1], POSTGRES_SETTINGS, self.logs / "postgres.log")
        self.children: dict[str, Child] = {}
        self.endpoints: Endpoints | None = None
        self.lock = threading.Lock()

    @property
    def killable(self) -> tuple[str, ...]:
        """What the random kills choose from: every service and gateway of every lane, the finance
        consumer and, on a cluster, every NATS node (one node down leaves a quorum of two)."""
        lanes = tuple(name for name, child in self.children.items() if not is_nats(child))
        return lanes + tuple(node.name for node in self.nats_nodes)

    def _config(self, base: dict[str, str]) -> Config:
        config = load_config(base)
        if self.nats_nodes:
            config = replace(config, nats_port=None, nats_nodes=self.nats_nodes, nats_url=servers_url(self.nats_nodes))
        return config

    @staticmethod
    def _finance_credentials(config: Config) -> list[str]:
        """`edf finance-sim` as the finance NATS user, from the stack's connection file."""
        return [] if config.nats_auth_dir is None else ["--credentials", str(config.nats_auth_dir / "finance.json")]

    def _second_lanes(self, config: Config, env: dict[str, str]) -> list[Child]:
        """The services and gateway of lanes 2, 3, …: the first lane's environment but their own
        ports, the gateway of a lane reaching the services of its lane; no NATS of their own."""
        children = []
        for lane, ports in enumerate(self.lane_ports[1:], start=2):
            lane_config = replace(config, ports=ports, nats_port=None, nats_nodes=())
            for child in build_children(lane_config, common_environment(lane_config, env)):
                child.name = f"{child.name}-{lane}"
                children.append(child)
        return children

    def start(self, ready_timeout: float = 300.0) -> Endpoints:
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
        config = self._config(base)
        config.var_dir.mkdir(parents=True, exist_ok=True)
        env = common_environment(config, base)
        env.update({f"{app.upper()}_DATABASE_URL": url for app, url in urls.items()})
        for app, url in urls.items():
            migrate.upgrade(app, url)
        finance_db = self.workdir / "finance-sim.db"
        children = build_children(config, env) + self._second_lanes(config, env)
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
                    *self._finance_credentials(config),
                ],
                env=env,
                cwd=ROOT,
                ready=lambda: True,
            )
        )
        for child in sorted(children, key=lambda c: not is_nats(c)):  # NATS first, then the rest
            child.log = self.logs / f"{child.name}.log"
            self.children[child.name] = child
            child.start()
        problem = wait_until_ready(children, ready_timeout, threading.Event())
        if problem is not None:
            raise RuntimeError(f"the stack did not start: {problem} (logs in {self.logs})")
        gateways = tuple(f"http://127.0.0.1:{ports['gateway']}" for ports in self.lane_ports)
        # The run reads every stream and consumer: as the operators' NATS user (devstack.natsauth),
        # or with the plain URL on a NATS without users (EDF_DEV_NATS_AUTH=off).
        auth = config.nats_auth_dir
        nats_url = config.nats_url if auth is None else ops_url(config.nats_url, auth)
        self.endpoints = Endpoints(gateways, nats_url=nats_url, database_urls=urls, finance_db=finance_db)
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

    def nats_victim(self) -> str:
        """The NATS process the scheduled NATS fault kills: the server, or on a cluster the
        node that is the JetStream meta leader (so that a new one must be elected)."""
        if not self.nats_nodes:
            return "nats"
        return meta_leader(self.nats_nodes) or self.nats_nodes[0].name

    def kill_nats(self, name: str, down_seconds: float) -> None:
        """SIGKILL (no shutdown: what the store holds is what a crash leaves), down for a while,
        started again on the same store and waited for (a cluster node: until JetStream is current)."""
        self.kill(name)
        time.sleep(down_seconds)
        self.start_again(name)
        if not self.wait_one_ready(name, 60.0):
            raise RuntimeError(f"{name} did not start again")

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
        stop_all([c for c in self.children.values() if not is_nats(c)])
        stop_all([c for c in self.children.values() if is_nats(c)])
        self.postgres.destroy()
