"""`make demo` against the whole stack as processes (SQLite, and PostgreSQL when
EDF_TEST_POSTGRES_URL is set): the demo (20 applicants) runs from start to end through the
gateway, and its summary agrees with what the API says afterwards; a second run makes a second
call with the next code instead of failing."""

from __future__ import annotations

import asyncio
import io
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from decimal import Decimal
from typing import Any

import httpx
import pytest
from rich.console import Console

from demo.intake import derived_password
from demo.run import Options, run_demo
from demo.target import Target
from tests.support.databases import fresh_database
from tests.support.stack import ADMIN_EMAIL, ADMIN_PASSWORD, Stack, running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
POSTGRES_URL = os.environ.get("EDF_TEST_POSTGRES_URL")
APPS = ("gateway", "applications", "scoring", "disbursement", "monitoring")


@pytest.fixture(scope="module", params=["sqlite", *(["postgres"] if POSTGRES_URL else [])])
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp(f"demo-{request.param}")
    with ExitStack() as databases:
        env = {"EDF_STACK_READY_TIMEOUT": "300"}  # a loaded machine starts it slowly
        if request.param == "postgres":
            env |= {
                f"{app.upper()}_DATABASE_URL": databases.enter_context(fresh_database("postgres", tmp, POSTGRES_URL))
                for app in APPS
            }
        with running_stack(tmp / "var", env, timeout=330) as running:
            yield running


def all_items(stack: Stack, path: str, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = httpx.get(
            f"{stack.gateway}/api/v1{path}",
            headers=headers,
            params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})},
        ).json()
        items += page["items"]
        if not (cursor := page["next_cursor"]):
            return items


def test_the_demo_runs_end_to_end_and_its_summary_agrees_with_the_api(stack: Stack) -> None:
    target = Target(
        gateway=stack.gateway,
        nats_url=stack.nats_url,
        var_dir=stack.var_dir,
        admin_email=ADMIN_EMAIL,
        admin_password_given=ADMIN_PASSWORD,
    )
    shown = io.StringIO()
    summary = asyncio.run(
        run_demo(target, Options(applicants=20, seed=5, concurrency=8), Console(file=shown, width=160))
    )
    admin = stack.token()
    finance = stack.token("demo.finance1@edf.local", derived_password(ADMIN_PASSWORD, "staff"))
    call_id = summary.call_id

    applications = Counter(a["status"] for a in all_items(stack, "/applications", admin, call_id=call_id))
    assert applications == summary.applications and sum(applications.values()) == 20
    assert applications["ineligible"] >= 1 and applications["awarded"] >= 1
    assert (
        applications["awarded"] + applications["rejected"] + applications["waitlisted"] + applications["ineligible"]
        == 20
    ), applications  # every eligible one scored and decided

    grants = all_items(stack, "/grants", admin, call_id=call_id)
    assert Counter(g["status"] for g in grants) == summary.grants
    assert len(grants) == applications["awarded"] == summary.outcome.awarded
    paid = [t for g in grants for t in g["tranches"] if t["status"] == "paid"]
    assert len(paid) == summary.tranches_paid == len(grants) - len(summary.outcome.flagged) > 0
    assert all(t["seq"] == 1 and t["requested_by"] != t["approved_by"] for t in paid)

    ledger = httpx.get(f"{stack.gateway}/api/v1/calls/{call_id}/ledger", headers=finance).json()
    assert ledger == summary.ledger
    assert summary.disbursed == sum(Decimal(t["amount"]) for t in paid) > 0
    assert summary.awarded == sum(Decimal(g["amount"]) for g in grants) <= summary.budget

    indicators = httpx.get(f"{stack.gateway}/api/v1/calls/{call_id}/indicators", headers=admin).json()
    assert indicators["jobs_verified"] == summary.jobs_verified and summary.jobs_verified["total"] > 0
    assert indicators["jobs_planned"] == summary.jobs_planned
    assert summary.jobs_verified["total"] <= summary.jobs_planned["total"]
    assert sum(summary.jobs_verified["by_sex"].values()) == summary.jobs_verified["total"]
    for grant in grants:
        monitoring = httpx.get(f"{stack.gateway}/api/v1/grants/{grant['id']}/monitoring", headers=admin).json()
        assert len(monitoring["visits"]) == 1

    text = shown.getvalue()
    for expected in (
        f"/apply/{summary.code}",
        f"/dashboard/{call_id}",
        "/status",
        "/docs",
        "Applications to",
        "Jobs",
        "Finance consumer pays",
    ):
        assert expected in text, expected

    again = asyncio.run(run_demo(target, Options(applicants=3, seed=5, concurrency=8), Console(file=io.StringIO())))
    assert again.code != summary.code and again.code.startswith(summary.code[:-1])
    assert sum(again.applications.values()) == 3
