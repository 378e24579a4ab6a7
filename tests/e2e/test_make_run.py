"""`make run` from a fresh clone: the stack gets ready, serves through the gateway, stops cleanly
on SIGINT, and a second run finds the data of the first (databases, admin, NATS store).

The "fresh clone" is a copy of the repository's tracked and untracked-but-not-ignored files
(so it tests the working tree, not the last commit), run with this test's virtualenv
(`make run VENV=...`) on free ports.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import nats
import pytest

from devstack.ports import distinct_ports
from devstack.running import PORT_VARIABLES

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[2]
VENV = Path(sys.prefix)
READY_LINE = "is ready in"
READY_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0
APP_DATABASES = ("gateway", "applications", "scoring", "disbursement", "monitoring")
PACKAGES = ("gateway", *(f"services.{app}" for app in APP_DATABASES[1:]))


def fresh_clone(destination: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, check=True, capture_output=True
    ).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = REPO / name
        if source.is_file():  # a tracked file deleted in the working tree is listed too
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def ensure_installed(clone: Path) -> None:
    """`make run` must not re-install: an editable install from the clone would repoint the shared
    virtualenv at a temporary directory. Install from the real repository first if it would."""
    dry = subprocess.run(["make", "-n", "install", f"VENV={VENV}"], cwd=clone, capture_output=True, text=True)
    if "pip install" in dry.stdout:
        subprocess.run(["make", "install", f"VENV={VENV}"], cwd=REPO, check=True, capture_output=True)


def process_tree(root: int) -> dict[int, tuple[str, str]]:
    """Every descendant of `root` (and root): pid -> (start time, command line), from /proc."""
    parents: dict[int, int] = {}
    info: dict[int, tuple[str, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
        info[int(entry.name)] = (fields[19], cmdline)
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier.extend(children)
    return {pid: info[pid] for pid in tree if pid in info}


def still_running(processes: dict[int, tuple[str, str]]) -> list[str]:
    alive = []
    for pid, (started, cmdline) in processes.items():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[19] == started and fields[0] != "Z":
            alive.append(f"{pid} {cmdline.strip()}")
    return alive


class MakeRun:
    """`make run` in the clone, its output collected line by line."""

    def __init__(self, clone: Path, env: dict[str, str]) -> None:
        self.clone = clone
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.process = subprocess.Popen(
            ["make", "run", f"VENV={VENV}"],
            cwd=clone,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal would give it
        )
        self.started = time.monotonic()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.tree: dict[int, tuple[str, str]] = {}

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode(errors="replace").rstrip()
            self.lines.append(line)
            if READY_LINE in line:
                self.ready.set()
        self.ready.set()  # exited: stop waiting

    def output(self, last: int = 60) -> str:
        return "\n".join(self.lines[-last:])

    def wait_ready(self) -> float:
        self.ready.wait(READY_TIMEOUT)
        assert any(READY_LINE in line for line in self.lines), f"not ready in {READY_TIMEOUT}s:\n{self.output()}"
        seconds = time.monotonic() - self.started
        self.tree = process_tree(self.process.pid)
        return seconds

    def runner_pid(self) -> int:
        return int((self.clone / "var" / "stack.pid").read_text())

    def wait_exit(self) -> int:
        try:
            return self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"make run did not exit within {STOP_TIMEOUT}s of SIGINT:\n{self.output()}")

    def kill(self) -> None:
        """Last-resort cleanup after a failure: nothing of this run may outlive the test."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        for pid in (int(p.split()[0]) for p in still_running(self.tree)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    if not (REPO / ".git").exists():
        pytest.skip("needs a git work tree to copy")
    if sys.prefix == sys.base_prefix:
        pytest.skip("needs to run inside a virtualenv (make test)")
    path = fresh_clone(tmp_path / "clone")
    ensure_installed(path)
    return path


TOKEN_KEY_VARIABLES = ("EDF_JWT_PRIVATE_KEY_FILE", "EDF_JWT_PUBLIC_KEYS_FILE")


@pytest.fixture
def stack_env() -> dict[str, str]:
    # Not the tests' token keys either: `make run` makes its own into var/jwt.
    dropped = ("EDF_NATS_URL", "EDF_VAR_DIR", "MAKEFLAGS", "MAKELEVEL", "MFLAGS", *TOKEN_KEY_VARIABLES)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in dropped and not k.endswith("_DATABASE_URL") and not k.startswith(("EDF_BOOTSTRAP_", "GATEWAY_"))
    }
    env.update(distinct_ports((*PORT_VARIABLES, "EDF_NATS_PORT")))
    return env


@pytest.fixture
def runs() -> Iterator[list[MakeRun]]:
    started: list[MakeRun] = []
    yield started
    for run in started:
        run.kill()


def a_call(code: str) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "code": code,
        "title": {"en": "End-to-end call", "ar": "دعوة اختبار"},
        "currency": "USD",
        "budget": "100000.00",
        "grant_min": "1000.00",
        "grant_max": "10000.00",
        "opens_at": now.isoformat(),
        "closes_at": (now + timedelta(days=30)).isoformat(),
        "rubric": [{"key": "jobs", "label": {"en": "Jobs", "ar": "وظائف"}, "weight": "1", "max_score": 5}],
        "tranche_plan": [{"percent": "100", "milestone": "agreement_signed"}],
    }


def admin_token(gateway: httpx.Client, clone: Path) -> str:
    password = (clone / "var" / "admin-password").read_text().strip()
    response = gateway.post("/api/v1/auth/token", data={"username": "admin@edf.local", "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def codes(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["code"] for item in response.json()["items"]}


async def stream_messages(nats_port: str, stream: str, clone: Path) -> int:
    """As the `reader` NATS user, from the connection file the stack wrote (CONTRACT.md)."""
    reader = json.loads((clone / "var" / "nats" / "reader.json").read_text())
    assert set(reader) == {"url", "user", "password"} and reader["url"] == f"nats://127.0.0.1:{nats_port}"
    connection = await nats.connect(
        reader["url"],
        user=reader["user"],
        password=reader["password"],
        inbox_prefix=f"_INBOX_{reader['user']}",
        connect_timeout=2,
        max_reconnect_attempts=0,
    )
    try:
        info = await connection.jetstream().stream_info(stream)
        return int(info.state.messages)
    finally:
        await connection.close()


def wait_for_messages(nats_port: str, stream: str, clone: Path, timeout: float = 15.0) -> int:
    """How many messages the stream holds, once it holds any (the outbox relay is asynchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            count = asyncio.run(stream_messages(nats_port, stream, clone))
        except Exception:  # noqa: BLE001  (the stream may not exist yet)
            count = 0
        if count or time.monotonic() > deadline:
            return count
        time.sleep(0.2)


def test_make_run_gets_ready_stops_cleanly_and_keeps_its_data(
    clone: Path, stack_env: dict[str, str], runs: list[MakeRun]
) -> None:
    base_url = f"http://127.0.0.1:{stack_env['EDF_GATEWAY_PORT']}"
    code = "E2E" + uuid.uuid4().hex[:8].upper()

    # First run: ready, healthy, a call created and opened by the bootstrap admin.
    first = MakeRun(clone, stack_env)
    runs.append(first)
    seconds = first.wait_ready()
    print(f"first make run ready in {seconds:.1f}s")
    commands = " ".join(cmdline for _, cmdline in first.tree.values())
    for expected in ("nats-server", *(f"{package}.main:create_app" for package in PACKAGES)):
        assert expected in commands, f"no {expected} process under make run: {sorted(first.tree.values())}"
    with httpx.Client(base_url=base_url, timeout=10) as gateway:
        assert gateway.get("/readyz").status_code == 200
        assert gateway.get("/api/v1/calls").status_code == 200
        auth = {"Authorization": f"Bearer {admin_token(gateway, clone)}"}
        created = gateway.post("/api/v1/calls", json=a_call(code), headers=auth)
        assert created.status_code == 201, created.text
        opened = gateway.post(f"/api/v1/calls/{created.json()['id']}/open", headers=auth)
        assert opened.status_code == 200, opened.text
        assert code in codes(gateway.get("/api/v1/calls", headers=auth))
    assert wait_for_messages(stack_env["EDF_NATS_PORT"], "EDF_APPLICATIONS", clone) >= 1

    # SIGINT to the runner that `make run` started: it stops everything and exits 0, so make does.
    os.kill(first.runner_pid(), signal.SIGINT)
    assert first.wait_exit() == 0, first.output()
    assert not still_running(first.tree), f"left running: {still_running(first.tree)}"

    var = clone / "var"
    for app in APP_DATABASES:
        assert (var / f"{app}.db").is_file(), f"var/{app}.db missing after the first run"
    assert any((var / "nats").rglob("*")), "the NATS store under var/nats is empty"
    assert (var / "admin-password").stat().st_mode & 0o777 == 0o600
    assert (var / "jwt" / "signing.pem").stat().st_mode & 0o777 == 0o600
    assert (var / "jwt" / "jwks.json").is_file()
    for secret in ("passwords.json", "finance.json", "reader.json", "ops.json"):  # the NATS users'
        assert (var / "nats" / secret).stat().st_mode & 0o777 == 0o600, secret

    # Second run: the same admin password works, the call is still there, the stream kept its events.
    second = MakeRun(clone, stack_env)
    runs.append(second)
    seconds = second.wait_ready()
    print(f"second make run ready in {seconds:.1f}s")
    with httpx.Client(base_url=base_url, timeout=10) as gateway:
        assert gateway.get("/readyz").status_code == 200
        assert code in codes(gateway.get("/api/v1/calls"))  # open: visible to anyone
        auth = {"Authorization": f"Bearer {admin_token(gateway, clone)}"}
        assert code in codes(gateway.get("/api/v1/calls", headers=auth))
    assert asyncio.run(stream_messages(stack_env["EDF_NATS_PORT"], "EDF_APPLICATIONS", clone)) >= 1

    # Ctrl-C in a terminal reaches the whole foreground process group (make reports the
    # interruption itself); the stack must still stop every process.
    os.killpg(second.process.pid, signal.SIGINT)
    second.wait_exit()
    assert "stack        | stopped" in second.lines, second.output()
    assert not [line for line in second.lines if line.startswith("stack") and "error" in line], second.output()
    assert not still_running(second.tree), f"left running: {still_running(second.tree)}"
