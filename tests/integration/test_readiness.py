"""Readiness while NATS alone is away: `/readyz` stays 200 and says `nats: reconnecting`, the
API serves and its events wait in the outbox; `/healthz` stays green. A real nats-server,
killed by its PID (SIGKILL or SIGTERM) and started again on the same port and store."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from gateway.main import create_app
from shared.auth import Role
from shared.migrate import upgrade
from tests.support.apps import bearer, running_app, wait_until
from tests.support.gateway import gateway_settings, unique_email
from tests.support.jetstream import stream_messages
from tests.support.natsd import NatsServer
from tests.support.samples import call_body

pytestmark = [pytest.mark.integration]
ADMIN = bearer(Role.admin)


def readiness(client: TestClient) -> tuple[int, dict[str, Any]]:
    response = client.get("/readyz")
    body: dict[str, Any] = response.json()
    return response.status_code, body


def nats_state(client: TestClient, state: str) -> dict[str, Any]:
    """Waits until `/readyz` reports NATS as `state`; its body then."""
    return wait_until(
        lambda: (body := readiness(client)[1]).get("nats") == state and body,
        timeout=20,
        what=lambda: f"/readyz says {readiness(client)[1]}, not nats {state}",
    )


def stop_by_pid(nats: NatsServer, signum: signal.Signals) -> None:
    assert nats.process is not None
    os.kill(nats.process.pid, signum)
    nats.process.wait(10)
    nats.process = None


def pending_outbox(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text("SELECT subject FROM outbox WHERE published_at IS NULL")).scalars())
    finally:
        engine.dispose()


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["sigkill", "sigterm"])
def test_a_service_stays_ready_while_nats_is_away_and_says_so(
    database_url: str, tmp_path: Path, signum: signal.Signals
) -> None:
    nats = NatsServer(tmp_path / "nats")
    nats.start()
    try:
        with running_app("applications", database_url, nats.url) as client:
            assert nats_state(client, "connected") == {"status": "ready", "database": "ok", "nats": "connected"}

            stop_by_pid(nats, signum)
            away = nats_state(client, "reconnecting")
            assert away == {"status": "ready", "database": "ok", "nats": "reconnecting"}
            call = client.post("/api/v1/calls", json=call_body(), headers=ADMIN).json()
            assert client.post(f"/api/v1/calls/{call['id']}/open", headers=ADMIN).status_code == 200
            assert pending_outbox(database_url) == ["edf.applications.call.opened.v1"]
            assert readiness(client)[0] == 200 and client.get("/healthz").json() == {"status": "ok"}

            nats.start()
            assert nats_state(client, "connected")["status"] == "ready"
            wait_until(lambda: not pending_outbox(database_url), timeout=30, what="the outbox still holds the event")
        opened = [m for m in stream_messages(nats.url, "EDF_APPLICATIONS") if m.subject.endswith("call.opened.v1")]
        assert len(opened) == 1
    finally:
        nats.stop()


def test_a_service_that_never_reached_nats_is_ready_and_says_connecting(database_url: str, tmp_path: Path) -> None:
    nats = NatsServer(tmp_path / "nats")  # not started
    with running_app("scoring", database_url, nats.url) as client:
        assert readiness(client) == (200, {"status": "ready", "database": "ok", "nats": "connecting"})
        assert client.get("/healthz").status_code == 200


def test_the_gateway_reports_nats_without_failing_readiness(database_url: str, tmp_path: Path) -> None:
    nats = NatsServer(tmp_path / "nats")
    nats.start()
    upgrade("gateway", database_url)
    try:
        with TestClient(create_app(gateway_settings(database_url, nats_url=nats.url))) as client:
            nats_state(client, "connected")
            stop_by_pid(nats, signal.SIGKILL)
            assert nats_state(client, "reconnecting") == {"status": "ready", "database": "ok", "nats": "reconnecting"}
            body = {"email": unique_email(), "password": "correct horse battery", "full_name": "Test Person"}
            assert client.post("/api/v1/auth/register", json=body).status_code == 201  # its event waits
            assert pending_outbox(database_url) == ["edf.gateway.user.created.v1"]
            nats.start()
            nats_state(client, "connected")
            wait_until(lambda: not pending_outbox(database_url), timeout=30, what="the outbox still holds the event")
    finally:
        nats.stop()
