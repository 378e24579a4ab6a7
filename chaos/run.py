"""One chaos run: the stack up, the lifecycle driven while the faults are injected, the faults
stopped, everything drained, then the checks; the table printed and (with `--report`) the
figures written to docs/reliability.md. Exit status 0 only when every check passed."""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaos import report
from chaos.checks import run_checks
from chaos.client import Api, HttpStats
from chaos.data import Data
from chaos.faults import FaultPlan, Faults
from chaos.stack import ADMIN_EMAIL, ChaosStack, Endpoints
from chaos.streams import read_streams
from chaos.verdict import Check
from chaos.workload import Plan, Workload
from devstack.natsauth import shown_url
from devstack.procs import say as say_as


def say(text: str) -> None:
    say_as("chaos", text)


@dataclass(frozen=True)
class Options:
    plan: Plan
    faults: FaultPlan
    fail_every: int
    drain_timeout: float
    request_deadline: float
    workdir: Path | None
    keep: bool
    report: Path | None
    command: str
    log_level: str
    nats: str = "single"  # or "cluster": three NATS nodes, streams with 3 replicas
    replicas: int = 1  # processes of every service and of the gateway


@dataclass
class Outcome:
    workload: Workload
    faults: Faults
    http: HttpStats
    workload_error: str | None
    workload_seconds: float
    drain_seconds: float | None


def run(options: Options) -> int:
    started_at = report.now()
    host = report.machine()
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="edf-chaos-"))
    workdir.mkdir(parents=True, exist_ok=True)
    say(f"run folder {workdir} (process output in logs/)")
    stack = ChaosStack(
        workdir,
        fail_every=options.fail_every,
        log_level=options.log_level,
        nats=options.nats,
        replicas=options.replicas,
    )
    passed = False
    try:
        began = time.monotonic()
        endpoints = stack.start()
        say(
            f"stack ready in {time.monotonic() - began:.1f}s: PostgreSQL :{stack.postgres.port}, "
            f"{shown_url(endpoints.nats_url)}, "
            f"gateway {', '.join(endpoints.gateways)}"
        )
        outcome = asyncio.run(_drive(stack, endpoints, options))
        checks, figures = asyncio.run(_verify(endpoints, outcome, time.monotonic() - began, options))
        print(report.table(checks, figures), flush=True)
        passed = all(c.ok for c in checks)
        if options.report is not None:
            machine = f"{host}, {report.load()} at the end"
            report.write(
                options.report,
                report.markdown(
                    options.command, started_at, machine, checks, figures, outcome.faults.log.events, options.nats
                ),
                options.nats,
            )
            say(f"figures written to {options.report}")
        say("PASSED: no event lost, no effect duplicated" if passed else "FAILED: see the checks above")
        return 0 if passed else 1
    finally:
        stack.stop()
        if passed and not options.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            say(f"the run folder is kept: {workdir}")


async def _drive(stack: ChaosStack, endpoints: Endpoints, options: Options) -> Outcome:
    http = HttpStats()
    api = Api(endpoints.gateways, http, deadline=options.request_deadline)
    run_id = f"{int(time.time()) % 100000:05d}"
    workload = Workload(api, options.plan, run_id, ADMIN_EMAIL, stack.admin_password, say)
    faults = Faults(stack, options.faults, say)
    stop = asyncio.Event()
    fault_task = asyncio.create_task(faults.run(stop))
    error: str | None = None
    began = time.monotonic()
    try:
        await workload.run()
    except Exception as exc:  # noqa: BLE001  (reported as a failed check, after the drain)
        error = f"{type(exc).__name__}: {exc}"
        say(f"the workload failed: {error}")
    finally:
        workload_seconds = time.monotonic() - began
        stop.set()
        await fault_task
        await api.close()
    say(f"workload done in {workload_seconds:.0f}s; faults stopped; draining")
    faults_ended = time.monotonic()
    started_again = await asyncio.to_thread(stack.ensure_running)
    if started_again:
        say(f"started again after the faults: {', '.join(started_again)}")
    await asyncio.to_thread(stack.wait_ready)
    drained = await _drain(endpoints, options.drain_timeout)
    drain_seconds = time.monotonic() - faults_ended if drained else None
    return Outcome(workload, faults, http, error, workload_seconds, drain_seconds)


async def _drain(endpoints: Endpoints, timeout: float) -> bool:
    """Until every durable consumer has nothing pending or unacked and every outbox is empty,
    twice in a row (a second apart)."""
    data = Data(endpoints.database_urls)
    deadline = time.monotonic() + timeout
    quiet = 0
    try:
        while time.monotonic() < deadline:
            streams = await read_streams(endpoints.nats_url, with_events=False)
            busy = sum(c.pending + c.ack_pending for c in streams.consumers)
            unpublished = sum(
                int(data.scalar(app, "SELECT count(*) FROM outbox WHERE published_at IS NULL"))
                for app in endpoints.database_urls
            )
            quiet = quiet + 1 if busy == 0 and unpublished == 0 else 0
            if quiet >= 2:
                return True
            await asyncio.sleep(1.0)
        say(f"not drained within {timeout:.0f}s")
        return False
    finally:
        data.close()


async def _verify(
    endpoints: Endpoints, outcome: Outcome, total_seconds: float, options: Options
) -> tuple[list[Check], dict[str, dict[str, Any]]]:
    streams = await read_streams(endpoints.nats_url)
    data = Data(endpoints.database_urls)
    try:
        checks = await asyncio.to_thread(run_checks, data, streams, endpoints.finance_db)
    finally:
        data.close()
    lifecycle = Check("the lifecycle completed through the gateway", outcome.workload_error or "every step done")
    if outcome.workload_error:
        lifecycle.problems.append(outcome.workload_error)
    lifecycle.problems += outcome.workload.tally.anomalies
    drained = Check(
        "everything drained after the faults",
        f"{outcome.drain_seconds:.1f}s" if outcome.drain_seconds is not None else "not drained",
    )
    if outcome.drain_seconds is None:
        drained.problems.append(f"not drained within {options.drain_timeout:.0f}s")
    exits = outcome.faults.log.unexpected_exits
    survived = Check(
        "no process exited by itself (only the kills stopped them)",
        ", ".join(f"{name} × {n}" for name, n in sorted(exits.items())) or "none",
    )
    survived.problems += [line for line in outcome.faults.log.events if "exited by itself" in line]
    checks = [lifecycle, drained, survived, *checks]
    lost = sum(c.lost for c in checks)
    duplicated = sum(c.duplicated for c in checks)
    figures: dict[str, dict[str, Any]] = {
        "Run": {
            "NATS": "three-node cluster, streams with 3 replicas" if options.nats == "cluster" else "one server",
            "replicas of every service and of the gateway": options.replicas,
            "applicants": options.plan.applicants,
            "lifecycle under faults (s)": round(outcome.workload_seconds),
            "time to drain after the faults (s)": (
                round(outcome.drain_seconds, 1) if outcome.drain_seconds is not None else "not drained"
            ),
            "whole run, start to checks (s)": round(total_seconds),
            "lost": lost,
            "duplicated effects": duplicated,
        },
        "Faults": outcome.faults.log.figures(),
        "Events published (messages on the streams)": {**streams.counts, "total": sum(streams.counts.values())},
        "Workload": outcome.workload.figures(),
        "HTTP (through the gateway)": outcome.http.figures(),
    }
    return checks, figures


def main_exit(options: Options) -> None:
    sys.exit(run(options))
