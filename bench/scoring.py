"""Scenarios of scoring, on PostgreSQL through the gateway:

- a reviewer's queue page (50 items) with 10,000 applications in the call: latency p50/p99 of
  sequential requests (20 officers, 2 reviewers per application: 1,000 pending reviews each);
- ranking and selection of a call with 100,000 scored applications: the first ranking page, a
  page half-way down (by cursor), and the selection proposal (which reads the whole ranking).

The data is seeded straight into scoring's database with bulk inserts (not through the API),
rows shaped as the service writes them (anonymised facts, rank keys from `domain.ranking`).
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import Engine, insert

from bench.load import percentile
from devstack.running import Stack
from devstack.samples import call_body
from services.scoring.domain.ranking import rank_key, ranking_cursor
from services.scoring.models import Base
from shared.auth import Role
from shared.db import make_engine
from shared.http import encode_cursor

BATCH = 5000
TABLES = Base.metadata.tables
T0 = datetime(2026, 1, 1, tzinfo=UTC)
FACTS: dict[str, Any] = {
    "sector": "agriculture",
    "governorate": "IQ-NI",
    "district": "Mosul",
    "years_operating": 9,
    "employees_female": 2,
    "employees_male": 5,
    "employees": 7,
    "owner": {"sex": "female", "age": 38, "displacement_status": "returnee"},
    "plan": {
        "summary": "A second milk cooler and two new jobs. " * 4,
        "jobs_planned_female": 2,
        "jobs_planned_male": 2,
        "jobs_planned": 4,
        "requested_amount": "18000.00",
        "co_contribution": "3000.00",
        "budget_lines": [{"item": "Milk cooler", "quantity": 1, "unit_cost": "21000.00"}],
    },
    "currency": "USD",
}


def headers(stack: Stack, role: Role, user_id: uuid.UUID) -> dict[str, str]:
    return stack.synthetic_token(role, user_id, f"{role.value}@bench.example")


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def bulk_insert(engine: Engine, table: Any, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as connection:
        for chunk in _chunks(rows):
            connection.execute(insert(table), chunk)


def seed_call(engine: Engine, budget: str) -> uuid.UUID:
    spec = call_body(budget=budget)
    call_id = uuid.uuid4()
    bulk_insert(
        engine,
        TABLES["calls"],
        [
            {
                "id": call_id,
                "code": spec["code"],
                "status": "closed",
                "currency": "USD",
                "currency_exponent": 2,
                "budget": Decimal(budget),
                "grant_min": Decimal(spec["grant_min"]),
                "grant_max": Decimal(spec["grant_max"]),
                "rubric": spec["rubric"],
                "reviewers_per_application": 2,
                "divergence_threshold": Decimal(20),
                "quotas": spec["quotas"],
                "closes_at": T0,
                "awarded_total": Decimal(0),
            }
        ],
    )
    return call_id


def _application(call_id: uuid.UUID, n: int, rng: random.Random, scored: bool) -> dict[str, Any]:
    application_id = uuid.uuid4()
    requested = Decimal(rng.randrange(5, 31) * 1000)
    jobs = rng.randrange(1, 12)
    submitted_at = T0 + timedelta(seconds=n)
    score = Decimal(rng.randrange(0, 10_000_001)) / 100_000 if scored else None
    return {
        "id": application_id,
        "call_id": call_id,
        "reference": f"EDF-BENCH-{n:06d}",
        "status": "scored" if scored else "under_review",
        "submitted_at": submitted_at,
        "facts": FACTS,
        "currency": "USD",
        "requested_amount": requested,
        "jobs_planned": jobs,
        "owner_sex": "female" if rng.random() < 0.25 else "male",
        "displacement_status": rng.choice(["idp", "returnee", "host"]),
        "reviewers_required": 2,
        "unassigned": 0,
        "extra_assigned": False,
        "diverged": False,
        "reviewers": 2 if scored else 0,
        "score": score,
        "score_shown": score.quantize(Decimal("0.01")) if score is not None else None,
        "criteria": {"jobs": "3.00", "viability": "7.00"} if scored else None,
        "scored_at": submitted_at if scored else None,
        "updated_at": submitted_at,
        "rank_key": rank_key(score, jobs, requested, submitted_at, application_id) if score is not None else None,
    }


def seed_queue(engine: Engine, applications: int, officers: int) -> list[uuid.UUID]:
    """A call under review: every application with 2 pending reviews, spread over the officers."""
    rng = random.Random(1)  # noqa: S311  (synthetic data, repeatable)
    call_id = seed_call(engine, "5000000.00")
    officer_ids = [uuid.uuid4() for _ in range(officers)]
    bulk_insert(
        engine,
        TABLES["officers"],
        [{"id": o, "active": True, "open_reviews": 0, "assigned_total": 0, "created_at": T0} for o in officer_ids],
    )
    rows = [_application(call_id, n, rng, scored=False) for n in range(applications)]
    bulk_insert(engine, TABLES["applications"], rows)
    reviews = []
    for n, row in enumerate(rows):
        for k in range(2):
            at = row["submitted_at"] + timedelta(milliseconds=k)
            reviews.append(
                {
                    "id": uuid.uuid4(),
                    "application_id": row["id"],
                    "call_id": call_id,
                    "officer_id": officer_ids[(2 * n + k) % officers],
                    "status": "pending",
                    "reason": "initial",
                    "scores": {},
                    "assigned_at": at,
                    "updated_at": at,
                }
            )
    bulk_insert(engine, TABLES["reviews"], reviews)
    return officer_ids


def seed_ranking(engine: Engine, applications: int) -> tuple[uuid.UUID, list[bytes]]:
    """A call with every application scored; returns it and the rank keys in ranking order."""
    rng = random.Random(2)  # noqa: S311  (synthetic data, repeatable)
    call_id = seed_call(engine, "5000000.00")
    rows = [_application(call_id, n, rng, scored=True) for n in range(applications)]
    bulk_insert(engine, TABLES["applications"], rows)
    return call_id, sorted(r["rank_key"] for r in rows)


def queue_latency(stack: Stack, officers: list[uuid.UUID], requests: int, runs: int) -> dict[str, Any]:
    """`requests` sequential queue pages per run after a warm-up; medians of the runs' p50 and p99."""
    per_run: list[list[float]] = []
    statuses: dict[int, int] = {}
    with httpx.Client(base_url=stack.gateway, timeout=30) as client:
        tokens = [headers(stack, Role.officer, o) for o in officers]
        for run in range(runs + 1):
            latencies = []
            for i in range(requests if run else max(requests // 5, 5)):  # run 0 warms up
                started = time.perf_counter()
                response = client.get(
                    "/api/v1/reviews", params={"status": "pending", "limit": 50}, headers=tokens[i % len(tokens)]
                )
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                assert len(response.json()["items"]) == 50
            if run:
                per_run.append(latencies)
    return {
        "requests": requests,
        "runs": runs,
        "statuses": statuses,
        "p50_ms": statistics.median(statistics.median(t) for t in per_run) * 1000,
        "p99_ms": statistics.median(percentile(t, 0.99) for t in per_run) * 1000,
    }


def ranking_and_selection(stack: Stack, call_id: uuid.UUID, keys: list[bytes], runs: int) -> dict[str, Any]:
    committee = headers(stack, Role.committee, uuid.uuid4())
    middle = len(keys) // 2
    cursor = encode_cursor(ranking_cursor(middle, keys[middle - 1]))
    pages: list[tuple[str, str, dict[str, str | int]]] = [
        ("ranking_first_page_s", f"/api/v1/calls/{call_id}/ranking", {"limit": 50}),
        ("ranking_middle_page_s", f"/api/v1/calls/{call_id}/ranking", {"limit": 50, "cursor": cursor}),
        ("selection_s", f"/api/v1/calls/{call_id}/selection", {}),
    ]
    timings: dict[str, list[float]] = {"ranking_first_page_s": [], "ranking_middle_page_s": [], "selection_s": []}
    proposed = 0
    with httpx.Client(base_url=stack.gateway, timeout=120) as client:
        for run in range(runs + 1):
            for name, path, params in pages:
                started = time.perf_counter()
                response = client.get(path, params=params, headers=committee)
                elapsed = time.perf_counter() - started
                response.raise_for_status()
                if name == "ranking_middle_page_s":
                    assert response.json()["items"][0]["rank"] == middle + 1
                if name == "selection_s":
                    proposed = len(response.json()["proposed"])
                if run > 0:  # the first run warms up
                    timings[name].append(elapsed)
    result: dict[str, Any] = {name: statistics.median(values) for name, values in timings.items()}
    result["ranking_and_selection_s"] = result["ranking_first_page_s"] + result["selection_s"]
    result.update(applications=len(keys), runs=runs, proposed=proposed)
    return result


def measure(
    stack: Stack,
    database_url: str,
    queue_applications: int = 10_000,
    ranking_applications: int = 100_000,
    runs: int = 3,
    queue_requests: int = 500,
) -> dict[str, dict[str, Any]]:
    engine = make_engine(database_url)
    try:
        started = time.perf_counter()
        officers = seed_queue(engine, queue_applications, officers=20)
        call_id, keys = seed_ranking(engine, ranking_applications)
        seeded = time.perf_counter() - started
    finally:
        engine.dispose()
    queue = queue_latency(stack, officers, queue_requests, runs)
    queue.update(applications=queue_applications, officers=len(officers))
    return {"queue": queue, "ranking": {**ranking_and_selection(stack, call_id, keys, runs), "seed_s": seeded}}
