"""The reference finance consumer (`edf finance-sim`) as a separate process on real JetStream:
duplicate instructions are paid once, and its settlement closes the loop in disbursement
however many times it is delivered."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from shared.auth import Role
from shared.events.disbursement import PayeeFacts, PaymentInstructedV1
from shared.events.envelope import make_event
from tests.support.apps import bearer, wait_until
from tests.support.disbursement import (
    Disbursement,
    disbursement_service,
    finance_sim_process,
    sim_payments,
)
from tests.support.jetstream import consumer_settled, create_streams, publish, stream_messages
from tests.support.natsd import NatsServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
INSTRUCTED = "edf.disbursement.payment.instructed.v1"
SETTLED = "edf.finance.payment.settled.v1"


def instructed_payload(instruction_id: uuid.UUID) -> bytes:
    data = PaymentInstructedV1(
        instruction_id=instruction_id,
        tranche_id=uuid.uuid4(),
        grant_id=uuid.uuid4(),
        reference="EDF-T-000001",
        amount=Decimal("9000.00"),
        currency="USD",
        remittance_info="EDF grant EDF-T-000001, tranche 1 of 3",
        payee=PayeeFacts(method="bank", account_holder="Layla Hassan", iban="IQ98NBIQ850123456789012"),
        instructed_at=datetime.now(UTC),
    )
    event = make_event(source="/edf/disbursement", subject=str(instruction_id), data=data)
    return event.model_dump_json().encode()


def test_the_same_instruction_delivered_three_times_is_paid_once(own_nats: NatsServer, tmp_path: Path) -> None:
    create_streams(own_nats.url)
    instruction_id = uuid.uuid4()
    payload = instructed_payload(instruction_id)
    # Three deliveries of one instruction (three message ids, so that JetStream keeps all three).
    last = [publish(own_nats.url, INSTRUCTED, payload, msg_id=uuid.uuid4().hex) for _ in range(3)][-1]
    record = tmp_path / "finance-sim.db"
    with finance_sim_process(own_nats.url, record):
        wait_until(lambda: consumer_settled(own_nats.url, "EDF_DISBURSEMENT", "finance-sim", last), timeout=30)
    assert sim_payments(record) == [(str(instruction_id), "settled")]
    reports = stream_messages(own_nats.url, "EDF_FINANCE")
    assert len(reports) == 1 and reports[0].subject == SETTLED
    report = json.loads(reports[0].data)
    assert reports[0].msg_id == report["id"]
    assert report["data"]["instruction_id"] == str(instruction_id) and report["data"]["bank_reference"]

    # Once more after a restart: its record answers, and the re-published report is deduplicated.
    again = publish(own_nats.url, INSTRUCTED, payload, msg_id=uuid.uuid4().hex)
    with finance_sim_process(own_nats.url, record):
        wait_until(lambda: consumer_settled(own_nats.url, "EDF_DISBURSEMENT", "finance-sim", again), timeout=30)
    assert len(sim_payments(record)) == 1
    assert len(stream_messages(own_nats.url, "EDF_FINANCE")) == 1


@pytest.fixture
def service(database_url: str, own_nats: NatsServer) -> Iterator[Disbursement]:
    with disbursement_service(database_url, own_nats.url) as running:
        yield running


def test_the_sims_settlement_pays_the_tranche_once_however_often_it_arrives(
    service: Disbursement, own_nats: NatsServer, tmp_path: Path
) -> None:
    record = tmp_path / "finance-sim.db"
    with finance_sim_process(own_nats.url, record):
        grant, instruction_id = service.instructed()
        wait_until(lambda: service.grant(grant["id"])["tranches"][0]["status"] == "paid", timeout=30)
    assert sim_payments(record) == [(instruction_id, "settled")]
    [report] = stream_messages(own_nats.url, "EDF_FINANCE")
    # The same settlement delivered three more times (new message ids, so the stream keeps them).
    last = [publish(own_nats.url, SETTLED, report.data, msg_id=uuid.uuid4().hex) for _ in range(3)][-1]
    wait_until(lambda: consumer_settled(own_nats.url, "EDF_FINANCE", "disbursement--EDF_FINANCE", last))
    assert service.scalar("SELECT count(*) FROM settlements") == 1
    assert service.scalar("SELECT count(*) FROM outbox WHERE subject = 'edf.disbursement.tranche.paid.v1'") == 1
    assert Decimal(str(service.scalar("SELECT paid_total FROM grants"))) == Decimal("9000")
    ledger = service.client.get(f"/api/v1/calls/{grant['call_id']}/ledger", headers=bearer(Role.finance)).json()
    assert (ledger["instructed"], ledger["disbursed"]) == ("0.00", "9000.00")


def test_a_failure_reported_by_the_sim_lets_the_tranche_be_paid_under_a_new_instruction(
    service: Disbursement, own_nats: NatsServer, tmp_path: Path
) -> None:
    record = tmp_path / "finance-sim.db"
    with finance_sim_process(own_nats.url, record, "--fail-every", "2"):
        grant, first = service.instructed()  # the sim's 1st payment: settled
        wait_until(lambda: service.grant(grant["id"])["tranches"][0]["status"] == "paid", timeout=30)
        other, second = service.instructed()  # its 2nd: failed
        wait_until(lambda: service.grant(other["id"])["tranches"][0]["status"] == "failed", timeout=30)
        tranche = other["tranches"][0]["id"]
        assert service.request(tranche, bearer(Role.officer)).status_code == 200
        third = service.approve(tranche, bearer(Role.finance)).json()["instruction_id"]
        wait_until(lambda: service.grant(other["id"])["tranches"][0]["status"] == "paid", timeout=30)
    assert sim_payments(record) == [(first, "settled"), (second, "failed"), (third, "settled")]


def test_the_sim_prints_the_rejection_of_a_report_disbursement_cannot_apply(
    service: Disbursement, own_nats: NatsServer, tmp_path: Path
) -> None:
    service.instructed()  # the streams are there
    unknown = uuid.uuid4()  # an instruction disbursement never made: its settlement is rejected
    publish(own_nats.url, INSTRUCTED, instructed_payload(unknown), msg_id=uuid.uuid4().hex)
    record = tmp_path / "finance-sim.db"
    log = record.with_suffix(".log")
    with finance_sim_process(own_nats.url, record):
        wait_until(lambda: "rejected: unknown_instruction" in _text(log), timeout=30)
    [line] = [line for line in _text(log).splitlines() if "rejected:" in line]
    assert f"(instruction {unknown})" in line
    assert service.scalar("SELECT count(*) FROM dead_letters") == 1


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""
