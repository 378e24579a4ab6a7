"""Inbox consumers of scoring, disbursement and monitoring against a real JetStream server."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from shared.events.calls import CallOpenedV1, CallSpec
from shared.events.envelope import make_event
from tests.support.apps import AppProcess, running_app, wait_until
from tests.support.faulty_service import KilledAfterCommit
from tests.support.jetstream import consumer_settled, create_streams, publish, redelivered_count
from tests.support.natsd import NatsServer, free_port
from tests.support.samples import call_body

CONSUMERS = ("scoring", "disbursement", "monitoring")
OPENED = CallOpenedV1.subject


def call_opened_event() -> tuple[uuid.UUID, bytes]:
    call_id = uuid.uuid4()
    spec = CallSpec.model_validate(call_body())
    data = CallOpenedV1(**spec.model_dump(), call_id=call_id, opened_at=datetime.now(UTC))
    event = make_event(source="/edf/applications", subject=str(call_id), data=data)
    return call_id, event.model_dump_json().encode()


def count(database_url: str, sql: str, **params: object) -> int:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        value = connection.execute(text(sql), params).scalar_one()
    engine.dispose()
    return int(value)


@pytest.fixture
def consumer_dbs(make_database_url: Callable[[], str]) -> dict[str, str]:
    return {name: make_database_url() for name in CONSUMERS}


@pytest.fixture
def consuming_services(consumer_dbs: dict[str, str], own_nats: NatsServer) -> Iterator[dict[str, str]]:
    with ExitStack() as stack:
        for name, url in consumer_dbs.items():
            stack.enter_context(running_app(name, url, own_nats.url))
        yield consumer_dbs


def settled(nats: NatsServer, seq: int) -> bool:
    return all(consumer_settled(nats.url, "EDF_APPLICATIONS", f"{n}--EDF_APPLICATIONS", seq) for n in CONSUMERS)


def test_the_same_event_delivered_three_times_has_one_effect(
    consuming_services: dict[str, str], own_nats: NatsServer
) -> None:
    create_streams(own_nats.url)
    call_id, payload = call_opened_event()
    # Three deliveries of one event id (three message ids, so that JetStream keeps all three).
    last = [publish(own_nats.url, OPENED, payload, msg_id=uuid.uuid4().hex) for _ in range(3)][-1]
    wait_until(lambda: settled(own_nats, last))
    for name, url in consuming_services.items():
        assert count(url, "SELECT count(*) FROM calls") == 1, name
        assert count(url, "SELECT count(*) FROM inbox") == 1, name
        assert count(url, "SELECT count(*) FROM audit_log WHERE entity_id = :id", id=str(call_id)) == 1, name


def test_a_malformed_message_is_dead_lettered_and_later_ones_still_flow(
    consuming_services: dict[str, str], own_nats: NatsServer
) -> None:
    create_streams(own_nats.url)
    publish(own_nats.url, OPENED, b"{not json")
    publish(own_nats.url, OPENED, b'{"specversion":"1.0","id":"x"}')
    call_id, payload = call_opened_event()
    last = publish(own_nats.url, OPENED, payload)
    wait_until(lambda: settled(own_nats, last))
    for name, url in consuming_services.items():
        assert count(url, "SELECT count(*) FROM dead_letters") == 2, name
        assert count(url, "SELECT count(*) FROM audit_log WHERE entity_id = :id", id=str(call_id)) == 1, name


def test_a_consumer_killed_after_commit_before_ack_does_not_apply_twice(
    consumer_dbs: dict[str, str], own_nats: NatsServer, tmp_path: Path
) -> None:
    from shared.migrate import upgrade

    database_url = consumer_dbs["scoring"]
    upgrade("scoring", database_url)
    create_streams(own_nats.url)
    port = free_port()
    env = {
        "SCORING_DATABASE_URL": database_url,
        "EDF_NATS_URL": own_nats.url,
        "SCORING_CONSUMER_ACK_WAIT_SECONDS": "1",
    }
    doomed = KilledAfterCommit("scoring", port, env, tmp_path / "scoring.log", consumer="scoring--EDF_APPLICATIONS")
    doomed.start()
    try:
        doomed.wait_ready()
        call_id, payload = call_opened_event()
        seq = publish(own_nats.url, OPENED, payload)
        assert doomed.wait_exit(timeout=30) == -9  # SIGKILL, after the commit and before the ack
    finally:
        doomed.stop()
    assert count(database_url, "SELECT count(*) FROM inbox") == 1
    assert not consumer_settled(own_nats.url, "EDF_APPLICATIONS", "scoring--EDF_APPLICATIONS", seq)

    revived = AppProcess("scoring", port, env, tmp_path / "scoring.log")
    revived.start()
    try:
        wait_until(
            lambda: consumer_settled(own_nats.url, "EDF_APPLICATIONS", "scoring--EDF_APPLICATIONS", seq), timeout=30
        )
    finally:
        revived.stop()
    assert redelivered_count(own_nats.url, "EDF_APPLICATIONS", "scoring--EDF_APPLICATIONS") >= 2
    assert count(database_url, "SELECT count(*) FROM inbox") == 1
    assert count(database_url, "SELECT count(*) FROM audit_log WHERE entity_id = :id", id=str(call_id)) == 1


def test_operators_see_dead_letters_and_replay_them_once_they_can_apply(
    consumer_dbs: dict[str, str], own_nats: NatsServer
) -> None:
    from shared.auth import Role
    from shared.events.calls import CallClosedV1
    from tests.support.apps import bearer

    admin = bearer(Role.admin)
    create_streams(own_nats.url)
    call_id, opened = call_opened_event()
    closed = make_event(
        source="/edf/applications",
        subject=str(call_id),
        data=CallClosedV1(call_id=call_id, closed_at=datetime.now(UTC)),
    )
    url = consumer_dbs["monitoring"]
    # Two deliveries a second apart, then a dead letter (the default retries for minutes).
    with running_app("monitoring", url, own_nats.url, consumer_max_deliver=2) as client:
        publish(own_nats.url, "edf.applications.call.opened.v1", b"\xff not an event")
        seq = publish(own_nats.url, closed.type, closed.model_dump_json().encode())  # before its call.opened
        wait_until(lambda: consumer_settled(own_nats.url, "EDF_APPLICATIONS", "monitoring--EDF_APPLICATIONS", seq))
        letters = client.get("/api/v1/ops/monitoring/dead-letters", headers=admin).json()
        assert [letter["subject"] for letter in letters] == [OPENED, closed.type]
        assert "payload" not in letters[0]
        assert client.get("/api/v1/ops/monitoring/dead-letters", headers=bearer(Role.officer)).status_code == 403
        assert (
            client.post(f"/api/v1/ops/monitoring/dead-letters/{letters[0]['id']}/replay", headers=admin).status_code
            == 409
        )
        assert (
            client.post(f"/api/v1/ops/monitoring/dead-letters/{letters[1]['id']}/replay", headers=admin).status_code
            == 409
        )  # its call is still unknown here

        seq = publish(own_nats.url, OPENED, opened)
        wait_until(lambda: consumer_settled(own_nats.url, "EDF_APPLICATIONS", "monitoring--EDF_APPLICATIONS", seq))
        replayed = client.post(f"/api/v1/ops/monitoring/dead-letters/{letters[1]['id']}/replay", headers=admin)
        assert replayed.status_code == 200 and replayed.json()["replayed_at"] is not None
        assert (
            client.post(f"/api/v1/ops/monitoring/dead-letters/{letters[1]['id']}/replay", headers=admin).status_code
            == 409
        )
        remaining = client.get("/api/v1/ops/monitoring/dead-letters", headers=admin).json()
        assert [letter["id"] for letter in remaining] == [letters[0]["id"]]
    assert count(url, "SELECT count(*) FROM calls WHERE status = 'closed'") == 1
