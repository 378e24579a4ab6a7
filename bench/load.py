"""The load process: `python -m bench.load PLAN.json CONCURRENCY [CAPTURE]` sends every request of
the plan with that many concurrent connections (async httpx) and prints one JSON line of results.
With CAPTURE, the `id` and `applicant_id` of each 2xx JSON answer are written to that file (as
bench/wrk.py does).

It runs as a process of its own so that the load generator does not share a core's event
loop with the server under test.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from typing import Any

import httpx


async def _worker(
    client: httpx.AsyncClient,
    queue: asyncio.Queue[dict[str, Any]],
    latencies: list[float],
    statuses: dict[str, int],
    captured: list[str] | None,
) -> None:
    while True:
        try:
            request = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        started = time.perf_counter()
        try:
            response = await client.request(
                request["method"], request["url"], headers=request.get("headers"), json=request.get("json")
            )
            outcome = str(response.status_code)
            if captured is not None and response.is_success:
                body = response.json()
                captured.append(f"{body.get('id', '')} {body.get('applicant_id', '')}")
        except httpx.HTTPError as exc:
            outcome = type(exc).__name__
        latencies.append(time.perf_counter() - started)
        statuses[outcome] = statuses.get(outcome, 0) + 1


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run(plan: list[dict[str, Any]], concurrency: int, captured: list[str] | None = None) -> dict[str, Any]:
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for request in plan:
        queue.put_nowait(request)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(_worker(client, queue, latencies, statuses, captured) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "statuses": statuses,
    }


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        plan = json.load(f)
    captured: list[str] | None = [] if len(sys.argv) > 3 else None
    print(json.dumps(asyncio.run(run(plan, int(sys.argv[2]), captured))))
    if captured is not None:
        with open(sys.argv[3], "a", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in captured))


if __name__ == "__main__":
    main()
