"""Settlement by event and by HTTP (idempotent, and they agree), a failed payment instructed
again under a new id, a late report for it kept as an alert, completion, the ledger."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest

from shared.auth import Role
from shared.inbox import UnprocessableEvent
from tests.support.apps import bearer
from tests.support.disbursement import Disbursement, disbursement_service
from tests.support.natsd import NatsServer

PAID = "edf.disbursement.tranche.paid.v1"
COMPLETED = "edf.disbursement.grant.completed.v1"
FINANCE = bearer(Role.finance)


@pytest.fixture
def service(database_url: str, own_nats: NatsServer) -> Iterator[Disbursement]:
    with disbursement_service(database_url, own_nats.url) as running:
        yield running


def count(service: Disbursement, subject: str) -> int:
    return int(service.scalar("SELECT count(*) FROM outbox WHERE subject = :s", s=subject))


def ledger(service: Disbursement, call_id: str) -> dict[str, str]:
    response = service.client.get(f"/api/v1/calls/{call_id}/ledger", headers=FINANCE)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_same_settlement_three_times_by_event_and_api_pays_once(service: Disbursement) -> None:
    grant, instruction_id = service.instructed()
    settled = service.settled_event(instruction_id, bank_reference="NBI-778899")
    assert [service.deliver_event(settled) for _ in range(3)] == [True, False, False]
    for _ in range(2):  # the same report again under new event ids, as a finance system might
        service.deliver_event(service.settled_event(instruction_id, bank_reference="NBI-778899"))
    answers = [service.settle(instruction_id, bank_reference="other") for _ in range(3)]
    assert {a.status_code for a in answers} == {200}
    assert answers[0].json()["status"] == "settled" and answers[0].json()["bank_reference"] == "NBI-778899"
    assert answers[0].json()["tranche_status"] == "paid"

    tranche = service.grant(grant["id"])["tranches"][0]
    assert tranche["status"] == "paid" and tranche["paid_at"] is not None
    assert service.scalar("SELECT count(*) FROM settlements") == 1
    assert count(service, PAID) == 1
    assert service.grant(grant["id"])["paid"] == "9000.00"
    assert ledger(service, grant["call_id"])["disbursed"] == "9000.00"
    assert service.scalar("SELECT count(*) FROM payment_alerts") == 0


def test_settled_by_api_then_failed_by_event_changes_nothing_and_raises_an_alert(service: Disbursement) -> None:
    grant, instruction_id = service.instructed()
    assert service.settle(instruction_id).status_code == 200
    service.deliver_event(service.failed_event(instruction_id))  # acked: kept as an alert, not retried
    again = service.settle(instruction_id, status="failed", reason="returned")
    assert again.status_code == 409 and "alert" in again.json()["detail"]
    assert service.grant(grant["id"])["tranches"][0]["status"] == "paid"
    alerts = service.client.get("/api/v1/payments/alerts", headers=FINANCE).json()["items"]
    assert [(a["instruction_id"], a["kind"]) for a in alerts] == [(instruction_id, "failed_after_settled")]
    assert service.client.get("/api/v1/payments/alerts", headers=bearer(Role.officer)).status_code == 403


def test_a_failed_payment_is_requested_again_with_a_new_instruction_never_paid_twice(service: Disbursement) -> None:
    grant, first = service.instructed()
    failed = service.settle(first, status="failed", reason="account closed")
    assert failed.status_code == 200 and failed.json()["tranche_status"] == "failed"
    tranche = service.grant(grant["id"])["tranches"][0]
    assert service.request(tranche["id"], bearer(Role.officer)).status_code == 200
    second = service.approve(tranche["id"], FINANCE).json()["instruction_id"]
    assert second != first
    assert service.grant(grant["id"])["tranches"][0]["attempts"] == 2
    assert ledger(service, grant["call_id"])["instructed"] == "9000.00"

    late = service.settle(first, bank_reference="LATE-1")  # the bank paid the failed one after all?
    assert late.status_code == 409
    service.deliver_event(service.settled_event(first))
    shown = service.grant(grant["id"])["tranches"][0]
    assert (shown["status"], shown["instruction_id"]) == ("instructed", second)
    assert ledger(service, grant["call_id"])["disbursed"] == "0.00"
    kinds = [a["kind"] for a in service.client.get("/api/v1/payments/alerts", headers=FINANCE).json()["items"]]
    assert kinds == ["settled_after_failed"]

    assert service.settle(second).status_code == 200
    assert ledger(service, grant["call_id"])["disbursed"] == "9000.00"
    assert service.grant(grant["id"])["paid"] == "9000.00"
    rows = service.sql("SELECT attempt, status FROM instructions ORDER BY attempt")
    assert [tuple(r) for r in rows] == [(1, "failed"), (2, "settled")]


def test_an_unknown_instruction_is_404_by_api_and_a_dead_letter_by_event(service: Disbursement) -> None:
    unknown = str(uuid.uuid4())
    response = service.settle(unknown)
    assert response.status_code == 404 and "no such payment instruction" in response.json()["detail"]
    with pytest.raises(UnprocessableEvent):
        service.deliver_event(service.settled_event(unknown))
    _, instruction_id = service.instructed()
    assert service.settle(instruction_id, headers=bearer(Role.officer)).status_code == 403
    assert service.settle(instruction_id, status="lost").status_code == 422


def test_all_tranches_paid_complete_the_grant(service: Disbursement) -> None:
    officer, finance = bearer(Role.officer), bearer(Role.finance)
    grant, tranche = service.ready_tranche()
    for index, step in enumerate(grant["tranches"]):
        service.verify(grant["id"], step["milestone"])
        assert service.request(step["id"], officer).status_code == 200
        instruction_id = service.approve(step["id"], finance).json()["instruction_id"]
        service.deliver_event(service.settled_event(instruction_id))
        expected = "completed" if index == len(grant["tranches"]) - 1 else "active"
        assert service.grant(grant["id"])["status"] == expected
    done = service.grant(grant["id"])
    assert done["paid"] == done["amount"] == "18000.00" and done["completed_at"] is not None
    assert count(service, PAID) == 3 and count(service, COMPLETED) == 1
    payload = json.loads(service.scalar("SELECT payload FROM outbox WHERE subject = :s", s=COMPLETED))
    assert payload["data"]["grant_id"] == grant["id"]
    assert service.set_payee(grant["id"]).status_code == 409
    assert tranche["id"] == grant["tranches"][0]["id"]


def test_the_ledger_adds_up_from_the_rows_and_matches_the_guards(service: Disbursement) -> None:
    call_id = service.open_call(budget="100000.00")
    first, paid = service.instructed(call_id=call_id)
    assert service.settle(paid).status_code == 200
    second, _ = service.instructed(call_id=call_id)
    service.award(call_id, amount="7000.00")
    books = ledger(service, str(call_id))
    assert books == {
        "call_id": str(call_id),
        "currency": "USD",
        "budget": "100000.00",
        "awarded": "43000.00",
        "instructed": "9000.00",
        "disbursed": "9000.00",
        "available": "57000.00",
    }
    # The guards the database keeps agree with the rows the ledger sums.
    assert Decimal(str(service.scalar("SELECT awarded_total FROM calls"))) == Decimal(books["awarded"])
    paid_total = sum(Decimal(str(r[0])) for r in service.sql("SELECT paid_total FROM grants"))
    assert paid_total == Decimal(books["disbursed"])
    assert service.client.get(f"/api/v1/calls/{call_id}/ledger", headers=bearer(Role.admin)).status_code == 200
    for role in (Role.officer, Role.applicant, Role.committee):
        assert service.client.get(f"/api/v1/calls/{call_id}/ledger", headers=bearer(role)).status_code == 403
    assert service.client.get(f"/api/v1/calls/{uuid.uuid4()}/ledger", headers=FINANCE).status_code == 404
    assert first["call_id"] == second["call_id"] == str(call_id)


def test_finance_reads_a_payment_with_its_settlement(service: Disbursement) -> None:
    grant, instruction_id = service.instructed()
    service.settle(instruction_id, bank_reference="NBI-1")
    payment = service.client.get(f"/api/v1/payments/{instruction_id}", headers=FINANCE).json()
    assert (payment["status"], payment["amount"], payment["attempt"], payment["reference"]) == (
        "settled",
        "9000.00",
        1,
        grant["reference"],
    )
    assert payment["payee"]["masked"] is False and payment["settlement"]["bank_reference"] == "NBI-1"
    admin_view = service.client.get(f"/api/v1/payments/{instruction_id}", headers=bearer(Role.admin)).json()
    assert admin_view["payee"]["iban"] == "****9012"
    assert service.client.get(f"/api/v1/payments/{instruction_id}", headers=bearer(Role.officer)).status_code == 403
