"""Prometheus metrics of the services and the gateway, on real databases and a real JetStream:
requests counted by route template (never a path, an id or an address), the outbox and dead
letters read when scraped, the consumers' lag from JetStream, and the gateway's metrics only
on their own port."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from nats.js.api import AckPolicy, ConsumerConfig
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert

from gateway.main import create_app as create_gateway
from shared.auth import Role
from shared.bus import Bus
from shared.db import Database
from shared.events.scoring import ApplicationAssignedV1
from shared.metrics import ConsumerLag, ConsumerRef
from shared.migrate import upgrade
from shared.uow import UnitOfWork
from tests.support.apps import bearer, running_app
from tests.support.gateway import gateway_settings
from tests.support.jetstream import create_streams, publish
from tests.support.natsd import NatsServer, free_port
from tests.support.servers import ServerThread

pytestmark = pytest.mark.integration
ASSIGNED = "edf.scoring.application.assigned.v1"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


def nowhere() -> str:
    return f"nats://127.0.0.1:{free_port()}"


def test_requests_are_counted_by_route_template_with_no_path_id_or_address(database_url: str) -> None:
    with running_app("scoring", database_url, nowhere()) as client:
        review_id, email = str(uuid.uuid4()), "layla.hassan@example.org"
        before = scrape(client)
        statuses = {
            client.get(
                f"/api/v1/reviews/{review_id}", params={"email": email}, headers=bearer(Role.officer)
            ).status_code
            for _ in range(2)
        }
        client.get(f"/nothing/here/{email}")
        response = client.get("/metrics")
        after = samples(response.text)

    (status,) = statuses
    template = {"route": "/api/v1/reviews/{review_id}", "method": "GET", "status": str(status)}
    count = "edf_http_request_duration_seconds_count"
    assert value(after, count, **template) - value(before, count, **template) == 2
    assert value(after, count, route="unmatched", method="GET", status="404") == 1
    assert review_id not in response.text and "example.org" not in response.text
    assert {dict(labels)["route"] for name, labels in after if name == count} == {
        "/api/v1/reviews/{review_id}",
        "unmatched",
        "/metrics",
    }


def test_metrics_stay_out_of_the_openapi_document(database_url: str) -> None:
    with running_app("applications", database_url, nowhere()) as client:
        assert "/metrics" not in client.get("/openapi.json").json()["paths"]
        assert client.get("/metrics").status_code == 200


def test_the_outbox_and_the_dead_letters_are_read_when_scraped(database_url: str) -> None:
    with running_app("applications", database_url, nowhere()) as client:
        empty = scrape(client)
        db: Database = client.app.state.db  # type: ignore[attr-defined]
        with UnitOfWork(db) as uow:
            data = ApplicationAssignedV1(
                application_id=uuid.uuid4(),
                call_id=uuid.uuid4(),
                reviewers=1,
                required=1,
                assigned_at=datetime.now(UTC),
            )
            uow.emit(data, uuid.uuid4())
            uow.commit()
        letter = {
            "consumer": "applications--EDF_SCORING",
            "subject": ASSIGNED,
            "event_id": str(uuid.uuid4()),
            "stream_seq": 7,
            "payload": "{}",
            "error": "unprocessable: test",
            "deliveries": 1,
            "created_at": datetime.now(UTC),
        }
        with db.engine.begin() as connection:
            connection.execute(insert(db.infra.dead_letters).values(**letter))
        found = scrape(client)

    assert value(empty, "edf_outbox_pending") == 0 and value(found, "edf_outbox_pending") == 1
    assert value(found, "edf_outbox_oldest_pending_age_seconds") >= 0
    assert ("edf_outbox_oldest_pending_age_seconds", frozenset()) in found
    assert value(empty, "edf_inbox_dead_letters", consumer="applications--EDF_SCORING") == 0
    assert value(found, "edf_inbox_dead_letters", consumer="applications--EDF_SCORING") == 1
    assert value(found, "edf_inbox_dead_letters", consumer="applications--EDF_APPLICATIONS") == 0
    assert value(found, "edf_nats_connected") == 0  # no NATS there: the relay keeps the event
    assert value(found, "edf_database_up") == 1
    assert ("edf_db_pool_connections_in_use", frozenset()) in found and value(found, "edf_db_pool_size") >= 1


def test_the_consumer_lag_is_what_jetstream_reports(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats")
    server.start()
    try:
        create_streams(server.url)
        for _ in range(3):
            publish(server.url, ASSIGNED, b"{}", msg_id=str(uuid.uuid4()))
        lag = asyncio.run(lag_of(server.url, ConsumerRef("EDF_SCORING", "tests--EDF_SCORING")))
    finally:
        server.stop()
    assert lag.pending == {"tests--EDF_SCORING": 3}
    assert lag.unacked == {"tests--EDF_SCORING": 0}
    assert lag.ack_floor == {"tests--EDF_SCORING": 0}


async def lag_of(url: str, consumer: ConsumerRef) -> ConsumerLag:
    bus = Bus(url, "tests")
    bus.start()
    try:
        await bus.wait_ready(10)
        config = ConsumerConfig(durable_name=consumer.durable, ack_policy=AckPolicy.EXPLICIT)
        await bus.js.add_consumer(consumer.stream, config)
        lag = ConsumerLag([consumer, ConsumerRef("EDF_SCORING", "never-made")])
        await lag.refresh(bus)
        return lag
    finally:
        await bus.close()


def test_the_gateway_serves_its_metrics_on_their_own_port_only(database_url: str) -> None:
    upgrade("gateway", database_url)
    metrics_port = free_port()
    settings = gateway_settings(database_url, metrics_port=metrics_port)
    with ServerThread(create_gateway(settings)) as gateway:
        public = [httpx.get(f"{gateway.url}{path}") for path in ("/metrics", "/api/v1/metrics", "/metrics/")]
        httpx.post(f"{gateway.url}/api/v1/auth/token", data={"username": "nobody@example.org", "password": "x"})
        internal = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics")

    assert [r.status_code for r in public] == [404, 404, 404]
    assert all("edf_http_request_duration_seconds" not in r.text for r in public)
    assert internal.status_code == 200
    found = samples(internal.text)
    token = {"route": "/api/v1/auth/token", "method": "POST", "status": "401"}
    assert value(found, "edf_http_request_duration_seconds_count", **token) == 1
    assert "nobody@example.org" not in internal.text
