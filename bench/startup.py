"""Scenario: `make run` time to ready. Starts `python -m devstack run` (what `make run` runs,
with its defaults: SQLite files in the var dir, a nats-server of its own) on free ports and
times, from the moment the process is started, until the gateway's and every service's `/readyz`
answer 200 (polled every 50 ms from here); then stops it with SIGINT (as Ctrl-C does).

`fresh`: a new, empty var dir each time (databases created and migrated, NATS store made) —
what the target means by a warm venv. `again`: the same var dir started again (data kept).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.env import REPO
from devstack.ports import distinct_ports
from devstack.procs import interrupt_stack
from devstack.running import PORT_VARIABLES

TIMEOUT = 120.0


def _environment(var_dir: Path, ports: dict[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith("_DATABASE_URL") and k not in ("EDF_NATS_URL", "EDF_POSTGRES_URL")
    }
    return {
        **env,
        **ports,
        "EDF_VAR_DIR": str(var_dir),
        "EDF_BOOTSTRAP_ADMIN_PASSWORD": "bench admin password",
        "EDF_STACK_READY_TIMEOUT": str(int(TIMEOUT)),
    }


def _all_ready(client: httpx.Client, ports: dict[str, str]) -> bool:
    for variable in PORT_VARIABLES:
        try:
            if client.get(f"http://127.0.0.1:{ports[variable]}/readyz").status_code != 200:
                return False
        except httpx.HTTPError:
            return False
    return True


def time_to_ready(var_dir: Path) -> float:
    ports = distinct_ports((*PORT_VARIABLES, "EDF_NATS_PORT"))
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack", "run"],
        cwd=REPO,
        env=_environment(var_dir, ports),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        with httpx.Client(timeout=1) as client:
            while not _all_ready(client, ports):
                if process.poll() is not None:
                    raise RuntimeError(f"the stack exited with {process.returncode} before it was ready")
                if time.perf_counter() - started > TIMEOUT:
                    raise RuntimeError(f"the stack was not ready within {TIMEOUT:.0f} s")
                time.sleep(0.05)
        return time.perf_counter() - started
    finally:
        interrupt_stack(process)


def measure(runs: int = 3) -> dict[str, Any]:
    """Run after the bench's own stack: the venv is warm (bytecode compiled, files in the page cache)."""
    with tempfile.TemporaryDirectory(prefix="edf-bench-run-") as tmp:
        fresh = [time_to_ready(Path(tmp) / f"fresh-{n}") for n in range(runs)]
        again = [time_to_ready(Path(tmp) / "fresh-0") for _ in range(runs)]
    return {
        "fresh_s": statistics.median(fresh),
        "again_s": statistics.median(again),
        "runs": runs,
        "fresh_all_s": fresh,
        "again_all_s": again,
    }
