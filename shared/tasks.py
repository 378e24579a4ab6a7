"""Stopping background tasks for sure."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


async def cancel_and_wait(task: asyncio.Task[Any] | None, attempts: int = 50) -> None:
    """Cancels `task` until it is done, waiting at most ~`attempts` × 0.1 s. nats-py can swallow
    a cancellation (in connect, fetch or drain), so one `cancel()` and an unbounded await could
    hang a shutdown."""
    if task is None:
        return
    for _ in range(attempts):
        if task.done():
            break
        task.cancel()
        await asyncio.wait([task], timeout=0.1)
    if task.done() and not task.cancelled():
        task.exception()  # retrieved, so that asyncio does not log it as never retrieved


async def run_bounded(work: Coroutine[Any, Any, Any], seconds: float) -> None:
    """Runs `work` for at most `seconds`, then cancels it for sure; its errors are dropped."""
    task: asyncio.Task[Any] = asyncio.ensure_future(work)
    await asyncio.wait([task], timeout=seconds)
    await cancel_and_wait(task)
    if task.done() and not task.cancelled():
        task.exception()
