"""Disbursement with the whole stack as processes, driven only through the gateway and NATS, with
the reference finance consumer (`edf finance-sim`) as the bank: award → milestone verified →
request → approve → settled by the finance consumer → tranche paid, the ledger adds up with
scoring's awards, and the applicant's timeline shows the payment."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from shared.events.envelope import make_event
from shared.events.monitoring import MilestoneVerifiedV1
from tests.support.disbursement import finance_sim_process, sim_payments
from tests.support.jetstream import publish, stream_messages
from tests.support.samples import application_body, call_body
from tests.support.stack import Stack, running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
T = TypeVar("T")
PASSWORD = "a long password 1"
IBAN = "IQ98NBIQ850123456789012"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


def eventually(check: Callable[[], T | None], timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s")


def user(stack: Stack, admin: dict[str, str], role: str) -> dict[str, str]:
    email = f"{role}-{time.time_ns()}@example.org"
    if role == "applicant":
        created = httpx.post(
            f"{stack.gateway}/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "full_name": "Layla Hassan"},
        )
    else:
        created = httpx.post(
            f"{stack.gateway}/api/v1/users",
            headers=admin,
            json={"email": email, "password": PASSWORD, "full_name": f"Test {role}", "role": role},
        )
    assert created.status_code == 201, created.text
    return stack.token(email, PASSWORD)


def awarded_application(stack: Stack, api: str, admin: dict[str, str], applicant: dict[str, str]) -> dict[str, Any]:
    """Through intake and scoring as people do it: submitted, reviewed, awarded by the committee."""
    call = httpx.post(f"{api}/calls", json=call_body(reviewers_per_application=1), headers=admin).json()
    assert httpx.post(f"{api}/calls/{call['id']}/open", headers=admin).status_code == 200
    officer, committee = user(stack, admin, "officer"), user(stack, admin, "committee")
    draft = httpx.post(f"{api}/applications", json=application_body(call["id"]), headers=applicant).json()
    assert httpx.post(f"{api}/applications/{draft['id']}/submit", headers=applicant).status_code == 200
    review = eventually(
        lambda: next(
            (
                r
                for r in httpx.get(f"{api}/reviews", headers=officer).json()["items"]
                if r["application_id"] == draft["id"]
            ),
            None,
        )
    )
    scored = httpx.post(
        f"{api}/reviews/{review['id']}/submit", json={"scores": {"jobs": 5, "viability": 9}}, headers=officer
    )
    assert scored.status_code == 200, scored.text
    eventually(lambda: httpx.get(f"{api}/applications/{draft['id']}", headers=applicant).json()["status"] == "scored")
    decided = httpx.post(
        f"{api}/calls/{call['id']}/decisions",
        headers=committee,
        json={"decisions": [{"application_id": draft["id"], "decision": "award"}]},
    )
    assert decided.status_code == 200 and decided.json()["accepted"], decided.text
    return {"call": call, "application": draft, "officer": officer, "committee": committee}


def test_award_to_paid_tranche_through_the_gateway_and_the_finance_consumer(stack: Stack, tmp_path: Path) -> None:
    api = f"{stack.gateway}/api/v1"
    admin = stack.token()
    applicant = user(stack, admin, "applicant")
    finance = user(stack, admin, "finance")
    record = tmp_path / "finance-sim.db"
    with finance_sim_process(stack.nats_url, record):
        awarded = awarded_application(stack, api, admin, applicant)
        call, application, officer = awarded["call"], awarded["application"], awarded["officer"]
        grant = eventually(lambda: next(iter(httpx.get(f"{api}/grants", headers=applicant).json()["items"]), None))
        assert (grant["application_id"], grant["amount"], grant["status"]) == (application["id"], "18000.00", "active")
        first = grant["tranches"][0]

        # Monitoring verifies the first milestone (published as the monitoring service will).
        verified = make_event(
            source="/edf/monitoring",
            subject=grant["id"],
            data=MilestoneVerifiedV1(
                grant_id=uuid.UUID(grant["id"]), milestone=first["milestone"], verified_at=datetime.now(UTC)
            ),
        )
        publish(stack.nats_url, verified.type, verified.model_dump_json().encode(), msg_id=str(verified.id))
        eventually(
            lambda: (
                httpx.get(f"{api}/grants/{grant['id']}", headers=officer).json()["tranches"][0]["status"] == "eligible"
            )
        )
        payee = httpx.put(
            f"{api}/grants/{grant['id']}/payee",
            headers=applicant,
            json={"method": "bank", "account_holder": "Layla Hassan", "iban": IBAN},
        )
        assert payee.status_code == 200 and payee.json()["iban"] == "****9012"
        assert httpx.post(f"{api}/tranches/{first['id']}/request", headers=officer).status_code == 200
        assert httpx.post(f"{api}/tranches/{first['id']}/approve", headers=officer).status_code == 403
        approved = httpx.post(f"{api}/tranches/{first['id']}/approve", headers=finance)
        assert approved.status_code == 200, approved.text
        instruction_id = approved.json()["instruction_id"]
        paid = eventually(
            lambda: (
                t
                if (t := httpx.get(f"{api}/grants/{grant['id']}", headers=applicant).json()["tranches"][0])["status"]
                == "paid"
                else None
            )
        )
        assert paid["instruction_id"] == instruction_id
    assert sim_payments(record) == [(instruction_id, "settled")]

    ledger = httpx.get(f"{api}/calls/{call['id']}/ledger", headers=finance).json()
    assert ledger == {
        "call_id": call["id"],
        "currency": "USD",
        "budget": "500000.00",
        "awarded": "18000.00",
        "instructed": "0.00",
        "disbursed": "9000.00",
        "available": "482000.00",
    }
    selection = httpx.get(f"{api}/calls/{call['id']}/selection", headers=awarded["committee"]).json()
    assert (selection["budget"], selection["available"]) == (ledger["budget"], ledger["available"])

    instructed = [
        json.loads(m.data)
        for m in stream_messages(stack.nats_url, "EDF_DISBURSEMENT")
        if m.subject == "edf.disbursement.payment.instructed.v1"
    ]
    assert [e["data"]["instruction_id"] for e in instructed] == [instruction_id]
    reports = [json.loads(m.data) for m in stream_messages(stack.nats_url, "EDF_FINANCE")]
    assert [(r["type"], r["data"]["instruction_id"]) for r in reports] == [
        ("edf.finance.payment.settled.v1", instruction_id)
    ]

    timeline = httpx.get(f"{api}/applications/{application['id']}/timeline", headers=applicant)
    assert timeline.status_code == 200, timeline.text
    kinds = [item["type"] for item in timeline.json()]
    assert {
        "application.awarded",
        "grant.created",
        "tranche.eligible",
        "payment.instructed",
        "payment.settled",
        "tranche.paid",
    } <= set(kinds), kinds
    assert kinds.index("grant.created") < kinds.index("tranche.paid")
    assert IBAN not in timeline.text
