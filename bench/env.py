"""What every scenario needs: PostgreSQL databases of its own, the stack, the load process."""

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

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def postgres_databases() -> Iterator[dict[str, str]]:
    """One fresh database per app on EDF_BENCH_POSTGRES_URL's server; dropped afterwards."""
    server = make_url(os.environ.get("EDF_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)).set(drivername="postgresql+psycopg")
    prefix = f"edfbench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    names = {app: f"{prefix}_{app}" for app in APPS}
    with admin.connect() as connection:
        for name in names.values():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield {f"{app.upper()}_DATABASE_URL": server.set(database=name).render_as_string(hide_password=False)
               for app, name in names.items()}
    finally:
        with admin.connect() as connection:
            for name in names.values():
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def load(plan: list[dict[str, Any]], concurrency: int) -> dict[str, Any]:
    """Sends every request of the plan from a separate load process (bench.load, async httpx)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(plan, f)
    try:
        done = subprocess.run([sys.executable, "-m", "bench.load", f.name, str(concurrency)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"the load process failed:\n{done.stderr[-3000:]}")
    finally:
        Path(f.name).unlink()
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()[0]
    return (f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {load:.1f} when it started (other work on the machine skews the figures)")
