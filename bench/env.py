"""What every scenario needs: PostgreSQL databases of its own, the load process, the machine."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shared.migrate import APPS

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def postgres_databases(server_url: str) -> Iterator[dict[str, str]]:
    """One fresh database per app on the server; dropped afterwards."""
    server = make_url(server_url).set(drivername="postgresql+psycopg")
    prefix = f"edfbench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    names = {app: f"{prefix}_{app}" for app in APPS}
    with admin.connect() as connection:
        for name in names.values():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield {
            f"{app.upper()}_DATABASE_URL": server.set(database=name).render_as_string(hide_password=False)
            for app, name in names.items()
        }
    finally:
        with admin.connect() as connection:
            for name in names.values():
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def load(plan: list[dict[str, Any]], concurrency: int, capture: Path | None = None) -> dict[str, Any]:
    """Sends every request of the plan from a separate load process (bench.load, async httpx)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(plan, f)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.load", f.name, str(concurrency), *([str(capture)] if capture else [])],
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the load process failed:\n{done.stderr[-3000:]}")
    finally:
        Path(f.name).unlink()
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def cpu_model() -> str:
    try:
        listed = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        listed = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    for line in listed.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "model name":
            return value.strip()
    return platform.processor() or "unknown CPU"


def git_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short=12", "HEAD") or "unknown"
    return commit + (" + uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def machine() -> dict[str, Any]:
    memory = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        memory = int(meminfo.read_text().split("MemTotal:")[1].split()[0]) // 1024
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count() or 0,
        "memory_mib": memory,
        "python": platform.python_version(),
        "load_average": round(os.getloadavg()[0], 2),
        "commit": git_commit(),
    }


def rss_mib(pid: int) -> float:
    """Resident memory of a process (VmRSS of /proc/<pid>/status) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def _parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def stack_processes(var_dir: Path) -> dict[str, int]:
    """{name: pid} of the runner's children: nats-server and the apps (by the module uvicorn runs)."""
    runner = int((var_dir / "stack.pid").read_text().strip())
    found: dict[str, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if _parent(int(entry.name)) != runner:
                continue
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        factory = next((a for a in argv if a.endswith(".main:create_app")), None)
        if factory:
            found[factory.removesuffix(".main:create_app").removeprefix("services.")] = int(entry.name)
        elif argv and Path(argv[0]).name == "nats-server":
            found["nats-server"] = int(entry.name)
    found["stack runner"] = runner
    return found
