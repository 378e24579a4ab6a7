"""Scenario: submit → screened → in a reviewer's queue at a fixed rate (default 100 submissions/s).

Officers are created through the gateway (scoring learns of them from `user.created`), drafts
are created beforehand (not timed), then a separate paced process (bench/paced.py, async httpx
and a NATS subscriber) submits them open loop at the rate and times each one from the moment it
sends the submit to the `application.assigned` event reaching its subscriber: scoring commits the
reviews (the queue shows them from then on) and the outbox relay publishes the event afterwards,
so the figure is an upper bound of "in the queue". A warm-up run comes first; the figures are the
medians of the runs' p50 and p99.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.env import REPO
from bench.load import percentile
from bench.quiet import wait_quiet
from bench.submissions import admin_headers, create_drafts, open_call
from devstack.running import Stack

OFFICERS = 10
PASSWORD = "bench officer password"  # noqa: S105  (synthetic users of a throwaway stack)


IDLE_RATE, IDLE_SUBMITS = 2.0, 20


def ensure_officers(stack: Stack, count: int = OFFICERS) -> None:
    """Officers in scoring's pool (created through the gateway; scoring hears `user.created`)."""
    admin = admin_headers(stack)
    with httpx.Client(base_url=stack.gateway, timeout=120) as client:
        for n in range(count):
            response = client.post(
                "/api/v1/users",
                headers=admin,
                json={
                    "email": f"officer-{n}-{time.time_ns()}@bench.example",
                    "password": PASSWORD,
                    "full_name": f"Bench Officer {n}",
                    "role": "officer",
                },
            )
            response.raise_for_status()


def paced(stack: Stack, drafts: list[tuple[str, dict[str, str]]], rate: float) -> dict[str, Any]:
    spec = {
        "gateway": stack.gateway,
        "nats_url": stack.nats_url,
        "rate": rate,
        "drain_seconds": 120,
        "submits": [{"id": app_id, "authorization": h["Authorization"]} for app_id, h in drafts],
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
    try:
        done = subprocess.run([sys.executable, "-m", "bench.paced", f.name], capture_output=True, text=True, cwd=REPO)
    finally:
        Path(f.name).unlink()
    if done.returncode != 0:
        raise RuntimeError(f"the paced load process failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _summary(run: dict[str, Any]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for name in ("answered_ms", "screened_ms", "assigned_ms", "assigned_after_answer_ms"):
        values = run[name] or [float("nan")]
        figures[name.removesuffix("_ms")] = {"p50_ms": statistics.median(values), "p99_ms": percentile(values, 0.99)}
    non_2xx = sum(n for s, n in run["statuses"].items() if not s.startswith("2"))
    return {
        **figures,
        "achieved_rate": run["achieved_rate"],
        "missing": run["missing"],
        "non_2xx": non_2xx,
        "late_start_ms": run["late_start_ms"],
    }


def measure(stack: Stack, rate: float = 100.0, seconds: float = 10.0, runs: int = 3) -> dict[str, Any]:
    ensure_officers(stack)
    call_id = open_call(stack)
    per_run, warm = max(int(rate * seconds), 10), max(int(rate * 2), 10)
    started = time.perf_counter()
    wanted = warm + per_run * runs + IDLE_SUBMITS
    drafts = create_drafts(stack, call_id, wanted)
    if len(drafts) < wanted:
        raise RuntimeError(f"only {len(drafts)} of {wanted} drafts were created")
    prepared = time.perf_counter() - started
    wait_quiet(stack.nats_url)
    paced(stack, drafts[:warm], rate)  # warm-up
    summaries = []
    for n in range(runs):
        wait_quiet(stack.nats_url)
        summaries.append(_summary(paced(stack, drafts[warm + n * per_run : warm + (n + 1) * per_run], rate)))
    result: dict[str, Any] = {
        "rate": rate,
        "submits": per_run,
        "runs": runs,
        "officers": OFFICERS,
        "drafts_s": prepared,
        "missing": sum(s["missing"] for s in summaries),
        "non_2xx": sum(s["non_2xx"] for s in summaries),
        "achieved_rate": statistics.median(s["achieved_rate"] for s in summaries),
        "late_start_ms": max(s["late_start_ms"] for s in summaries),
    }
    for stage in ("answered", "screened", "assigned", "assigned_after_answer"):
        result[stage] = {q: statistics.median(s[stage][q] for s in summaries) for q in ("p50_ms", "p99_ms")}
    wait_quiet(stack.nats_url)  # the floor: the same way through, with nothing else going on
    idle = _summary(paced(stack, drafts[-IDLE_SUBMITS:], IDLE_RATE))
    result["idle"] = {"rate": IDLE_RATE, "submits": IDLE_SUBMITS, **idle}
    return result
