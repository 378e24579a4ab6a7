"""The paced load process: `python -m bench.paced SPEC.json` submits drafts at a fixed rate
(open loop: each submit leaves at its planned moment whatever the earlier ones are doing; async
httpx) and listens on NATS for what follows each submit: `application.screened` (applications'
screening) and `application.assigned` (scoring put it in reviewers' queues, committed before the
outbox relay publishes the event). Prints one JSON line: per submit, the milliseconds from its
planned moment to the answer, to screened and to assigned.

SPEC: {"gateway": URL, "nats_url": URL, "rate": per second, "drain_seconds": N,
       "submits": [{"id": application id, "authorization": "Bearer ..."}, ...]}
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from typing import Any

import httpx
import nats

SCREENED = "edf.applications.application.screened.v1"
ASSIGNED = "edf.scoring.application.assigned.v1"


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    submits: list[dict[str, str]] = spec["submits"]
    rate = float(spec["rate"])
    moments: dict[str, dict[str, float]] = {s["id"]: {} for s in submits}
    everything = asyncio.Event()

    def seen(kind: str) -> Any:
        async def on_message(message: Any) -> None:
            application = json.loads(message.data)["data"]["application_id"]
            marks = moments.get(application)
            if marks is not None and kind not in marks:
                marks[kind] = time.perf_counter()
                if kind == "assigned" and all("assigned" in m for m in moments.values()):
                    everything.set()

        return on_message

    nc = await nats.connect(spec["nats_url"])
    await nc.subscribe(SCREENED, cb=seen("screened"))
    await nc.subscribe(ASSIGNED, cb=seen("assigned"))
    await nc.flush()
    statuses: dict[str, int] = {}
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=spec["gateway"], limits=limits, timeout=60) as client:

        async def submit(item: dict[str, str], at: float) -> None:
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            moments[item["id"]]["planned"] = at
            moments[item["id"]]["sent"] = time.perf_counter()
            try:
                response = await client.post(
                    f"/api/v1/applications/{item['id']}/submit", headers={"Authorization": item["authorization"]}
                )
                outcome = str(response.status_code)
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
            moments[item["id"]]["answered"] = time.perf_counter()
            statuses[outcome] = statuses.get(outcome, 0) + 1

        start = time.perf_counter() + 0.2
        await asyncio.gather(*(submit(item, start + n / rate) for n, item in enumerate(submits)))
        last_sent = time.perf_counter()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(everything.wait(), float(spec["drain_seconds"]))
    await nc.close()
    sent = [m["sent"] for m in moments.values()]

    def ms(frm: str, to: str) -> list[float]:
        return [(m[to] - m[frm]) * 1000 for m in moments.values() if to in m and frm in m]

    return {
        "submits": len(submits),
        "rate": rate,
        "achieved_rate": (len(sent) - 1) / (max(sent) - min(sent) or 1),
        "statuses": statuses,
        "late_start_ms": max(ms("planned", "sent") or [0.0]),
        "answered_ms": ms("sent", "answered"),
        "screened_ms": ms("sent", "screened"),
        "assigned_ms": ms("sent", "assigned"),
        "assigned_after_answer_ms": ms("answered", "assigned"),
        "missing": sum(1 for m in moments.values() if "assigned" not in m),
        "drained_after_s": time.perf_counter() - last_sent,
    }


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    print(json.dumps(asyncio.run(run(spec))))


if __name__ == "__main__":
    main()
