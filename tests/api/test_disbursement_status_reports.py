"""`POST /payment-batches/{id}/status-reports`: the bank's pain.002, camt.054 and camt.053 settle
and fail the batch's payments through the same `settle` path as the settlement API, the same
file twice changes nothing, a rejected payment's tranche can be requested again, and a file
that is not a status report is a 422 with a stable code (never a 500).

The payment batch table is not here yet: a tiny lookup stands in for it (a "batch" is every
instruction of a call, its id the call's id), swapped in through the route's dependency."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from services.disbursement.api.deps import get_batch_lookup
from services.disbursement.handlers.status_reports import BatchPayments
from services.disbursement.models import Instruction
from shared.auth import Role
from tests.support.apps import bearer
from tests.support.disbursement import Disbursement, disbursement_service
from tests.support.natsd import NatsServer
from tests.unit.test_bank_reports import BILLION_LAUGHS, XXE, A, B, C, sample

FINANCE = bearer(Role.finance)
PAID = "edf.disbursement.tranche.paid.v1"


def call_as_batch(session: Session, batch_id: uuid.UUID) -> BatchPayments | None:
    ids = session.exec(select(Instruction.id).where(Instruction.call_id == batch_id)).all()
    return BatchPayments(frozenset(ids)) if ids else None


@pytest.fixture
def service(database_url: str, own_nats: NatsServer) -> Iterator[Disbursement]:
    with disbursement_service(database_url, own_nats.url) as running:
        running.app.dependency_overrides[get_batch_lookup] = lambda: call_as_batch
        yield running


def batch_of_three(service: Disbursement) -> tuple[uuid.UUID, list[str], list[dict[str, object]]]:
    """A call with three instructed bank payments of 9000.00: (call id, instruction ids, grants)."""
    call_id = service.open_call()
    grants, ids = [], []
    for _ in range(3):
        grant, instruction_id = service.instructed(call_id=call_id)
        grants.append(grant)
        ids.append(instruction_id)
    return call_id, ids, grants


def file_for(version: str, ids: list[str]) -> bytes:
    """The sample with A, B and C (hex and dashed) replaced by real instruction ids."""
    data = sample(version)
    for fixed, real in zip((A, B, C), map(uuid.UUID, ids), strict=True):
        data = data.replace(fixed.hex.encode(), real.hex.encode()).replace(str(fixed).encode(), str(real).encode())
    return data


def upload(service: Disbursement, batch_id: object, data: bytes, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return service.client.post(
        f"/api/v1/payment-batches/{batch_id}/status-reports",
        files={"file": ("report.xml", data, "application/xml")},
        headers=headers or FINANCE,
    )


def outbox(service: Disbursement, subject: str) -> int:
    return int(service.scalar("SELECT count(*) FROM outbox WHERE subject = :s", s=subject))


@pytest.mark.parametrize("version", ["pain.002.001.03", "pain.002.001.10", "camt.054.001.08", "camt.053.001.02"])
def test_a_status_file_settles_and_fails_through_settle_and_twice_changes_nothing(
    service: Disbursement, version: str
) -> None:
    call_id, (a, b, c), grants = batch_of_three(service)
    answer = upload(service, call_id, file_for(version, [a, b, c]))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["settled"], body["failed"], body["already_known"]) == ([a], [b], [])
    assert body["pending"] == [c] and body["unmatched"] == 1 and body["conflicts"] == []
    assert body["version"] == version and len(body["sha256"]) == 64
    tranches = [service.grant(str(g["id"]))["tranches"][0] for g in grants]
    assert [t["status"] for t in tranches] == ["paid", "failed", "instructed"]
    payment = service.client.get(f"/api/v1/payments/{a}", headers=FINANCE).json()
    assert payment["settlement"]["status"] == "settled" and payment["settlement"]["bank_reference"]
    assert service.scalar("SELECT source FROM settlements WHERE outcome = 'settled'") == "bank_file"
    assert outbox(service, PAID) == 1

    again = upload(service, call_id, file_for(version, [a, b, c])).json()
    assert (again["settled"], again["failed"], again["already_known"]) == ([], [], [a, b])
    assert again["sha256"] == body["sha256"]
    assert service.scalar("SELECT count(*) FROM settlements") == 2 and outbox(service, PAID) == 1
    audit = service.sql("SELECT actor_role, after FROM audit_log WHERE action = 'status_report.uploaded'")
    assert len(audit) == 2 and all(role == "finance" and body["sha256"] in str(after) for role, after in audit)


def test_a_rejected_payment_can_be_requested_again_and_a_late_settlement_is_only_an_alert(
    service: Disbursement,
) -> None:
    call_id, (a, b, c), grants = batch_of_three(service)
    assert upload(service, call_id, file_for("pain.002.001.11", [a, b, c])).json()["failed"] == [b]
    tranche = service.grant(str(grants[1]["id"]))["tranches"][0]
    assert tranche["status"] == "failed"
    assert service.request(tranche["id"], bearer(Role.officer)).status_code == 200
    assert service.approve(tranche["id"], FINANCE).json()["instruction_id"] != b
    statement = file_for("camt.053.001.08", [a, b, c]).replace(
        b"<CdtDbtInd>CRDT</CdtDbtInd><RvslInd>true</RvslInd>", b"<CdtDbtInd>DBIT</CdtDbtInd>"
    )
    late = upload(service, call_id, statement).json()  # the bank now says B was booked after all
    assert late["already_known"] == [a] and late["conflicts"] == [
        {"instruction_id": b, "reason": "settled_after_failed"}
    ]
    alerts = service.client.get("/api/v1/payments/alerts", headers=FINANCE).json()["items"]
    assert [(x["instruction_id"], x["kind"]) for x in alerts] == [(b, "settled_after_failed")]


def test_a_whole_file_rejected_fails_every_payment_of_the_batch(service: Disbursement) -> None:
    call_id, ids, _ = batch_of_three(service)
    rejected = b"""<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>
<GrpHdr><MsgId>R1</MsgId><CreDtTm>2026-11-29T09:30:00Z</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>M1</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>
<GrpSts>RJCT</GrpSts><StsRsnInf><Rsn><Cd>FF01</Cd></Rsn></StsRsnInf></OrgnlGrpInfAndSts>
</CstmrPmtStsRpt></Document>"""
    body = upload(service, call_id, rejected).json()
    assert sorted(body["failed"]) == sorted(ids) and body["settled"] == []
    assert {r[0] for r in service.sql("SELECT reason FROM settlements")} == {"FF01"}


def test_an_amount_that_is_not_the_instructions_settles_nothing(service: Disbursement) -> None:
    call_id, (a, b, c), grants = batch_of_three(service)
    wrong = file_for("camt.054.001.04", [a, b, c]).replace(b">9000.00<", b">9000.01<")
    body = upload(service, call_id, wrong).json()
    assert body["settled"] == [] and body["failed"] == []
    assert body["conflicts"] == [
        {"instruction_id": a, "reason": "amount_mismatch"},
        {"instruction_id": b, "reason": "amount_mismatch"},
    ]
    assert service.grant(str(grants[0]["id"]))["tranches"][0]["status"] == "instructed"


def test_payments_of_another_batch_are_unmatched(service: Disbursement) -> None:
    _, ids, _ = batch_of_three(service)
    other_call, _, _ = batch_of_three(service)
    body = upload(service, other_call, file_for("camt.054.001.02", ids)).json()
    assert body["settled"] == [] and body["unmatched"] == 4
    assert service.scalar("SELECT count(*) FROM settlements") == 0


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (BILLION_LAUGHS, "xml_dtd_forbidden"),
        (XXE, "xml_dtd_forbidden"),
        (b"\x89PNG\r\n\x1a\n garbage", "not_xml"),
        (b"<Document/>", "unknown_message"),
        (sample("pain.002.001.10").replace(b"pain.002.001.10", b"pain.001.001.09"), "unknown_message"),
    ],
)
def test_a_file_that_is_not_a_status_report_is_a_422_with_a_code(service: Disbursement, data: bytes, code: str) -> None:
    call_id, _, _ = batch_of_three(service)
    answer = upload(service, call_id, data)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == code
    assert service.scalar("SELECT count(*) FROM settlements") == 0


def test_size_roles_and_unknown_batches(service: Disbursement) -> None:
    call_id, ids, _ = batch_of_three(service)
    service.app.state.settings.max_status_report_bytes = 1024
    too_large = upload(service, call_id, file_for("camt.053.001.04", ids))
    assert too_large.status_code == 413 and too_large.json()["code"] == "file_too_large"
    service.app.state.settings.max_status_report_bytes = 10 * 1024 * 1024
    for role in (Role.officer, Role.admin, Role.applicant):
        assert upload(service, call_id, sample("camt.053.001.04"), bearer(role)).status_code == 403
    assert upload(service, uuid.uuid4(), sample("camt.053.001.04")).status_code == 404
    missing = service.client.post(f"/api/v1/payment-batches/{call_id}/status-reports", headers=FINANCE)
    assert missing.status_code == 422


def test_a_pain002_about_another_message_than_the_batchs_is_refused(service: Disbursement) -> None:
    call_id, ids, _ = batch_of_three(service)

    def with_message_id(session: Session, batch_id: uuid.UUID) -> BatchPayments | None:
        found = call_as_batch(session, batch_id)
        return BatchPayments(found.instruction_ids, message_id="NIN24-OTHER") if found else None

    service.app.dependency_overrides[get_batch_lookup] = lambda: with_message_id
    answer = upload(service, call_id, file_for("pain.002.001.10", ids))
    assert answer.status_code == 422 and answer.json()["code"] == "other_message"
    assert upload(service, call_id, file_for("camt.054.001.08", ids)).status_code == 200  # camt names no message


def test_a_real_batchs_pain002_settles_its_payments_and_only_its_own(database_url: str, own_nats: NatsServer) -> None:
    """No stand-in: a bank_file call's batch (the table's lookup) answered by the bank's pain.002."""
    with disbursement_service(database_url, own_nats.url) as real:
        call_id = real.open_call(payment_channel="bank_file")
        ids = []
        for _ in range(3):
            _grant, tranche = real.ready_tranche(call_id=call_id)
            assert real.request(tranche["id"], bearer(Role.officer)).status_code == 200
            ids.append(str(real.approve(tranche["id"], FINANCE).json()["instruction_id"]))
        batch = real.client.post(f"/api/v1/calls/{call_id}/payment-batches", headers=FINANCE).json()
        report = file_for("pain.002.001.10", ids).replace(b"NIN24-20261128101500-AB12", batch["message_id"].encode())

        assert upload(real, uuid.uuid4(), report).status_code == 404
        answer = upload(real, batch["id"], report)
        assert answer.status_code == 200, answer.text
        assert answer.json()["settled"] == [ids[0]] and answer.json()["failed"] == [ids[1]]
        assert upload(real, batch["id"], report).json()["already_known"] == ids[:2]
        other = file_for("pain.002.001.10", ids)  # about another pain.001 message
        assert upload(real, batch["id"], other).json()["code"] == "other_message"
