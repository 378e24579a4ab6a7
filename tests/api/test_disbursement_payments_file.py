"""Payment channels and batches: a `bank_file` call's bank payments go out in pain.001.001.09
files (valid against the official XSD, skipped with a reason when it is absent), each payment
in exactly one live batch; `GET /calls/{id}/payments.xml` answers the open batch's file.

An `events` call's payments go as `payment.instructed` and are never in a batch; a `bank_file`
call's bank payments are never announced by that event."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from services.disbursement.domain.pain001 import NAMESPACE
from shared.auth import Role
from tests.support.apps import bearer
from tests.support.disbursement import Disbursement, disbursement_service
from tests.support.natsd import NatsServer
from tests.unit.test_disbursement_pain001 import validate

FINANCE = bearer(Role.finance)
NS = {"p": NAMESPACE}
INSTRUCTED = "edf.disbursement.payment.instructed.v1"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def service(database_url: str, own_nats: NatsServer) -> Iterator[Disbursement]:
    with disbursement_service(
        database_url,
        own_nats.url,
        debtor_name="EDF Iraq",
        debtor_iban="IQ06 CBIQ 8612 3456 7890 123",
        debtor_bic="CBIQIQBA",
    ) as running:
        yield running


def bank_call(service: Disbursement) -> uuid.UUID:
    return service.open_call(payment_channel="bank_file")


def instruct(service: Disbursement, call_id: object, **payee: Any) -> tuple[str, str]:
    """(grant id, instruction id) of a new grant of the call whose first tranche is instructed."""
    grant, tranche = service.ready_tranche(call_id=call_id)  # type: ignore[arg-type]
    if payee:
        assert service.set_payee(grant["id"], **payee).status_code == 200
    assert service.request(tranche["id"], bearer(Role.officer)).status_code == 200
    approved = service.approve(tranche["id"], FINANCE)
    assert approved.status_code == 200, approved.text
    return grant["id"], str(approved.json()["instruction_id"])


def make_batch(service: Disbursement, call_id: object, headers: dict[str, str] = FINANCE) -> Any:
    return service.client.post(f"/api/v1/calls/{call_id}/payment-batches", headers=headers)


def batch_file(service: Disbursement, batch_id: str, headers: dict[str, str] = FINANCE) -> Any:
    return service.client.get(f"/api/v1/payment-batches/{batch_id}/pain.001.xml", headers=headers)


def end_to_end_ids(document: bytes) -> list[str]:
    root = validate(document)
    return [str(e.text) for e in root.iterfind(".//p:EndToEndId", NS)]


def hexes(*instruction_ids: str) -> list[str]:
    return [uuid.UUID(i).hex for i in instruction_ids]


def test_a_batch_holds_the_bank_payments_of_the_pool_and_its_file_validates(service: Disbursement) -> None:
    call_id = bank_call(service)
    _, by_iban = instruct(service, call_id)
    _, by_number = instruct(service, call_id, iban=None, account_number="0012-3456-78", bank_name="Rafidain Bank")
    _, wallet = instruct(service, call_id, method="mobile_money", iban=None, bank_name=None, wallet_phone="07701234567")
    _, settled = instruct(service, call_id)
    assert service.settle(settled).status_code == 200

    made = make_batch(service, call_id)
    assert made.status_code == 201, made.text
    batch = made.json()
    assert {k: batch[k] for k in ("call_id", "status", "payments", "total", "currency")} == {
        "call_id": str(call_id),
        "status": "open",
        "payments": 2,
        "total": "18000.00",
        "currency": "USD",
    }
    assert batch["instruction_ids"] == [by_iban, by_number]
    response = batch_file(service, batch["id"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    assert response.headers["content-disposition"] == f'attachment; filename="{batch["message_id"]}.xml"'
    root = validate(response.content)
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header.findtext("p:MsgId", namespaces=NS) == batch["message_id"]
    assert batch["message_id"].startswith(service.scalar("SELECT code FROM calls"))
    assert header.findtext("p:NbOfTxs", namespaces=NS) == "2"
    assert Decimal(header.findtext("p:CtrlSum", namespaces=NS)) == Decimal("18000.00")
    block = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert block.findtext("p:Dbtr/p:Nm", namespaces=NS) == "EDF Iraq"
    assert block.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == "IQ06CBIQ861234567890123"
    assert block.findtext("p:DbtrAgt/p:FinInstnId/p:BICFI", namespaces=NS) == "CBIQIQBA"
    assert end_to_end_ids(response.content) == hexes(by_iban, by_number)
    assert [e.text for e in root.iterfind(".//p:CdtrAcct/p:Id/p:Othr/p:Id", NS)] == ["0012345678"]
    # The wallet payment has no place in a bank file: it went as payment.instructed, alone.
    announced = service.sql("SELECT subject, payload FROM outbox WHERE subject = :s", s=INSTRUCTED)
    assert [wallet in payload for _, payload in announced] == [True]
    assert service.scalar("SELECT count(*) FROM audit_log WHERE action = 'payment_batch.made'") == 1
    again = service.client.get(f"/api/v1/payment-batches/{batch['id']}", headers=FINANCE)
    assert again.status_code == 200 and again.json() == batch


def test_every_download_is_the_same_bytes_and_nothing_is_left_for_a_second_batch(service: Disbursement) -> None:
    call_id = bank_call(service)
    instruct(service, call_id)
    batch = make_batch(service, call_id).json()
    first = batch_file(service, batch["id"]).content
    assert all(batch_file(service, batch["id"]).content == first for _ in range(3))
    via_call = service.client.get(f"/api/v1/calls/{call_id}/payments.xml", headers=FINANCE)
    assert via_call.status_code == 200 and via_call.content == first  # the open batch's file
    second = make_batch(service, call_id)
    assert second.status_code == 409 and second.json()["code"] == "no_payments_to_batch"
    # A payment instructed later goes in the next batch, and only there.
    _, later = instruct(service, call_id)
    nxt = make_batch(service, call_id).json()
    assert nxt["instruction_ids"] == [later] and nxt["message_id"] != batch["message_id"]
    assert service.scalar("SELECT count(*) FROM audit_log WHERE action = 'payment_batch.downloaded'") == 5


def test_payments_xml_makes_a_batch_when_none_is_open_and_never_repeats_a_sent_one(service: Disbursement) -> None:
    call_id = bank_call(service)
    _, first = instruct(service, call_id)
    url = f"/api/v1/calls/{call_id}/payments.xml"
    taken = service.client.get(url, headers=FINANCE)
    assert taken.status_code == 200, taken.text
    assert end_to_end_ids(taken.content) == hexes(first)
    assert service.client.get(url, headers=FINANCE).content == taken.content
    (batch_id,) = [str(row[0]) for row in service.sql("SELECT id FROM payment_batches")]
    batch_id = str(uuid.UUID(batch_id))
    sent = service.client.post(f"/api/v1/payment-batches/{batch_id}/sent", headers=FINANCE)
    assert sent.status_code == 200 and sent.json()["status"] == "sent" and sent.json()["sent_at"]
    nothing = service.client.get(url, headers=FINANCE)
    assert nothing.status_code == 409 and nothing.json()["code"] == "no_payments_to_batch"
    _, second = instruct(service, call_id)
    later = service.client.get(url, headers=FINANCE)
    assert end_to_end_ids(later.content) == hexes(second)  # never the sent one again
    assert service.scalar("SELECT count(*) FROM payment_batches") == 2


def test_grants_on_hold_stay_out_until_released(service: Disbursement) -> None:
    call_id = bank_call(service)
    held_grant, held = instruct(service, call_id)
    _, free = instruct(service, call_id)
    flag = service.flag(held_grant)  # the hold arrives after the instruction
    batch = make_batch(service, call_id).json()
    assert batch["instruction_ids"] == [free]
    assert make_batch(service, call_id).json()["code"] == "no_payments_to_batch"
    service.resolve(held_grant, flag)
    assert make_batch(service, call_id).json()["instruction_ids"] == [held]


def test_a_cancelled_batch_gives_its_payments_back_and_a_sent_one_cannot_be_cancelled(
    service: Disbursement,
) -> None:
    call_id = bank_call(service)
    _, first = instruct(service, call_id)
    batch = make_batch(service, call_id).json()
    cancelled = service.client.post(f"/api/v1/payment-batches/{batch['id']}/cancel", headers=FINANCE)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["instruction_ids"] == [first]  # its history stays
    again = service.client.post(f"/api/v1/payment-batches/{batch['id']}/cancel", headers=FINANCE)
    assert again.status_code == 200 and again.json() == cancelled.json()  # changes nothing
    gone = batch_file(service, batch["id"])
    assert gone.status_code == 409 and gone.json()["code"] == "batch_cancelled"
    not_sent = service.client.post(f"/api/v1/payment-batches/{batch['id']}/sent", headers=FINANCE)
    assert not_sent.status_code == 409 and not_sent.json()["code"] == "batch_cancelled"

    remade = make_batch(service, call_id).json()  # the payment is back in the pool
    assert remade["instruction_ids"] == [first] and remade["message_id"] != batch["message_id"]
    sent = service.client.post(f"/api/v1/payment-batches/{remade['id']}/sent", headers=FINANCE)
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    repeated = service.client.post(f"/api/v1/payment-batches/{remade['id']}/sent", headers=FINANCE)
    assert repeated.status_code == 200 and repeated.json() == sent.json()
    refused = service.client.post(f"/api/v1/payment-batches/{remade['id']}/cancel", headers=FINANCE)
    assert refused.status_code == 409 and refused.json()["code"] == "batch_sent"
    assert batch_file(service, remade["id"]).status_code == 200  # a sent file can still be read
    actions = [row[0] for row in service.sql("SELECT action FROM audit_log WHERE entity_type = 'payment_batch'")]
    assert {"payment_batch.made", "payment_batch.cancelled", "payment_batch.sent"} <= set(actions)
    assert actions.count("payment_batch.sent") == 1 and actions.count("payment_batch.cancelled") == 1


def test_an_events_call_is_never_in_a_batch_and_a_bank_file_call_is_never_announced(service: Disbursement) -> None:
    events_call = service.open_call()  # the default channel
    _, announced = instruct(service, events_call)
    refused = make_batch(service, events_call)
    assert refused.status_code == 409 and refused.json()["code"] == "payment_channel_events"
    xml = service.client.get(f"/api/v1/calls/{events_call}/payments.xml", headers=FINANCE)
    assert xml.status_code == 409 and xml.json()["code"] == "payment_channel_events"

    bank = bank_call(service)
    _, filed = instruct(service, bank)
    payloads = [row[0] for row in service.sql("SELECT payload FROM outbox WHERE subject = :s", s=INSTRUCTED)]
    assert len(payloads) == 1 and announced in payloads[0] and '"channel":"events"' in payloads[0]
    approved = service.sql("SELECT payload FROM outbox WHERE subject = 'edf.disbursement.tranche.approved.v1'")
    assert sum(filed in p and '"channel":"bank_file"' in p for (p,) in approved) == 1
    channels = dict(service.sql("SELECT payment_channel, count(*) FROM calls GROUP BY payment_channel"))
    assert channels == {"events": 1, "bank_file": 1}


def test_only_finance_and_clear_answers_for_unknown_objects(service: Disbursement) -> None:
    call_id = bank_call(service)
    nothing = make_batch(service, call_id)
    assert nothing.status_code == 409 and nothing.json()["code"] == "no_payments_to_batch"
    assert nothing.headers["content-type"].startswith("application/problem+json")
    instruct(service, call_id)
    for role in (Role.officer, Role.admin, Role.applicant, Role.committee, Role.monitor):
        headers = bearer(role)
        assert make_batch(service, call_id, headers).status_code == 403
        assert service.client.get(f"/api/v1/calls/{call_id}/payments.xml", headers=headers).status_code == 403
    batch = make_batch(service, call_id).json()
    for role in (Role.officer, Role.admin, Role.applicant):
        headers = bearer(role)
        assert service.client.get(f"/api/v1/payment-batches/{batch['id']}", headers=headers).status_code == 403
        assert batch_file(service, batch["id"], headers).status_code == 403
        for action in ("sent", "cancel"):
            url = f"/api/v1/payment-batches/{batch['id']}/{action}"
            assert service.client.post(url, headers=headers).status_code == 403
    assert service.client.get(f"/api/v1/payment-batches/{batch['id']}").status_code == 401
    assert make_batch(service, UNKNOWN).status_code == 404
    assert service.client.get(f"/api/v1/calls/{UNKNOWN}/payments.xml", headers=FINANCE).status_code == 404
    for path in ("", "/pain.001.xml"):
        assert service.client.get(f"/api/v1/payment-batches/{UNKNOWN}{path}", headers=FINANCE).status_code == 404
    for action in ("sent", "cancel"):
        assert service.client.post(f"/api/v1/payment-batches/{UNKNOWN}/{action}", headers=FINANCE).status_code == 404
    assert service.client.get("/api/v1/payment-batches/not-a-uuid", headers=FINANCE).status_code == 422
