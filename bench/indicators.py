"""Scenario: a call's indicators (`GET /api/v1/calls/{id}/indicators`) with 10,000 grants.

Monitoring's copies (call, applications, grants and their tranches) and what it owns (visits,
the job ledger, observations) are seeded straight into its database with bulk inserts, shaped
as the service writes them: three tranches per grant, two of them paid; a verification visit
that saw one to four jobs, a follow-up seven months after the first payment and, for half the
grants, another thirteen months after it. Requests go through the gateway one at a time as a
monitor; after a warm-up, each run times a number of them; the figures are the medians of the
runs' p50 and p99.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import Engine

from bench.load import percentile
from bench.scoring import bulk_insert, headers
from devstack.running import Stack
from services.monitoring.domain import schedule
from services.monitoring.models import Base
from shared.auth import Role
from shared.db import make_engine

TABLES = Base.metadata.tables
MILESTONES = ("agreement_signed", "assets_purchased", "jobs_filled")
SPLIT = (Decimal("0.5"), Decimal("0.3"), Decimal("0.2"))
GOVERNORATES = ("IQ-NI", "IQ-AN", "IQ-SD", "IQ-KI")
AGE_GROUPS = ("15-24", "25-34", "35-44", "45-64")
DISPLACEMENT = ("idp", "returnee", "host")


def _grant(call_id: uuid.UUID, n: int, rng: random.Random, rows: dict[str, list[dict[str, Any]]]) -> None:
    application_id, grant_id = uuid.uuid4(), uuid.uuid4()
    amount = Decimal(rng.randrange(5, 31) * 1000)
    created = date(2025, 1, 1) + timedelta(days=n % 200)
    paid_on = created + timedelta(days=10)
    rows["applications"].append(
        {
            "id": application_id,
            "call_id": call_id,
            "applicant_id": uuid.uuid4(),
            "governorate": rng.choice(GOVERNORATES),
            "owner_sex": rng.choice(("female", "male")),
            "owner_displacement_status": rng.choice(DISPLACEMENT),
            "jobs_planned_female": rng.randrange(0, 4),
            "jobs_planned_male": rng.randrange(0, 4),
        }
    )
    rows["grants"].append(
        {
            "id": grant_id,
            "application_id": application_id,
            "call_id": call_id,
            "amount": amount,
            "currency": "USD",
            "status": "completed" if n % 5 == 0 else "active",
            "created_on": created,
            "first_paid_on": paid_on,
            "retention_6m_on": schedule.retention_cutoff(paid_on, "6m"),
            "retention_12m_on": schedule.retention_cutoff(paid_on, "12m"),
        }
    )
    for seq, (milestone, share) in enumerate(zip(MILESTONES, SPLIT, strict=True), start=1):
        paid = seq <= 2
        rows["grant_tranches"].append(
            {
                "id": uuid.uuid4(),
                "grant_id": grant_id,
                "seq": seq,
                "milestone": milestone,
                "amount": amount * share,
                "paid_amount": amount * share if paid else None,
                "paid_at": datetime.combine(paid_on, datetime.min.time(), UTC) if paid else None,
            }
        )
    visits = [("verification", paid_on + timedelta(days=30)), ("follow_up", paid_on + timedelta(days=213))]
    if n % 2 == 0:
        visits.append(("follow_up", paid_on + timedelta(days=400)))
    visit_ids = []
    for kind, on in visits:
        visit_ids.append((uuid.uuid4(), kind, on))
        rows["visits"].append(
            {
                "id": visit_ids[-1][0],
                "grant_id": grant_id,
                "visited_on": on,
                "kind": kind,
                "findings": "Seen at work.",
                "lat": Decimal("36.340"),
                "lon": Decimal("43.130"),
                "recorded_by": uuid.uuid4(),
                "recorded_at": datetime.combine(on, datetime.min.time(), UTC),
            }
        )
    for _ in range(rng.randrange(1, 5)):
        job_id = uuid.uuid4()
        rows["jobs"].append(
            {
                "id": job_id,
                "grant_id": grant_id,
                "first_visit_id": visit_ids[0][0],
                "sex": rng.choice(("female", "male")),
                "age_group": rng.choice(AGE_GROUPS),
                "displacement_status": rng.choice(DISPLACEMENT),
                "start_date": paid_on,
            }
        )
        for visit_id, kind, on in visit_ids:
            rows["job_observations"].append(
                {
                    "job_id": job_id,
                    "visit_id": visit_id,
                    "visit_kind": kind,
                    "observed_on": on,
                    "still_employed": rng.random() < 0.85,
                }
            )


def seed(engine: Engine, grants: int) -> uuid.UUID:
    rng = random.Random(3)  # noqa: S311  (synthetic data, repeatable)
    call_id = uuid.uuid4()
    rows: dict[str, list[dict[str, Any]]] = {
        name: [] for name in ("applications", "grants", "grant_tranches", "visits", "jobs", "job_observations")
    }
    for n in range(grants):
        _grant(call_id, n, rng, rows)
    bulk_insert(
        engine,
        TABLES["calls"],
        [
            {
                "id": call_id,
                "code": f"B{call_id.hex[:9].upper()}",
                "status": "open",
                "currency": "USD",
                "currency_exponent": 2,
                "title": {"en": "Bench call"},
                "governorates": list(GOVERNORATES),
                "tranche_milestones": list(MILESTONES),
                "monitoring_schedule_days": [90, 180, 365],
            }
        ],
    )
    for name, table_rows in rows.items():
        bulk_insert(engine, TABLES[name], table_rows)
    return call_id


def measure(stack: Stack, database_url: str, grants: int = 10_000, runs: int = 3, requests: int = 20) -> dict[str, Any]:
    engine = make_engine(database_url)
    try:
        started = time.perf_counter()
        call_id = seed(engine, grants)
        seeded = time.perf_counter() - started
    finally:
        engine.dispose()
    monitor = headers(stack, Role.monitor, uuid.uuid4())
    per_run: list[list[float]] = []
    with httpx.Client(base_url=stack.gateway, timeout=60) as client:
        for run in range(runs + 1):
            timings = []
            for _ in range(requests if run else max(requests // 4, 2)):  # run 0 warms up
                started = time.perf_counter()
                response = client.get(f"/api/v1/calls/{call_id}/indicators", headers=monitor)
                timings.append(time.perf_counter() - started)
                response.raise_for_status()
                assert sum(response.json()["grants"].values()) == grants
            if run:
                per_run.append(timings)
    return {
        "grants": grants,
        "runs": runs,
        "requests": requests,
        "seed_s": seeded,
        "p50_ms": statistics.median(statistics.median(t) for t in per_run) * 1000,
        "p99_ms": statistics.median(percentile(t, 0.99) for t in per_run) * 1000,
    }
