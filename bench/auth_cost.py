"""Scenario `nats_auth`: what NATS's users and permissions cost (issue #15: no more than 10 %).

The bench's main stack runs with them, as everything ships (each app its own NATS user, the
shipped `deploy/nats/auth.conf`). After it has stopped, a second stack on fresh databases of the
same PostgreSQL runs with `EDF_DEV_NATS_AUTH=off` (devstack: a nats-server without authorization,
apps without a user) and measures the same two figures with the same arguments: application
submits per second (bench/submissions.py's headline figure) and approve → `payment.instructed`
p99 (bench/disbursement.py). With auth they are this run's submissions and disbursement figures;
where the run did not include one of them, it is measured on the main stack for this comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nats

from bench import disbursement, submissions
from bench.env import postgres_databases
from bench.quiet import wait_quiet
from devstack.running import Stack, running_stack
from devstack.stack import NATS_AUTH_VARIABLE

STACK_ENV = {"EDF_STACK_READY_TIMEOUT": "240"}
AUTH_ON = {NATS_AUTH_VARIABLE: "on"}  # the main stack, whatever the caller's environment says
AUTH_OFF = {NATS_AUTH_VARIABLE: "off"}
MAIN_STACK_ENV = {**STACK_ENV, **AUTH_ON}


async def _auth_required(nats_url: str) -> bool:
    nc = await nats.connect(nats_url, allow_reconnect=False)
    try:
        info: dict[str, Any] = getattr(nc, "_server_info", {})  # the server's INFO (nats-py keeps it there)
        return bool(info.get("auth_required"))
    finally:
        await nc.close()


def auth_required(stack: Stack) -> bool:
    """Whether the stack's nats-server asks its clients to log in."""
    return asyncio.run(_auth_required(stack.nats_url))


def _figures(stack: Stack, disbursement_url: str, args: argparse.Namespace, done: dict[str, Any]) -> dict[str, Any]:
    """The two figures on `stack`: from `done` (the run's own scenarios) where it has them."""
    if "submissions" in done:
        submit, source = done["submissions"]["submit"], ["submissions scenario"]
    else:
        wait_quiet(stack.nats_url)
        submit, source = submissions.measure(stack, args.count, args.runs, args.scale)["submit"], []
    if "disbursement" in done:
        latency = done["disbursement"]["instructed_latency"]
        source.append("disbursement scenario")
    else:
        wait_quiet(stack.nats_url)
        measured = disbursement.measure(stack, disbursement_url, args.approvals, args.runs, args.latency_samples)
        latency = measured["instructed_latency"]
    return {"submit": submit, "instructed_latency": latency, "from": source}


def with_auth(stack: Stack, urls: dict[str, str], args: argparse.Namespace, results: dict[str, Any]) -> dict[str, Any]:
    """At the end of the main run, on its stack (auth on)."""
    if not auth_required(stack):
        raise RuntimeError("the main stack's NATS does not require a login: it should run with its users")
    return _figures(stack, urls["DISBURSEMENT_DATABASE_URL"], args, results)


def without_auth(server_url: str, args: argparse.Namespace) -> dict[str, Any]:
    """A stack of its own, NATS without authorization, fresh databases on `server_url`."""
    with (
        postgres_databases(server_url) as urls,
        tempfile.TemporaryDirectory(prefix="edf-bench-noauth-") as var_dir,
        running_stack(Path(var_dir), extra_env={**urls, **STACK_ENV, **AUTH_OFF}, timeout=300) as stack,
    ):
        if auth_required(stack):
            raise RuntimeError(f"{NATS_AUTH_VARIABLE}=off, yet the stack's NATS requires a login")
        return _figures(stack, urls["DISBURSEMENT_DATABASE_URL"], args, {})


def measure(
    on: dict[str, Any], server_url: str, args: argparse.Namespace, step: Callable[[str], None]
) -> dict[str, Any]:
    """`on`: `with_auth`'s figures; measures those without auth and sets them beside each other."""
    off = without_auth(server_url, args)
    step("nats_auth (a stack without NATS authorization)")
    return {
        "with_auth": on,
        "without_auth": off,
        "runs": args.runs,
        "concurrency": submissions.CONCURRENCY,
        "latency_samples": args.latency_samples,
    }
