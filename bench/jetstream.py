"""Yardsticks of JetStream on this machine (nats-py, the stack's nats-server, a stream of their own):

- a raw publish loop: `publish_async` (acks awaited in the background, at most 4,000 pending),
  messages of an event's size, from a separate process: messages per second;
- publish → durable consumer → ack across processes: this process publishes one message at a
  time (awaiting its publish ack) with the publish moment in it; a separate process consumes it
  with a durable push consumer and acks it (`ack_sync`); the latency is from just before the
  publish to the acknowledged ack (CLOCK_MONOTONIC is one clock for every process).

`python -m bench.jetstream publish URL COUNT` and `... consume URL COUNT` are those processes.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any

import nats
from nats.js.api import StorageType, StreamConfig

from bench.env import REPO
from bench.load import percentile

STREAM, SUBJECT = "BENCH_YARDSTICK", "bench.yardstick.event"
PAYLOAD = json.dumps(
    {
        "specversion": "1.0",
        "type": "edf.bench.yardstick.v1",
        "source": "/bench",
        "id": str(uuid.uuid4()),
        "data": {"x" * 20: "y" * 40} | {f"k{i}": i for i in range(12)},
    }
).encode()


async def _stream(js: Any) -> None:
    await js.add_stream(StreamConfig(name=STREAM, subjects=["bench.yardstick.>"], storage=StorageType.FILE))


async def publish_loop(url: str, count: int) -> dict[str, Any]:
    nc = await nats.connect(url)
    js = nc.jetstream(publish_async_max_pending=4000)
    try:
        await js.purge_stream(STREAM)
        started = time.perf_counter()
        for _ in range(count):
            await js.publish_async(SUBJECT, PAYLOAD)
        await js.publish_async_completed()
        elapsed = time.perf_counter() - started
    finally:
        await nc.close()
    return {"messages": count, "seconds": elapsed, "per_second": count / elapsed}


async def consume(url: str, count: int) -> list[float]:
    nc = await nats.connect(url)
    js = nc.jetstream()
    latencies: list[float] = []
    done = asyncio.get_running_loop().create_future()

    async def on_message(message: Any) -> None:
        sent = int(message.headers["sent"])
        await message.ack_sync()
        latencies.append((time.monotonic_ns() - sent) / 1e6)
        if len(latencies) >= count and not done.done():
            done.set_result(None)

    durable = f"bench_{uuid.uuid4().hex[:8]}"
    subscription = await js.subscribe(
        SUBJECT, durable=durable, cb=on_message, manual_ack=True, deliver_policy=nats.js.api.DeliverPolicy.NEW
    )
    print("ready", flush=True)
    try:
        await asyncio.wait_for(done, 120)
    finally:
        await subscription.unsubscribe()
        await js.delete_consumer(STREAM, durable)
        await nc.close()
    return latencies


async def _round_trips(url: str, count: int) -> list[float]:
    consumer = subprocess.Popen(
        [sys.executable, "-m", "bench.jetstream", "consume", url, str(count)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert consumer.stdout is not None
    if consumer.stdout.readline().strip() != "ready":
        raise RuntimeError("the JetStream consumer process did not start")
    nc = await nats.connect(url)
    js = nc.jetstream()
    try:
        for _ in range(count):
            await js.publish(SUBJECT, PAYLOAD, headers={"sent": str(time.monotonic_ns())})
            await asyncio.sleep(0.002)  # one at a time: latency, not queueing
    finally:
        await nc.close()
    output, _ = consumer.communicate(timeout=120)
    latencies: list[float] = json.loads(output.strip().splitlines()[-1])
    return latencies


def measure(url: str, runs: int, messages: int = 50_000, round_trips: int = 1000) -> dict[str, Any]:
    async def setup(delete: bool) -> None:
        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            if delete:
                await js.delete_stream(STREAM)
            else:
                await _stream(js)
        finally:
            await nc.close()

    asyncio.run(setup(delete=False))
    try:
        _publisher(url, max(messages // 10, 100))  # warm-up
        publish = [_publisher(url, messages) for _ in range(runs)]
        asyncio.run(_round_trips(url, max(round_trips // 10, 20)))  # warm-up
        trips = [asyncio.run(_round_trips(url, round_trips)) for _ in range(runs)]
    finally:
        asyncio.run(setup(delete=True))
    return {
        "publish": {
            "per_second": statistics.median(p["per_second"] for p in publish),
            "messages": messages,
            "runs": runs,
            "bytes": len(PAYLOAD),
        },
        "round_trip": {
            "p50_ms": statistics.median(statistics.median(t) for t in trips),
            "p99_ms": statistics.median(percentile(t, 0.99) for t in trips),
            "messages": round_trips,
            "runs": runs,
        },
    }


def _publisher(url: str, count: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.jetstream", "publish", url, str(count)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the JetStream publish loop failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    command, url, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if command == "publish":
        print(json.dumps(asyncio.run(publish_loop(url, count))))
    else:
        print(json.dumps(asyncio.run(consume(url, count))))


if __name__ == "__main__":
    main()
