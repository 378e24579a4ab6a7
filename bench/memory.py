"""Resident memory of the stack's processes after 10,000 applications have gone through it.

Submitted applications are counted in applications' database; the bench submits more (drafts
then submits, from the load process) until the count is reached, waits until every consumer of
every stream has caught up, then reads VmRSS from /proc/<pid>/status of each process the stack
runner started (found by its pid file, `stack.pid` in the stack's var dir).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import text

from bench.env import load, rss_mib, stack_processes
from bench.quiet import wait_quiet
from bench.submissions import create_drafts, open_call
from devstack.running import Stack
from shared.db import make_engine

BATCH = 2000
CONCURRENCY = 32


def submitted(applications_url: str) -> int:
    engine = make_engine(applications_url)
    try:
        with engine.connect() as connection:
            count = connection.execute(text("SELECT count(*) FROM applications WHERE status <> 'draft'")).scalar_one()
    finally:
        engine.dispose()
    return int(count)


def measure(stack: Stack, applications_url: str, target: int = 10_000) -> dict[str, Any]:
    started = time.perf_counter()
    before = submitted(applications_url)
    call_id = open_call(stack)
    while (done := submitted(applications_url)) < target:
        drafts = create_drafts(stack, call_id, min(BATCH, target - done), CONCURRENCY)
        load(
            [
                {"method": "POST", "url": f"{stack.gateway}/api/v1/applications/{app_id}/submit", "headers": h}
                for app_id, h in drafts
            ],
            CONCURRENCY,
        )
        if submitted(applications_url) == done:
            raise RuntimeError(f"no submission got through ({done} of {target} so far)")
    caught_up = wait_quiet(stack.nats_url, timeout=600)
    processes = stack_processes(stack.var_dir)
    return {
        "applications": submitted(applications_url),
        "topped_up": max(0, done - before),
        "fill_s": time.perf_counter() - started,
        "caught_up_s": caught_up,
        "rss_mib": {name: rss_mib(pid) for name, pid in sorted(processes.items())},
    }
