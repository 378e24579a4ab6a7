"""CPU time each part of the system spends per request: the services (by the stack runner's
children), PostgreSQL (every `postgres` process on the machine) and nats-server, read from
/proc/<pid>/stat before and after a load (utime + stime). What no single figure shows: where a
submission's CPU goes, and how many cores a target needs at that cost."""

from __future__ import annotations

import os
from pathlib import Path

from bench.env import stack_processes

TICK = os.sysconf("SC_CLK_TCK")


def _seconds(pid: int | str) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def _postgres() -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "postgres":
                total += _seconds(entry.name)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def snapshot(var_dir: Path) -> dict[str, float]:
    """CPU seconds used so far, by part: apps by name, `nats-server`, `postgres`."""
    used: dict[str, float] = {}
    for name, pid in stack_processes(var_dir).items():
        if name == "stack runner":
            continue
        try:
            used[name] = _seconds(pid)
        except (FileNotFoundError, ProcessLookupError):
            continue
    used["postgres"] = _postgres()
    return used


def per_request_ms(before: dict[str, float], after: dict[str, float], requests: int) -> dict[str, float]:
    """Milliseconds of CPU per request, by part (a part that restarted in between is left out)."""
    if requests <= 0:
        return {}
    return {name: round(max(after[name] - before.get(name, 0.0), 0.0) * 1000 / requests, 2)
            for name in after if name in before}
