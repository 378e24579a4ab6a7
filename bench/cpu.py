"""CPU time each part of the system spends per request: the services (by the stack runner's
children), PostgreSQL (every `postgres` process on the machine) and nats-server, read from
/proc/<pid>/stat before and after a load (utime + stime). What no single figure shows: where a
submission's CPU goes, and how many cores a target needs at that cost."""

from __future__ import annotations

import os
from pathlib import Path

from bench.env import stack_processes

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int | str) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _seconds(pid: int | str, children: bool = False) -> float:
    """utime + stime; with `children`, also what its children that ended used (cutime + cstime)."""
    fields = _stat(pid)
    used = int(fields[11]) + int(fields[12])
    return (used + (int(fields[13]) + int(fields[14]) if children else 0)) / TICK


def _postgres() -> float:
    """Every PostgreSQL process, and the backends that ended (counted in their postmaster)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit() or (entry / "comm").read_text().strip() != "postgres":
                continue
            parent = _stat(entry.name)[1]
            postmaster = Path(f"/proc/{parent}/comm").read_text().strip() != "postgres"
            total += _seconds(entry.name, children=postmaster)
        except (FileNotFoundError, ProcessLookupError, IndexError):
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
    return {
        name: round(max(after[name] - before.get(name, 0.0), 0.0) * 1000 / requests, 2)
        for name in after
        if name in before
    }
