"""Finance reports as real finance systems send them: structured CloudEvents 1.0 made by the
official `cloudevents` SDK with only the attributes the standard requires, published to a real
JetStream and applied by disbursement's real consumer; a report that cannot be applied is kept
as a dead letter (or an alert) and answered once on `edf.disbursement.finance_report.rejected.v1`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from tests.support.apps import wait_until
from tests.support.disbursement import Disbursement, disbursement_service
from tests.support.jetstream import create_streams, publish, stream_messages
from tests.support.natsd import NatsServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
SETTLED = "edf.finance.payment.settled.v1"
FAILED = "edf.finance.payment.failed.v1"
REJECTED = "edf.disbursement.finance_report.rejected.v1"
ERP = "urn:example:erp"  # a finance system's CloudEvents `source`


@pytest.fixture
def service(database_url: str, own_nats: NatsServer) -> Iterator[Disbursement]:
    with disbursement_service(database_url, own_nats.url) as running:
        create_streams(own_nats.url)  # the service makes them too, in the background
        yield running


def sdk_report(kind: str, data: dict[str, Any], source: str = ERP, **attributes: Any) -> bytes:
    """A structured-mode JSON CloudEvent written by the SDK. The SDK stamps `time` on every event
    it makes; without `time` among `attributes` it is taken out, leaving the required four."""
    event = CloudEvent({"type": kind, "source": source, **attributes}, data)
    written = json.loads(JSONFormat().write(event))
    if "time" not in attributes:
        del written["time"]
    return json.dumps(written).encode()


def settled(instruction_id: str, bank_reference: str = "NBI-77") -> dict[str, Any]:
    at = datetime.now(UTC).isoformat()
    return {"instruction_id": instruction_id, "settled_at": at, "bank_reference": bank_reference}


def rejections(url: str) -> list[dict[str, Any]]:
    return [json.loads(m.data)["data"] for m in stream_messages(url, "EDF_DISBURSEMENT") if m.subject == REJECTED]


def paid(service: Disbursement, grant: dict[str, Any]) -> bool:
    return bool(service.grant(grant["id"])["tranches"][0]["status"] == "paid")


def test_a_settlement_with_only_the_required_attributes_settles_the_tranche(
    service: Disbursement, own_nats: NatsServer
) -> None:
    grant, instruction_id = service.instructed()
    report = sdk_report(SETTLED, settled(instruction_id))
    assert set(json.loads(report)) == {"specversion", "id", "source", "type", "data"}
    publish(own_nats.url, SETTLED, report)
    wait_until(lambda: paid(service, grant), timeout=30)
    assert service.scalar("SELECT count(*) FROM dead_letters") == 0


def test_a_non_uuid_id_and_a_charset_parameter_are_accepted(service: Disbursement, own_nats: NatsServer) -> None:
    grant, instruction_id = service.instructed()
    report = sdk_report(
        SETTLED, settled(instruction_id), id="ERP-2026/000042", datacontenttype="application/json; charset=utf-8"
    )
    publish(own_nats.url, SETTLED, report)
    wait_until(lambda: paid(service, grant), timeout=30)
    [key] = [row[0] for row in service.sql("SELECT event_id FROM inbox WHERE subject = :s", s=SETTLED)]
    assert len(key) == 36  # derived from source + id (fits the inbox and audit columns)
    assert service.scalar("SELECT count(*) FROM audit_log WHERE causation_id = :k", k=key) >= 1


def test_two_finance_systems_ids_do_not_collide(service: Disbursement, own_nats: NatsServer) -> None:
    first, first_instruction = service.instructed()
    second, second_instruction = service.instructed()
    publish(own_nats.url, SETTLED, sdk_report(SETTLED, settled(first_instruction), source="urn:erp:a", id="1"))
    publish(own_nats.url, SETTLED, sdk_report(SETTLED, settled(second_instruction), source="urn:erp:b", id="1"))
    wait_until(lambda: paid(service, first) and paid(service, second), timeout=30)


def test_an_unknown_instruction_is_dead_lettered_and_rejected_once(service: Disbursement, own_nats: NatsServer) -> None:
    unknown = str(uuid.uuid4())
    report = sdk_report(SETTLED, settled(unknown), id="ERP-unknown-1")
    for _ in range(2):  # the same report twice, under two message ids: the stream keeps both
        publish(own_nats.url, SETTLED, report, msg_id=uuid.uuid4().hex)
    wait_until(lambda: service.scalar("SELECT count(*) FROM dead_letters") == 2, timeout=30)
    wait_until(lambda: rejections(own_nats.url), timeout=30)
    assert rejections(own_nats.url) == [
        {"report_id": "ERP-unknown-1", "report_source": ERP, "instruction_id": unknown, "reason": "unknown_instruction"}
    ]
    assert service.scalar("SELECT count(*) FROM outbox WHERE subject = :s", s=REJECTED) == 1


def test_the_same_settlement_twice_is_applied_once_and_not_rejected(
    service: Disbursement, own_nats: NatsServer
) -> None:
    grant, instruction_id = service.instructed()
    report = sdk_report(SETTLED, settled(instruction_id), id="ERP-twice")
    for _ in range(2):
        publish(own_nats.url, SETTLED, report, msg_id=uuid.uuid4().hex)
    wait_until(lambda: paid(service, grant), timeout=30)
    wait_until(lambda: service.scalar("SELECT count(*) FROM inbox WHERE subject = :s", s=SETTLED) == 1)
    late = sdk_report(SETTLED, settled(instruction_id), id="ERP-marker")  # applied after both copies
    publish(own_nats.url, SETTLED, late)
    wait_until(lambda: service.scalar("SELECT count(*) FROM inbox WHERE subject = :s", s=SETTLED) == 2)
    assert service.scalar("SELECT count(*) FROM settlements") == 1
    assert service.scalar("SELECT count(*) FROM outbox WHERE subject = 'edf.disbursement.tranche.paid.v1'") == 1
    assert service.scalar("SELECT count(*) FROM outbox WHERE subject = :s", s=REJECTED) == 0


def test_a_contradiction_is_kept_as_an_alert_and_rejected_once(service: Disbursement, own_nats: NatsServer) -> None:
    grant, instruction_id = service.instructed()
    publish(own_nats.url, SETTLED, sdk_report(SETTLED, settled(instruction_id)))
    wait_until(lambda: paid(service, grant), timeout=30)
    failed = {"instruction_id": instruction_id, "failed_at": datetime.now(UTC).isoformat(), "reason": "AC04"}
    report = sdk_report(FAILED, failed, id="ERP-late-failure", datacontenttype="application/cloudevents+json")
    for _ in range(2):
        publish(own_nats.url, FAILED, report, msg_id=uuid.uuid4().hex)
    wait_until(lambda: rejections(own_nats.url), timeout=30)
    wait_until(lambda: service.scalar("SELECT count(*) FROM inbox WHERE subject = :s", s=FAILED) == 1)
    assert service.scalar("SELECT count(*) FROM payment_alerts") == 1
    assert paid(service, grant)
    [rejection] = rejections(own_nats.url)
    assert rejection == {
        "report_id": "ERP-late-failure",
        "report_source": ERP,
        "instruction_id": instruction_id,
        "reason": "contradiction",
    }


def test_invalid_data_and_an_unparseable_envelope_are_rejected_with_their_reason(
    service: Disbursement, own_nats: NatsServer
) -> None:
    _, instruction_id = service.instructed()
    incomplete = {"instruction_id": instruction_id, "settled_at": datetime.now(UTC).isoformat()}  # no bank_reference
    publish(own_nats.url, SETTLED, sdk_report(SETTLED, incomplete, id="ERP-incomplete"))
    not_json = sdk_report(SETTLED, settled(instruction_id), id="ERP-xml", datacontenttype="application/xml")
    publish(own_nats.url, SETTLED, not_json)
    publish(own_nats.url, SETTLED, b'{"specversion": "1.0", "source": "urn:example:erp"}')  # no id: unanswerable
    wait_until(lambda: service.scalar("SELECT count(*) FROM dead_letters") == 3, timeout=30)
    wait_until(lambda: len(rejections(own_nats.url)) == 2, timeout=30)
    by_report = {r["report_id"]: r for r in rejections(own_nats.url)}
    assert by_report["ERP-incomplete"]["reason"] == "invalid_data"
    assert by_report["ERP-incomplete"]["instruction_id"] == instruction_id
    assert by_report["ERP-xml"]["reason"] == "unparseable"
    assert service.scalar("SELECT count(*) FROM settlements") == 0
