"""Milestone gates, holds and four-eyes release: an officer requests an eligible tranche, a
finance user who is not the requester approves it, and that creates one payment instruction."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator

import pytest

from services.disbursement.domain.split import grant_id_for
from shared.auth import Role
from tests.support.apps import bearer
from tests.support.disbursement import IBAN, Disbursement, disbursement_service
from tests.support.natsd import NatsServer

APPROVED = "edf.disbursement.tranche.approved.v1"
INSTRUCTED = "edf.disbursement.payment.instructed.v1"


@pytest.fixture
def service(database_url: str, own_nats: NatsServer) -> Iterator[Disbursement]:
    with disbursement_service(database_url, own_nats.url) as running:
        yield running


def outbox(service: Disbursement, subject: str) -> list[dict[str, object]]:
    rows = service.sql("SELECT payload FROM outbox WHERE subject = :s ORDER BY seq", s=subject)
    return [json.loads(r[0])["data"] for r in rows]


def test_a_tranche_is_eligible_once_its_milestone_is_verified_and_needs_a_payee(service: Disbursement) -> None:
    officer = bearer(Role.officer)
    grant = service.award(service.open_call())
    first, second = grant["tranches"][0], grant["tranches"][1]
    refused = service.request(first["id"], officer)
    assert refused.status_code == 409 and "planned" in refused.json()["detail"]
    service.verify(grant["id"], "agreement_signed")
    service.verify(grant["id"], "agreement_signed")  # verified twice (another visit): the same
    tranches = service.grant(grant["id"])["tranches"]
    assert [t["status"] for t in tranches] == ["eligible", "planned", "planned"]
    no_payee = service.request(first["id"], officer)
    assert no_payee.status_code == 409 and "payout details" in no_payee.json()["detail"]
    assert service.set_payee(grant["id"]).status_code == 200
    assert service.request(first["id"], officer).json() == {
        "id": first["id"],
        "status": "requested",
        "instruction_id": None,
    }
    assert service.request(first["id"], officer).status_code == 409  # requested already
    assert service.request(second["id"], officer).status_code == 409
    assert service.request(str(uuid.uuid4()), officer).status_code == 404


def test_a_milestone_verified_before_the_grant_exists_is_applied_when_it_appears(service: Disbursement) -> None:
    call_id = service.open_call()
    application_id = service.submit(call_id)
    service.verify(str(grant_id_for(application_id)), "assets_purchased")  # e.g. a rebuild from the streams
    service.deliver_event(service.decided(call_id, application_id))
    grant = service.grant_of(application_id)
    assert [t["status"] for t in grant["tranches"]] == ["planned", "eligible", "planned"]


def test_approval_instructs_exactly_once_with_the_payee_for_the_bank(service: Disbursement) -> None:
    officer_id, finance_id = uuid.uuid4(), uuid.uuid4()
    grant, tranche = service.ready_tranche()
    assert service.request(tranche["id"], bearer(Role.officer, officer_id)).status_code == 200
    approved = service.approve(tranche["id"], bearer(Role.finance, finance_id))
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["status"] == "instructed" and body["instruction_id"]
    again = service.approve(tranche["id"], bearer(Role.finance))
    assert again.status_code == 409 and "instructed" in again.json()["detail"]
    assert service.scalar("SELECT count(*) FROM instructions") == 1

    shown = service.grant(grant["id"])["tranches"][0]
    assert (shown["status"], shown["requested_by"], shown["approved_by"], shown["instruction_id"]) == (
        "instructed",
        str(officer_id),
        str(finance_id),
        body["instruction_id"],
    )
    [approval] = outbox(service, APPROVED)
    assert (approval["requested_by"], approval["approved_by"], approval["amount"]) == (
        str(officer_id),
        str(finance_id),
        "9000.00",
    )
    [instruction] = outbox(service, INSTRUCTED)
    assert instruction["instruction_id"] == body["instruction_id"]
    assert (instruction["amount"], instruction["currency"], instruction["reference"]) == (
        "9000.00",
        "USD",
        grant["reference"],
    )
    assert instruction["payee"] == {
        "method": "bank",
        "account_holder": "Layla Hassan",
        "iban": IBAN,
        "bank_name": "National Bank of Iraq",
        "account_number": None,
        "bic": None,
        "wallet_phone": None,
        "wallet_provider": None,
    }
    assert instruction["remittance_info"] == f"EDF grant {grant['reference']}, tranche 1 of 3"
    # Only the payment instruction carries the payee: no other event does.
    others = service.sql("SELECT payload FROM outbox WHERE subject <> :s", s=INSTRUCTED)
    assert not any(IBAN in r[0] or "Layla" in r[0] for r in others)


def test_maker_checker_the_requester_cannot_approve_even_holding_both_roles(service: Disbursement) -> None:
    person = uuid.uuid4()
    grant, tranche = service.ready_tranche()
    assert service.request(tranche["id"], bearer(Role.officer, person)).status_code == 200
    refused = service.approve(tranche["id"], bearer(Role.finance, person))  # the same user id, as finance
    assert refused.status_code == 403 and "four eyes" in refused.json()["detail"]
    assert service.scalar("SELECT count(*) FROM instructions") == 0
    assert service.grant(grant["id"])["tranches"][0]["status"] == "requested"
    assert service.approve(tranche["id"], bearer(Role.finance)).status_code == 200  # another person may


@pytest.mark.parametrize("role", [Role.applicant, Role.monitor, Role.finance, Role.committee, Role.admin])
def test_only_officers_request(service: Disbursement, role: Role) -> None:
    _, tranche = service.ready_tranche()
    assert service.request(tranche["id"], bearer(role)).status_code == 403


@pytest.mark.parametrize("role", [Role.applicant, Role.monitor, Role.officer, Role.committee, Role.admin])
def test_only_finance_approves(service: Disbursement, role: Role) -> None:
    _, tranche = service.ready_tranche()
    assert service.request(tranche["id"], bearer(Role.officer)).status_code == 200
    assert service.approve(tranche["id"], bearer(role)).status_code == 403
    assert service.approve(tranche["id"], {}).status_code == 401
    assert service.scalar("SELECT count(*) FROM instructions") == 0


def test_a_flag_holding_payments_stops_requests_and_approvals_until_resolved(service: Disbursement) -> None:
    grant, tranche = service.ready_tranche()
    second = grant["tranches"][1]
    service.verify(grant["id"], second["milestone"])
    assert service.request(tranche["id"], bearer(Role.officer)).status_code == 200
    first_flag = service.flag(grant["id"])
    second_flag = service.flag(grant["id"])
    assert service.grant(grant["id"])["status"] == "on_hold"
    held = service.approve(tranche["id"], bearer(Role.finance))
    assert held.status_code == 409 and "on hold" in held.json()["detail"]
    assert service.request(second["id"], bearer(Role.officer)).status_code == 409

    service.resolve(grant["id"], first_flag)
    assert service.grant(grant["id"])["status"] == "on_hold"  # the other flag still holds
    service.resolve(grant["id"], second_flag)
    assert service.grant(grant["id"])["status"] == "active"
    assert service.approve(tranche["id"], bearer(Role.finance)).status_code == 200
    assert service.request(second["id"], bearer(Role.officer)).status_code == 200

    service.flag(grant["id"], hold_payments=False)  # a flag that does not hold payments
    assert service.grant(grant["id"])["status"] == "active"


def test_payout_details_changed_after_the_request_need_a_new_request(service: Disbursement) -> None:
    grant, tranche = service.ready_tranche()
    assert service.request(tranche["id"], bearer(Role.officer)).status_code == 200
    assert service.set_payee(grant["id"], account_holder="Someone Else").status_code == 200
    changed = service.approve(tranche["id"], bearer(Role.finance))
    assert changed.status_code == 409 and "payout details changed" in changed.json()["detail"]


def test_logs_never_carry_payout_details(
    service: Disbursement, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    _, instruction_id = service.instructed()
    service.deliver_event(service.failed_event(instruction_id))
    service.deliver_event(service.settled_event(instruction_id))  # contradicts: an alert, logged
    logged = " ".join(str(record.__dict__) for record in caplog.records) + "".join(capfd.readouterr())
    assert "payment report contradicts" in logged
    assert IBAN not in logged and "Layla Hassan" not in logged and "National Bank" not in logged


def test_money_routes_refuse_a_token_without_a_second_factor(service: Disbursement) -> None:
    """403 `mfa_required` (shared.auth.require_mfa) for staff signed in with a password only."""
    grant, tranche = service.ready_tranche()
    assert service.request(tranche["id"], bearer(Role.officer)).status_code == 200
    refused = service.approve(tranche["id"], bearer(Role.finance, mfa=False))
    assert refused.status_code == 403 and refused.json()["code"] == "mfa_required", refused.text
    assert service.approve(tranche["id"], bearer(Role.finance)).status_code == 200
    payee = service.set_payee(grant["id"], bearer(Role.officer), confirm=False).json()
    officer_without = service.confirm_payee(grant["id"], payee["id"], bearer(Role.officer, mfa=False))
    assert officer_without.status_code == 403 and officer_without.json()["code"] == "mfa_required"
    for path in (f"/api/v1/calls/{grant['call_id']}/payment-batches", f"/api/v1/payments/{uuid.uuid4()}/settlement"):
        answer = service.client.post(path, headers=bearer(Role.finance, mfa=False), json={})
        assert answer.status_code == 403 and answer.json()["code"] == "mfa_required", (path, answer.text)
