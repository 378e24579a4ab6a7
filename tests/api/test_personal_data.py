"""Canary national ids, phones and names go in; none of them comes out in an event, a log line,
an error body, or anywhere in the database but the owner's own record (phone, name)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from shared.auth import Role
from shared.logs import JsonFormatter
from tests.support.apps import bearer, wait_until
from tests.support.intake import ADMIN, Intake, intake_service
from tests.support.jetstream import stream_messages
from tests.support.natsd import NatsServer

NATIONAL_ID = "CANARY19870042"
PHONE_TYPED, PHONE = "0771 987 6543", "+9647719876543"
NAME = "Canary Zubaida Qasim"
CANARIES = [NATIONAL_ID, NATIONAL_ID.lower(), "19870042", PHONE, PHONE[1:], "7719876543", NAME, "Zubaida"]


@pytest.fixture
def intake(database_url: str, own_nats: NatsServer, tmp_path: Path) -> Iterator[Intake]:
    with intake_service(database_url, own_nats.url, tmp_path) as service:
        yield service


INTAKE = bearer(Role.intake)


def leaks(text_: str) -> list[str]:
    return [canary for canary in CANARIES if canary in text_]


def test_canaries_never_reach_events_logs_or_error_bodies(
    intake: Intake, own_nats: NatsServer, caplog: pytest.LogCaptureFixture, database_url: str
) -> None:
    caplog.set_level(logging.DEBUG)
    owner = {"full_name": NAME, "national_id": NATIONAL_ID, "phone": PHONE_TYPED}
    bodies: list[str] = []
    first = intake.draft(owner=owner)
    intake.submit(first)
    intake.screened(first)
    duplicate = intake.draft(headers=(applicant := intake.new_applicant()), owner=owner)
    intake.submit(duplicate, headers=applicant)
    # A duplicate is held for intake; resolved by four eyes, it is screened (and announced) then.
    resolution = f"/api/v1/applications/{duplicate['id']}/screening/resolution"
    wait_until(
        lambda: (
            intake.client.post(
                resolution, json={"outcome": "ineligible", "reason": "same person"}, headers=INTAKE
            ).status_code
            == 200
        )
    )
    assert intake.client.post(f"{resolution}/approve", headers=ADMIN).status_code == 200
    assert intake.screened(duplicate)["screening"]["reasons"] == ["duplicate_national_id", "duplicate_phone"]
    # Errors that carry the canaries in their input.
    bad_phone = {"call_id": intake.call["id"], "owner": {**owner, "phone": f"{PHONE_TYPED} {NAME}"}}
    bad_id = {"call_id": intake.call["id"], "owner": {**owner, "national_id": NATIONAL_ID + "!" * 40}}
    for body in (bad_phone, bad_id, {**bad_phone, "owner": {**owner, "sex": NAME}}):
        response = intake.client.post("/api/v1/applications", json=body, headers=intake.applicant)
        assert response.status_code == 422
        bodies.append(response.text)
    third = intake.new_applicant()  # one application per account and call
    incomplete = intake.client.post(
        "/api/v1/applications", json={"call_id": intake.call["id"], "owner": owner}, headers=third
    ).json()
    bodies.append(intake.client.post(f"/api/v1/applications/{incomplete['id']}/submit", headers=third).text)
    bodies.append(intake.client.post(f"/api/v1/applications/{first['id']}/submit", headers=intake.applicant).text)

    assert [b for b in bodies if leaks(b)] == []
    events = stream_messages(own_nats.url, "EDF_APPLICATIONS")
    assert len(events) >= 4
    assert [e.subject for e in events if leaks(e.data.decode())] == []
    formatter = JsonFormatter("applications")
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert '"msg": "request"' in logged
    assert leaks(logged) == []

    shown = intake.client.get(f"/api/v1/applications/{first['id']}", headers=ADMIN).json()["owner"]
    assert shown["national_id_last4"] == "0042" and "national_id" not in shown
    assert _database_text_containing(database_url, NATIONAL_ID) == []
    assert _database_text_containing(database_url, "19870042") == []


def _database_text_containing(database_url: str, needle: str) -> list[str]:
    """Every table.column whose text holds the needle."""
    engine = create_engine(database_url)
    found = []
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for column in inspect(connection).get_columns(table):
                name = column["name"]
                hits = connection.execute(
                    text(f'SELECT count(*) FROM "{table}" WHERE CAST("{name}" AS TEXT) LIKE :needle'),
                    {"needle": f"%{needle}%"},
                ).scalar_one()
                if hits:
                    found.append(f"{table}.{name}")
    engine.dispose()
    return found
