"""Grants from awards: one per application, tranches summing to the award, who may read them,
payout details (validated, masked except to finance), and the application's timeline."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest

from services.disbursement.domain.split import grant_id_for
from shared.auth import Role
from shared.inbox import NotYetApplicable, UnprocessableEvent
from tests.support.apps import bearer
from tests.support.disbursement import IBAN, Disbursement, disbursement_service
from tests.support.natsd import NatsServer

CREATED = "edf.disbursement.grant.created.v1"


@pytest.fixture
def service(database_url: str, own_nats: NatsServer) -> Iterator[Disbursement]:
    with disbursement_service(database_url, own_nats.url) as running:
        yield running


def outbox(service: Disbursement, subject: str) -> list[dict[str, object]]:
    rows = service.sql("SELECT payload FROM outbox WHERE subject = :s ORDER BY seq", s=subject)
    return [json.loads(r[0]) for r in rows]


def test_an_award_becomes_one_grant_whose_tranches_sum_to_it(service: Disbursement) -> None:
    call_id = service.open_call()
    application_id = service.submit(call_id)
    decided = service.decided(call_id, application_id, "18000.00")
    assert service.deliver_event(decided) is True
    grant = service.grant_of(application_id)
    assert grant["id"] == str(grant_id_for(application_id))
    assert (grant["status"], grant["amount"], grant["currency"], grant["paid"]) == ("active", "18000.00", "USD", "0.00")
    assert [(t["seq"], t["percent"], t["amount"], t["milestone"], t["status"]) for t in grant["tranches"]] == [
        (1, "50", "9000.00", "agreement_signed", "planned"),
        (2, "30", "5400.00", "assets_purchased", "planned"),
        (3, "20", "3600.00", "jobs_filled", "planned"),
    ]

    assert service.deliver_event(decided) is False  # redelivered: the inbox skips it
    service.deliver_event(service.decided(call_id, application_id, "18000.00"))  # replayed under a new event id
    assert service.scalar("SELECT count(*) FROM grants") == 1
    assert service.scalar("SELECT count(*) FROM tranches") == 3
    assert Decimal(str(service.scalar("SELECT awarded_total FROM calls"))) == Decimal("18000")
    [created] = outbox(service, CREATED)
    data = created["data"]
    assert isinstance(data, dict)
    assert (data["grant_id"], data["amount"], data["currency"]) == (grant["id"], "18000.00", "USD")
    assert [t["amount"] for t in data["tranches"]] == ["9000.00", "5400.00", "3600.00"]


@pytest.mark.parametrize("decision", ["rejected", "waitlisted"])
def test_other_decisions_create_nothing(service: Disbursement, decision: str) -> None:
    call_id = service.open_call()
    application_id = service.submit(call_id)
    service.deliver_event(service.decided(call_id, application_id, decision=decision))
    assert service.scalar("SELECT count(*) FROM grants") == 0


def test_an_award_before_its_application_waits_for_it(service: Disbursement) -> None:
    call_id = service.open_call()
    application_id = uuid.uuid4()
    decided = service.decided(call_id, application_id)
    with pytest.raises(NotYetApplicable):  # the inbox retries it with backoff
        service.deliver_event(decided)
    from tests.support.disbursement import SUBMITTED, submitted_event

    service.deliver(SUBMITTED, application_id, submitted_event(application_id, call_id, None))
    assert service.deliver_event(decided) is True
    assert service.grant_of(application_id)["amount"] == "18000.00"


def test_an_iqd_award_is_split_in_whole_dinars_remainder_on_the_last_tranche(service: Disbursement) -> None:
    call_id = service.open_call(
        currency="IQD", currency_exponent=0, budget="900000000", grant_min="1000000", grant_max="30000000"
    )
    grant = service.award(call_id, amount="10000001", currency="IQD")
    assert grant["amount"] == "10000001"
    assert [t["amount"] for t in grant["tranches"]] == ["5000000", "3000000", "2000001"]


def test_awards_that_can_never_be_grants_are_refused_and_change_nothing(service: Disbursement) -> None:
    call_id = service.open_call(budget="30000.00")
    service.award(call_id, amount="20000.00")
    for amount, currency in (("20000.00", "USD"), ("100.00", "IQD"), ("100.001", "USD")):
        application_id = service.submit(call_id)
        with pytest.raises(UnprocessableEvent):  # dead-lettered: operators see it
            service.deliver_event(service.decided(call_id, application_id, amount, currency))
    assert service.scalar("SELECT count(*) FROM grants") == 1


def test_the_grantee_and_staff_read_a_grant_other_applicants_get_404(service: Disbursement) -> None:
    owner_id = uuid.uuid4()
    owner = bearer(Role.applicant, owner_id)
    grant = service.award(service.open_call(), applicant_id=owner_id)
    service.award(service.open_call())  # someone else's
    assert service.client.get(f"/api/v1/grants/{grant['id']}", headers=owner).status_code == 200
    own = service.client.get("/api/v1/grants", headers=owner).json()["items"]
    assert [g["id"] for g in own] == [grant["id"]]
    stranger = bearer(Role.applicant)
    assert service.client.get(f"/api/v1/grants/{grant['id']}", headers=stranger).status_code == 404
    assert service.client.get("/api/v1/grants", headers=stranger).json()["items"] == []
    for role in (Role.officer, Role.finance, Role.monitor, Role.committee, Role.admin):
        assert service.client.get(f"/api/v1/grants/{grant['id']}", headers=bearer(role)).status_code == 200
    assert service.client.get(f"/api/v1/grants/{grant['id']}").status_code == 401
    assert service.client.get(f"/api/v1/grants/{uuid.uuid4()}", headers=bearer(Role.officer)).status_code == 404


def test_payout_details_are_validated_and_masked_except_to_finance(service: Disbursement) -> None:
    owner_id = uuid.uuid4()
    owner = bearer(Role.applicant, owner_id)
    grant = service.award(service.open_call(), applicant_id=owner_id)
    recorded = service.set_payee(grant["id"], headers=owner)
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["iban"] == "****9012" and recorded.json()["masked"] is True
    for role in (Role.officer, Role.monitor, Role.admin):
        assert service.grant(grant["id"], bearer(role))["payee"]["iban"] == "****9012"
    assert service.grant(grant["id"], owner)["payee"]["iban"] == "****9012"
    shown = service.grant(grant["id"], bearer(Role.finance))["payee"]
    assert (shown["iban"], shown["masked"], shown["account_holder"]) == (IBAN, False, "Layla Hassan")

    wallet = service.set_payee(
        grant["id"],
        method="mobile_money",
        iban=None,
        bank_name=None,
        wallet_phone="0770 123 4567",
        wallet_provider="Zain Cash",
    )
    assert wallet.status_code == 200, wallet.text
    assert service.grant(grant["id"], bearer(Role.finance))["payee"]["wallet_phone"] == "+9647701234567"
    assert service.grant(grant["id"], owner)["payee"]["wallet_phone"] == "****4567"

    wrong = service.set_payee(grant["id"], iban="IQ98NBIQ850123456789013")
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["loc"] == ["body", "iban"]
    assert service.set_payee(grant["id"], headers=bearer(Role.committee)).status_code == 403
    assert service.set_payee(grant["id"], headers=bearer(Role.finance)).status_code == 403
    assert service.set_payee(grant["id"], headers=bearer(Role.applicant)).status_code == 404
    assert service.set_payee(grant["id"], extra="field").status_code == 422
    audit = json.dumps([list(r) for r in service.sql("SELECT action, after FROM audit_log")])
    assert IBAN not in audit and "+9647701234567" not in audit


def test_the_applications_timeline_part_holds_its_grant_tranches_and_payments(service: Disbursement) -> None:
    grant, instruction_id = service.instructed()
    assert service.settle(instruction_id).status_code == 200
    part = service.client.get(f"/internal/timeline/applications/{grant['application_id']}", headers=bearer(Role.admin))
    assert part.status_code == 200, part.text
    types = [item["type"] for item in part.json()]
    for expected in (
        "grant.created",
        "payee.recorded",
        "tranche.eligible",
        "tranche.requested",
        "tranche.approved",
        "payment.instructed",
        "payment.settled",
        "tranche.paid",
    ):
        assert expected in types, types
    assert IBAN not in part.text
