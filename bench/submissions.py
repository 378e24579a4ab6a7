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

from bench import cpu, wrk
from bench.env import REPO, load, rss_mib
from bench.quiet import wait_quiet
from devstack.ports import free_port
from devstack.running import ADMIN_EMAIL, ADMIN_PASSWORD, Stack
from devstack.samples import application_body, call_body
from shared.auth import Role, issue_token

CONCURRENCY = 64
CREATE_SECONDS, SUBMIT_SECONDS = 6.0, 3.0
_ADMIN_TOKENS: dict[str, dict[str, str]] = {}


def applicant(config: Any) -> tuple[str, dict[str, str]]:
    """A synthetic applicant: a token as the gateway issues them (services only verify it)."""
    user_id = uuid.uuid4()
    token = issue_token(config, user_id, "bench@example.org", Role.applicant)
    return str(user_id), {"Authorization": f"Bearer {token}"}


def admin_headers(stack: Stack) -> dict[str, str]:
    """The bootstrap admin's token, signed in with its second factor (`Stack.token`: enrolled on
    the first sign-in); one sign-in per stack (Argon2 is slow on a busy machine)."""
    if stack.gateway not in _ADMIN_TOKENS:
        _ADMIN_TOKENS[stack.gateway] = stack.token(ADMIN_EMAIL, ADMIN_PASSWORD)
    return _ADMIN_TOKENS[stack.gateway]


def open_call(stack: Stack) -> str:
    admin = admin_headers(stack)
    with httpx.Client(base_url=stack.gateway, headers=admin, timeout=60) as client:
        created = client.post("/api/v1/calls", json=call_body(budget="100000000.00"))
        created.raise_for_status()
        client.post(f"/api/v1/calls/{created.json()['id']}/open").raise_for_status()
    return str(created.json()["id"])


Plan = list[dict[str, Any]]


def creates_plan(stack: Stack, call_id: str, count: int) -> tuple[dict[str, dict[str, str]], Plan]:
    """`count` new synthetic applicants ({applicant id: headers}) and a create request for each."""
    config = stack.token_config()
    people = dict(applicant(config) for _ in range(count))
    return people, [
        {
            "method": "POST",
            "url": f"{stack.gateway}/api/v1/applications",
            "headers": h,
            "json": application_body(call_id),
        }
        for h in people.values()
    ]


def created_pairs(captured: Path) -> list[list[str]]:
    """[application id, applicant id] of each draft the load process saw created."""
    return [line.split() for line in captured.read_text().splitlines() if len(line.split()) == 2]


def submits_plan(stack: Stack, pairs: list[list[str]], people: dict[str, dict[str, str]]) -> Plan:
    return [
        {"method": "POST", "url": f"{stack.gateway}/api/v1/applications/{app_id}/submit", "headers": people[owner]}
        for app_id, owner in pairs
    ]


def one_round(stack: Stack, call_id: str, plan_size: int, scale: float = 1.0) -> dict[str, dict[str, Any]]:
    people, creates = creates_plan(stack, call_id, plan_size)
    with tempfile.TemporaryDirectory() as tmp:
        captured = Path(tmp) / "created.txt"
        pairs: list[list[str]] = []
        before = cpu.snapshot(stack.var_dir)
        for attempt in range(3):  # a round needs drafts to submit: a longer window when none finished in time
            if wrk.available():
                created = wrk.run(creates, CONCURRENCY, CREATE_SECONDS * scale * 2**attempt, capture=captured)
            else:
                created = load(creates, CONCURRENCY, capture=captured)
            pairs = created_pairs(captured)
            if pairs:
                break
        else:
            raise RuntimeError(f"no draft was created: {created}")
        created["cpu_ms"] = cpu.per_request_ms(before, cpu.snapshot(stack.var_dir), len(pairs))
    submits = submits_plan(stack, pairs, people)
    before = cpu.snapshot(stack.var_dir)
    submitted = wrk.run(submits, CONCURRENCY, SUBMIT_SECONDS * scale) if wrk.available() else load(submits, CONCURRENCY)
    wait_quiet(stack.nats_url)  # the submits' events handled too: a submission's whole cost
    submitted["cpu_ms"] = cpu.per_request_ms(before, cpu.snapshot(stack.var_dir), answered_2xx(submitted))
    return {"create": created, "submit": submitted}


def answered_2xx(result: dict[str, Any]) -> int:
    statuses: dict[str, int] = result["statuses"]
    if "non-2xx" in statuses:  # wrk counts the others only
        return max(int(result["requests"]) - sum(int(n) for n in statuses.values()), 0)
    return sum(int(n) for status, n in statuses.items() if str(status).startswith("2"))


def create_drafts(stack: Stack, call_id: str, count: int, concurrency: int = 32) -> list[tuple[str, dict[str, str]]]:
    """`count` drafts, each of a new synthetic applicant, from the load process (async httpx, every
    request of the plan sent once): (application id, the applicant's headers) of those created."""
    people, creates = creates_plan(stack, call_id, count)
    with tempfile.TemporaryDirectory() as tmp:
        captured = Path(tmp) / "created.txt"
        load(creates, concurrency, capture=captured)
        pairs = created_pairs(captured)
    return [(app_id, people[owner]) for app_id, owner in pairs]


def yardstick(runs: int, scale: float = 1.0) -> dict[str, dict[str, Any]]:
    """The bare FastAPI POST loaded as the submissions are (throughput), then one request at a time
    on one connection (latency), and its resident memory afterwards."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.yardstick:app", "--port", str(port), "--log-level", "warning"],
        cwd=REPO,
    )
    try:
        _wait_up(f"http://127.0.0.1:{port}/docs")
        plan = [{"method": "POST", "url": f"http://127.0.0.1:{port}/echo", "json": application_body(str(uuid.uuid4()))}]
        if wrk.available():
            wrk.run(plan, CONCURRENCY, 2 * scale, repeat=True)  # warm-up
            loaded = median_of([wrk.run(plan, CONCURRENCY, CREATE_SECONDS * scale, repeat=True) for _ in range(runs)])
            single = median_of([wrk.run(plan, 1, SUBMIT_SECONDS * scale, repeat=True) for _ in range(runs)])
        else:
            load(plan * int(500 * scale), CONCURRENCY)  # warm-up
            loaded = median_of([load(plan * int(4000 * scale), CONCURRENCY) for _ in range(runs)])
            single = median_of([load(plan * int(1000 * scale), 1) for _ in range(runs)])
        return {"loaded": loaded, "one_connection": single, "rss_mib": {"value": rss_mib(server.pid)}}
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
    if all("cpu_ms" in r for r in results):
        parts = set.intersection(*(set(r["cpu_ms"]) for r in results))
        merged["cpu_ms"] = {part: statistics.median(r["cpu_ms"][part] for r in results) for part in sorted(parts)}
    return merged


def measure(stack: Stack, count: int, runs: int, scale: float = 1.0) -> dict[str, Any]:
    """`count` is the plan size of a round (how many distinct applicants it can use); `scale`
    multiplies the rounds' durations."""
    call_id = open_call(stack)
    one_round(stack, call_id, max(count // 4, 50), scale)  # warm-up
    rounds = [one_round(stack, call_id, count, scale) for _ in range(runs)]
    return {
        "create": median_of([r["create"] for r in rounds]),
        "submit": median_of([r["submit"] for r in rounds]),
        "client": client_name(),
        "concurrency": CONCURRENCY,
        "create_seconds": CREATE_SECONDS * scale,
        "submit_seconds": SUBMIT_SECONDS * scale,
    }


def client_name() -> str:
    return "wrk (Debian's package, Lua script)" if wrk.available() else "bench/load.py (async httpx)"
