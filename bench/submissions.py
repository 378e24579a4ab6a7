"""Scenario: application submissions through the gateway on PostgreSQL, and the yardstick.

Each round creates drafts for many synthetic applicants for a few seconds (a complete body
each), then submits the drafts it created for a few seconds; both from a separate load process
(wrk when installed, else bench.load with async httpx).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench import wrk
from bench.env import load
from shared.app import token_config
from shared.auth import Role, issue_token
from shared.settings import CommonSettings
from tests.support.natsd import free_port
from tests.support.samples import application_body, call_body
from tests.support.stack import Stack

CONCURRENCY = 64
CREATE_SECONDS, SUBMIT_SECONDS = 6.0, 3.0


def applicant(config: Any) -> tuple[str, dict[str, str]]:
    """A synthetic applicant: a token as the gateway issues them (services only verify it)."""
    user_id = uuid.uuid4()
    token = issue_token(config, user_id, "bench@example.org", Role.applicant)
    return str(user_id), {"Authorization": f"Bearer {token}"}


def open_call(stack: Stack) -> str:
    admin = stack.token()
    call = httpx.post(f"{stack.gateway}/api/v1/calls", json=call_body(budget="100000000.00"), headers=admin).json()
    httpx.post(f"{stack.gateway}/api/v1/calls/{call['id']}/open", headers=admin).raise_for_status()
    return str(call["id"])


def one_round(stack: Stack, call_id: str, plan_size: int) -> dict[str, dict[str, Any]]:
    config = token_config(CommonSettings())
    people = dict(applicant(config) for _ in range(plan_size))
    creates = [{"method": "POST", "url": f"{stack.gateway}/api/v1/applications", "headers": h,
                "json": application_body(call_id)} for h in people.values()]
    with tempfile.TemporaryDirectory() as tmp:
        captured = Path(tmp) / "created.txt"
        if wrk.available():
            created = wrk.run(creates, CONCURRENCY, CREATE_SECONDS, capture=captured)
            pairs = [line.split() for line in captured.read_text().splitlines() if len(line.split()) == 2]
        else:
            created = load(creates, CONCURRENCY)
            pairs = _listed_drafts(stack, people)
    submits = [{"method": "POST", "url": f"{stack.gateway}/api/v1/applications/{app_id}/submit",
                "headers": people[owner]} for app_id, owner in pairs]
    submitted = wrk.run(submits, CONCURRENCY, SUBMIT_SECONDS) if wrk.available() else load(submits, CONCURRENCY)
    return {"create": created, "submit": submitted}


def _listed_drafts(stack: Stack, people: dict[str, dict[str, str]]) -> list[list[str]]:
    with httpx.Client(timeout=30) as client:
        return [[client.get(f"{stack.gateway}/api/v1/applications", headers=h).json()["items"][0]["id"], owner]
                for owner, h in people.items()]


def yardstick(runs: int) -> dict[str, Any]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "bench.yardstick:app", "--port", str(port),
                               "--log-level", "warning"], cwd=Path(__file__).parents[1])
    try:
        _wait_up(f"http://127.0.0.1:{port}/docs")
        plan = [{"method": "POST", "url": f"http://127.0.0.1:{port}/echo", "json": application_body(str(uuid.uuid4()))}]
        if wrk.available():
            wrk.run(plan, CONCURRENCY, 2)  # warm-up
            return median_of([wrk.run(plan, CONCURRENCY, CREATE_SECONDS) for _ in range(runs)])
        return median_of([load(plan * 2000, CONCURRENCY) for _ in range(runs)])
    finally:
        server.terminate()
        server.wait(10)


def _wait_up(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(url).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def median_of(results: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {k: statistics.median(r[k] for r in results) for k in ("per_second", "p50_ms", "p99_ms")}
    merged["runs"] = len(results)
    merged["requests"] = int(statistics.median(r["requests"] for r in results))
    merged["non_2xx"] = sum(n for r in results for s, n in r["statuses"].items() if not str(s).startswith("2"))
    return merged


def measure(stack: Stack, count: int, runs: int) -> dict[str, dict[str, Any]]:
    """`count` is the plan size of a round (how many distinct applicants it can use)."""
    call_id = open_call(stack)
    one_round(stack, call_id, max(count // 4, 200))  # warm-up
    rounds = [one_round(stack, call_id, count) for _ in range(runs)]
    return {
        "create draft (full body)": median_of([r["create"] for r in rounds]),
        "submit": median_of([r["submit"] for r in rounds]),
        "yardstick: bare FastAPI POST": yardstick(runs),
    }
