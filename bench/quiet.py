"""Waits until the stack has caught up: every durable consumer of every EDF stream has nothing
pending and nothing awaiting its ack (so a scenario does not inherit the last one's backlog)."""

from __future__ import annotations

import asyncio
import time

import nats


async def backlog(nats_url: str) -> int:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        total = 0
        for stream in await js.streams_info():
            if not stream.config.name or not stream.config.name.startswith("EDF_"):
                continue
            for consumer in await js.consumers_info(stream.config.name):
                total += (consumer.num_pending or 0) + (consumer.num_ack_pending or 0)
        return total
    finally:
        await nc.close()


def wait_quiet(nats_url: str, timeout: float = 300.0) -> float:
    """Seconds it took; raises if the backlog is still there after `timeout`."""
    started = time.monotonic()
    calm = 0
    while calm < 2:
        left = asyncio.run(backlog(nats_url))
        calm = calm + 1 if left == 0 else 0
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"the stack still has {left} events to process after {timeout:.0f} s")
        time.sleep(0.5)
    return time.monotonic() - started
