"""Scenario: application submissions through the gateway on PostgreSQL, and the yardstick."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.env import load
from shared.app import token_config
from shared.auth import Role, issue_token
from shared.settings import CommonSettings
from tests.support.natsd import free_port
from tests.support.samples import application_body, call_body
from tests.support.stack import Stack

CONCURRENCY = 64


def applicant_headers() -> dict[str, str]:
    """Synthetic applicants: tokens as the gateway issues them (the services only verify them)."""
    token = issue_token(token_config(CommonSettings()), uuid.uuid4(), "bench@example.org", Role.applicant)
    return {"Authorization": f"Bearer {token}"}


def open_call(stack: Stack) -> str:
    admin = stack.token()
    call = httpx.post(f"{stack.gateway}/api/v1/calls", json=call_body(budget="100000000.00"), headers=admin).json()
    httpx.post(f"{stack.gateway}/api/v1/calls/{call['id']}/open", headers=admin).raise_for_status()
    return str(call["id"])


def one_round(stack: Stack, call_id: str, count: int) -> dict[str, dict[str, Any]]:
    people = [applicant_headers() for _ in range(count)]
    creates = [{"method": "POST", "url": f"{stack.gateway}/api/v1/applications", "headers": h,
                "json": application_body(call_id)} for h in people]
    created = load(creates, CONCURRENCY)
    ids = _draft_ids(stack, people)
    submits = [{"method": "POST", "url": f"{stack.gateway}/api/v1/applications/{i}/submit", "headers": h}
               for i, h in zip(ids, people, strict=True)]
    return {"create": created, "submit": load(submits, CONCURRENCY)}


def _draft_ids(stack: Stack, people: list[dict[str, str]]) -> list[str]:
    with httpx.Client(timeout=30) as client:
        return [client.get(f"{stack.gateway}/api/v1/applications", headers=h).json()["items"][0]["id"]
                for h in people]


def yardstick(count: int, runs: int) -> dict[str, Any]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "bench.yardstick:app", "--port", str(port),
                               "--log-level", "warning"], cwd=Path(__file__).parents[1])
    try:
        _wait_up(f"http://127.0.0.1:{port}/docs")
        body = application_body(str(uuid.uuid4()))
        plan = [{"method": "POST", "url": f"http://127.0.0.1:{port}/echo", "json": body}] * count
        load(plan[: count // 4], CONCURRENCY)  # warm-up
        return median_of([load(plan, CONCURRENCY) for _ in range(runs)])
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
    keys = ("per_second", "p50_ms", "p99_ms")
    merged: dict[str, Any] = {k: statistics.median(r[k] for r in results) for k in keys}
    merged["runs"] = len(results)
    merged["requests"] = results[0]["requests"]
    merged["non_2xx"] = sum(n for r in results for s, n in r["statuses"].items() if not str(s).startswith("2"))
    return merged


def measure(stack: Stack, count: int, runs: int) -> dict[str, dict[str, Any]]:
    call_id = open_call(stack)
    one_round(stack, call_id, max(count // 4, 50))  # warm-up
    rounds = [one_round(stack, call_id, count) for _ in range(runs)]
    return {
        "create draft (full body)": median_of([r["create"] for r in rounds]),
        "submit": median_of([r["submit"] for r in rounds]),
        "yardstick: bare FastAPI POST": yardstick(count, runs),
    }
