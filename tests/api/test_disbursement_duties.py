"""Separation of duties on the money path (#15 §5): payout details staff record wait for a second
person (the grantee or another officer); the officer who requests a tranche did not verify its
milestone nor resolve a hold on its grant; the approver sees who recorded and confirmed the payee."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from shared.auth import Role
from tests.support.apps import bearer
from tests.support.disbursement import IBAN, Disbursement, disbursement_service
from tests.support.natsd import NatsServer


@pytest.fixture
def service(database_url: str, own_nats: NatsServer) -> Iterator[Disbursement]:
    with disbursement_service(database_url, own_nats.url) as running:
        yield running


def eligible_grant(service: Disbursement, applicant_id: uuid.UUID | None = None) -> tuple[dict[str, Any], str]:
    """A grant whose first tranche is eligible (its milestone verified by a monitor), no payee yet."""
    grant = service.award(service.open_call(), applicant_id)
    tranche = grant["tranches"][0]
    service.verify(grant["id"], tranche["milestone"], verified_by=uuid.uuid4())
    return grant, str(tranche["id"])


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = dict(response.json())
    assert body["code"] == code, body
    assert IBAN not in response.text and IBAN[-4:] not in response.text  # no account in an error body
    return body


def test_details_an_officer_records_are_pending_until_another_officer_confirms_them(service: Disbursement) -> None:
    setter, other, finance = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    grant, tranche = eligible_grant(service)
    recorded = service.set_payee(grant["id"], bearer(Role.officer, setter), confirm=False).json()
    assert (recorded["status"], recorded["recorded_by"], recorded["recorded_as"], recorded["confirmed_by"]) == (
        "pending",
        str(setter),
        "staff",
        None,
    )
    shown = service.grant(grant["id"])["payee"]
    assert (shown["status"], shown["recorded_by"], shown["iban"]) == ("pending", str(setter), "****9012")

    # Not used until confirmed, by anyone: the setter included.
    problem(service.request(tranche, bearer(Role.officer, setter)), 409, "payee_unconfirmed")
    problem(service.request(tranche, bearer(Role.officer, other)), 409, "payee_unconfirmed")
    problem(service.confirm_payee(grant["id"], recorded["id"], bearer(Role.officer, setter)), 403, "same_person")
    problem(service.confirm_payee(grant["id"], str(uuid.uuid4()), bearer(Role.officer, other)), 409, "payee_changed")
    for role in (Role.finance, Role.monitor, Role.committee, Role.admin):
        assert service.confirm_payee(grant["id"], recorded["id"], bearer(role)).status_code == 403

    confirmed = service.confirm_payee(grant["id"], recorded["id"], bearer(Role.officer, other))
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["status"], confirmed.json()["confirmed_by"]) == ("confirmed", str(other))
    problem(service.confirm_payee(grant["id"], recorded["id"], bearer(Role.officer)), 409, "payee_not_pending")

    # The setter may request now that a second person confirmed; finance sees who did what.
    assert service.request(tranche, bearer(Role.officer, setter)).status_code == 200
    seen = service.grant(grant["id"], bearer(Role.finance, finance))["tranches"][0]["payee_record"]
    assert (seen["recorded_by"], seen["recorded_as"], seen["confirmed_by"], seen["status"], seen["current"]) == (
        str(setter),
        "staff",
        str(other),
        "confirmed",
        True,
    )
    assert seen["recorded_at"] and seen["confirmed_at"]
    approved = service.approve(tranche, bearer(Role.finance, finance))
    assert approved.status_code == 200, approved.text
    payment = service.client.get(
        f"/api/v1/payments/{approved.json()['instruction_id']}", headers=bearer(Role.finance)
    ).json()
    assert (payment["payee"]["recorded_by"], payment["payee"]["confirmed_by"]) == (str(setter), str(other))
    actions = [r[0] for r in service.sql("SELECT action FROM audit_log WHERE action LIKE 'payee.%' ORDER BY id")]
    assert actions == ["payee.recorded", "payee.confirmed"]


def test_the_grantee_confirms_details_staff_recorded_and_their_own_need_no_confirmation(
    service: Disbursement,
) -> None:
    grantee = uuid.uuid4()
    grant, tranche = eligible_grant(service, grantee)
    recorded = service.set_payee(grant["id"], confirm=False).json()
    stranger = bearer(Role.applicant)  # another applicant does not see the grant
    assert service.confirm_payee(grant["id"], recorded["id"], stranger).status_code == 404
    confirmed = service.confirm_payee(grant["id"], recorded["id"], bearer(Role.applicant, grantee))
    assert confirmed.status_code == 200 and confirmed.json()["confirmed_by"] == str(grantee)
    assert confirmed.json()["iban"] == "****9012"  # masked for the grantee too

    own = service.set_payee(grant["id"], bearer(Role.applicant, grantee), account_holder="Layla H.").json()
    assert (own["status"], own["recorded_as"], own["confirmed_by"]) == ("confirmed", "grantee", str(grantee))
    problem(service.confirm_payee(grant["id"], own["id"], bearer(Role.officer)), 409, "payee_not_pending")
    assert service.request(tranche, bearer(Role.officer)).status_code == 200


def test_a_change_by_staff_after_the_request_stops_the_approval(service: Disbursement) -> None:
    grantee = uuid.uuid4()
    grant, tranche = eligible_grant(service, grantee)
    service.set_payee(grant["id"], bearer(Role.applicant, grantee))
    assert service.request(tranche, bearer(Role.officer)).status_code == 200
    service.set_payee(grant["id"], iban="IQ20CBIQ861800101010500", confirm=False)  # pending, not the requested one
    seen = service.grant(grant["id"], bearer(Role.finance))["tranches"][0]["payee_record"]
    assert (seen["recorded_as"], seen["current"]) == ("grantee", False)
    refused = service.approve(tranche, bearer(Role.finance))
    assert refused.status_code == 409 and "payout details changed" in refused.json()["detail"]
    assert service.grant(grant["id"])["tranches"][0]["status"] == "requested"


def test_a_request_for_details_that_lost_their_confirmation_is_not_approved(service: Disbursement) -> None:
    """A tranche requested before confirmation existed (details staff recorded, pending since the
    migration) is approved only once they are confirmed."""
    grant, tranche = eligible_grant(service)
    recorded = service.set_payee(grant["id"]).json()
    assert service.request(tranche, bearer(Role.officer)).status_code == 200
    payee_id = uuid.UUID(recorded["id"])
    engine = create_engine(service.database_url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE payees SET confirmed_by = NULL, confirmed_at = NULL WHERE id = :id"),
            {"id": payee_id.hex if engine.dialect.name == "sqlite" else payee_id},
        )
    engine.dispose()
    problem(service.approve(tranche, bearer(Role.finance)), 409, "payee_unconfirmed")
    assert service.confirm_payee(grant["id"], recorded["id"], bearer(Role.officer)).status_code == 200
    assert service.approve(tranche, bearer(Role.finance)).status_code == 200


def test_the_officer_who_verified_the_milestone_does_not_request_its_tranche(service: Disbursement) -> None:
    verifier, other = uuid.uuid4(), uuid.uuid4()
    grant = service.award(service.open_call())
    first, second = grant["tranches"][0], grant["tranches"][1]
    service.set_payee(grant["id"])
    service.verify(grant["id"], first["milestone"], verified_by=verifier)
    service.verify(grant["id"], second["milestone"])  # an event from before monitoring said who
    problem(service.request(first["id"], bearer(Role.officer, verifier)), 403, "same_person_verified_milestone")
    assert service.request(second["id"], bearer(Role.officer, verifier)).status_code == 200  # unknown: not refused
    assert service.request(first["id"], bearer(Role.officer, other)).status_code == 200
    stored = service.sql("SELECT verified_by FROM verified_milestones WHERE verified_by IS NOT NULL")
    assert len(stored) == 1


def test_the_officer_who_resolved_a_hold_does_not_request_the_grants_tranches(service: Disbursement) -> None:
    resolver, other = uuid.uuid4(), uuid.uuid4()
    grant, tranche = eligible_grant(service)
    service.set_payee(grant["id"])
    flag = service.flag(grant["id"])
    assert service.request(tranche, bearer(Role.officer, resolver)).status_code == 409  # on hold
    service.resolve(grant["id"], flag, resolved_by=resolver)
    assert service.grant(grant["id"])["status"] == "active"
    problem(service.request(tranche, bearer(Role.officer, resolver)), 403, "same_person_resolved_hold")
    # A flag that held nothing is no hold; an old event that does not say who restricts no one.
    quiet, old = service.flag(grant["id"], hold_payments=False), service.flag(grant["id"])
    service.resolve(grant["id"], quiet, hold_payments=False, resolved_by=other)
    service.resolve(grant["id"], old)
    assert service.request(tranche, bearer(Role.officer, other)).status_code == 200
