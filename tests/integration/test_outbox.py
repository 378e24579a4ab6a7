"""Outbox relay against a real JetStream server that goes away and comes back."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from shared.auth import Role
from tests.support.apps import bearer, running_app, wait_until
from tests.support.jetstream import stream_messages
from tests.support.natsd import NatsServer
from tests.support.samples import call_body

ADMIN = bearer(Role.admin)


def _outbox(database_url: str) -> list[tuple[str, str, object]]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT event_id, subject, published_at FROM outbox ORDER BY seq")).all()
    engine.dispose()
    return [(r[0], r[1], r[2]) for r in rows]


def test_call_opened_while_nats_is_down_is_published_once_it_is_back(database_url: str, tmp_path: Path) -> None:
    nats = NatsServer(tmp_path / "nats")  # not started: the broker is down
    with running_app("applications", database_url, nats.url) as client:
        call = client.post("/api/v1/calls", json=call_body(), headers=ADMIN).json()
        assert client.post(f"/api/v1/calls/{call['id']}/open", headers=ADMIN).status_code == 200
        [(event_id, subject, published_at)] = _outbox(database_url)
        assert subject == "edf.applications.call.opened.v1" and published_at is None
        assert client.get("/readyz").json()["nats"] == "connecting"  # and 200: the outbox holds it

        nats.start()
        try:
            wait_until(lambda: _outbox(database_url)[0][2] is not None, timeout=30)
            wait_until(lambda: client.get("/readyz").json()["nats"] == "connected", timeout=10)
            messages = stream_messages(nats.url, "EDF_APPLICATIONS")
        finally:
            nats.stop()
    assert [(m.subject, m.msg_id) for m in messages] == [(subject, event_id)]
    assert f'"id":"{event_id}"'.encode() in messages[0].data


def test_a_row_published_again_after_a_lost_ack_is_deduplicated(database_url: str, own_nats: NatsServer) -> None:
    with running_app("applications", database_url, own_nats.url) as client:
        call = client.post("/api/v1/calls", json=call_body(), headers=ADMIN).json()
        client.post(f"/api/v1/calls/{call['id']}/open", headers=ADMIN)
        wait_until(lambda: _outbox(database_url)[0][2] is not None)
        # As if the PubAck had been lost: the row is pending again and the relay resends it.
        engine = create_engine(database_url)
        with engine.begin() as connection:
            connection.execute(text("UPDATE outbox SET published_at = NULL"))
        engine.dispose()
        client.app.state.db.notify_outbox_commit()  # type: ignore[attr-defined]
        wait_until(lambda: _outbox(database_url)[0][2] is not None)
    messages = stream_messages(own_nats.url, "EDF_APPLICATIONS")
    assert len(messages) == 1


def test_after_a_nats_restart_the_relay_reconnects_and_publishes(database_url: str, own_nats: NatsServer) -> None:
    with running_app("applications", database_url, own_nats.url) as client:
        first = client.post("/api/v1/calls", json=call_body(), headers=ADMIN).json()
        client.post(f"/api/v1/calls/{first['id']}/open", headers=ADMIN)
        wait_until(lambda: all(row[2] is not None for row in _outbox(database_url)))
        own_nats.stop()
        second = client.post("/api/v1/calls", json=call_body(), headers=ADMIN).json()
        client.post(f"/api/v1/calls/{second['id']}/open", headers=ADMIN)
        own_nats.start()
        wait_until(
            lambda: len(_outbox(database_url)) == 2 and all(r[2] is not None for r in _outbox(database_url)), timeout=30
        )
    subjects = [m.subject for m in stream_messages(own_nats.url, "EDF_APPLICATIONS")]
    assert subjects == ["edf.applications.call.opened.v1"] * 2
