"""A call's `payment_channel` (`events` by default, or `bank_file`): given when the call is made,
read back, carried by `call.opened` to the services that keep a copy of the call."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from shared.auth import Role
from tests.support.apps import bearer, running_app
from tests.support.samples import call_body

ADMIN = bearer(Role.admin)
NOBODY_LISTENS = "nats://127.0.0.1:9"


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with running_app("applications", database_url, NOBODY_LISTENS) as client:
        yield client


def opened_payloads(database_url: str) -> list[dict[str, object]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            query = text("SELECT payload FROM outbox WHERE subject = 'edf.applications.call.opened.v1'")
            return [json.loads(row[0])["data"] for row in connection.execute(query)]
    finally:
        engine.dispose()


def test_the_channel_is_events_unless_the_call_says_bank_file(client: TestClient, database_url: str) -> None:
    plain = client.post("/api/v1/calls", json=call_body(), headers=ADMIN).json()
    bank = client.post("/api/v1/calls", json=call_body(payment_channel="bank_file"), headers=ADMIN).json()
    assert (plain["payment_channel"], bank["payment_channel"]) == ("events", "bank_file")
    read = client.get(f"/api/v1/calls/{bank['id']}", headers=bearer(Role.officer)).json()
    assert read["payment_channel"] == "bank_file"
    for call in (plain, bank):
        assert client.post(f"/api/v1/calls/{call['id']}/open", headers=ADMIN).status_code == 200
    channels = {p["call_id"]: p["payment_channel"] for p in opened_payloads(database_url)}
    assert channels == {plain["id"]: "events", bank["id"]: "bank_file"}


@pytest.mark.parametrize("value", ["bank", "BANK_FILE", "", None, 1])
def test_an_unknown_channel_is_a_422_naming_the_field(client: TestClient, value: object) -> None:
    response = client.post("/api/v1/calls", json=call_body(payment_channel=value), headers=ADMIN)
    assert response.status_code == 422
    assert ["body", "payment_channel"] in [e["loc"][:2] for e in response.json()["errors"]]
