"""Screening flags: held for review, hidden from the applicant, resolved by four eyes; owner
names matched across spellings; one application per account and call."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.auth import Role
from tests.support.apps import bearer, wait_until
from tests.support.intake import ADMIN, Intake, intake_service
from tests.support.jetstream import stream_messages
from tests.support.natsd import NatsServer

INTAKE_B_ID = str(uuid.uuid4())
INTAKE_A = bearer(Role.intake, uuid.uuid4())
INTAKE_B = bearer(Role.intake, uuid.UUID(INTAKE_B_ID))


@pytest.fixture
def intake(database_url: str, own_nats: NatsServer, tmp_path: Path) -> Iterator[Intake]:
    with intake_service(database_url, own_nats.url, tmp_path) as service:
        yield service


def _filed(intake: Intake, **sections: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    applicant = intake.new_applicant()
    draft = intake.draft(headers=applicant, **sections)
    intake.submit(draft, headers=applicant)
    return draft, applicant


def _staff_view(intake: Intake, draft: dict[str, Any]) -> dict[str, Any]:
    def screened() -> dict[str, Any] | None:
        found = intake.client.get(f"/api/v1/applications/{draft['id']}", headers=ADMIN).json()
        return found if found.get("screening") else None

    return dict(wait_until(screened))


def _victim_and_impostor(intake: Intake) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    impostor, _ = _filed(intake, owner={"phone": "+9647701112233", "national_id": "19900011122"})
    assert _staff_view(intake, impostor)["status"] == "eligible"
    victim, owner = _filed(intake, owner={"phone": "0770 111 2233", "national_id": "1990 0011 122"})
    return impostor, victim, owner


def test_a_duplicate_holds_the_application_and_the_owner_never_learns_why(intake: Intake, own_nats: NatsServer) -> None:
    _, victim, owner = _victim_and_impostor(intake)
    staff = _staff_view(intake, victim)
    assert staff["status"] == "submitted" and staff["screening"]["state"] == "flagged"
    assert {"duplicate_phone", "duplicate_national_id"} <= set(staff["screening"]["flags"])
    own = intake.client.get(f"/api/v1/applications/{victim['id']}", headers=owner).json()
    assert own["screening"]["state"] == "being_verified" and own["screening"]["eligible"] is None
    assert own["screening"]["reasons"] == [] and own["screening"]["flags"] == []
    assert "duplicate" not in str(own["screening"]).replace("possible_duplicates", "")
    listed = intake.client.get("/api/v1/applications", headers=owner).json()["items"][0]
    assert listed["screening"]["flags"] == [] and listed["screening"]["state"] == "being_verified"
    screened = [
        m for m in stream_messages(own_nats.url, "EDF_APPLICATIONS") if m.subject.endswith("application.screened.v1")
    ]
    assert all(victim["id"] not in m.data.decode() for m in screened)  # no reviewer is assigned meanwhile


def test_intake_resolves_and_a_second_person_approves(intake: Intake, own_nats: NatsServer) -> None:
    _, victim, owner = _victim_and_impostor(intake)
    _staff_view(intake, victim)
    flags = intake.client.get(f"/api/v1/calls/{intake.call['id']}/screening-flags", headers=INTAKE_A)
    assert flags.status_code == 200 and [
        f["application_id"] for f in flags.json() if f["screening"]["state"] == "flagged"
    ] == [victim["id"]]
    assert intake.client.get(f"/api/v1/calls/{intake.call['id']}/screening-flags", headers=owner).status_code == 403
    officer = bearer(Role.officer, uuid.uuid4())
    path = f"/api/v1/applications/{victim['id']}/screening/resolution"
    assert (
        intake.client.post(path, json={"outcome": "clear", "reason": "family phone"}, headers=officer).status_code
        == 403
    )
    proposed = intake.client.post(
        path, json={"outcome": "clear", "reason": "ID card seen at the office"}, headers=INTAKE_A
    )
    assert proposed.status_code == 200, proposed.text
    assert proposed.json()["status"] == "submitted"  # nothing takes effect before the approval
    same = intake.client.post(f"{path}/approve", headers=INTAKE_A)
    assert same.status_code == 403 and same.json()["code"] == "same_person"
    approved = intake.client.post(f"{path}/approve", headers=INTAKE_B)
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["status"] == "eligible" and body["screening"]["resolution"]["approved_by"] == INTAKE_B_ID
    assert intake.client.post(f"{path}/approve", headers=ADMIN).json()["code"] == "not_flagged"
    own = intake.client.get(f"/api/v1/applications/{victim['id']}", headers=owner).json()
    assert own["status"] == "eligible" and own["screening"]["flags"] == []
    events = [m.data.decode() for m in stream_messages(own_nats.url, "EDF_APPLICATIONS")]
    assert any(victim["id"] in e and "application.screened" in e for e in events)
    audit = intake.client.get(f"/internal/timeline/applications/{victim['id']}", headers=ADMIN).json()
    kinds = [entry["type"] for entry in audit]
    assert "application.screening_flagged" in kinds
    assert "application.screening_resolution_proposed" in kinds
    assert "application.screening_resolution_approved" in kinds


def test_a_confirmed_ineligibility_tells_the_owner_not_verified_only(intake: Intake) -> None:
    _, victim, owner = _victim_and_impostor(intake)
    _staff_view(intake, victim)
    path = f"/api/v1/applications/{victim['id']}/screening/resolution"
    intake.client.post(
        path, json={"outcome": "ineligible", "reason": "the ID belongs to another person"}, headers=INTAKE_B
    )
    assert intake.client.post(f"{path}/approve", headers=ADMIN).status_code == 200
    own = intake.client.get(f"/api/v1/applications/{victim['id']}", headers=owner).json()
    assert own["status"] == "ineligible" and own["screening"]["reasons"] == ["not_verified"]
    staff = intake.client.get(f"/api/v1/applications/{victim['id']}", headers=ADMIN).json()
    assert "duplicate_phone" in staff["screening"]["reasons"]


def test_similar_owner_names_are_a_note_for_staff_never_a_rejection(intake: Intake) -> None:
    first, _ = _filed(intake, owner={"full_name": "Mohammed Ali Hussein al-Jubouri"})
    _staff_view(intake, first)
    second, owner = _filed(intake, owner={"full_name": "مُحَمَّد علي حسين"})
    staff = _staff_view(intake, second)
    assert staff["status"] == "eligible"
    [match] = [m for m in staff["screening"]["possible_duplicates"] if m["application_id"] == first["id"]]
    assert match["score"] >= 0.9
    own = intake.client.get(f"/api/v1/applications/{second['id']}", headers=owner).json()
    assert own["screening"]["possible_duplicates"] == []


def test_one_application_per_account_and_call(intake: Intake) -> None:
    applicant = intake.new_applicant()
    intake.draft(headers=applicant)
    again = intake.client.post("/api/v1/applications", json={"call_id": intake.call["id"]}, headers=applicant)
    assert again.status_code == 409 and again.json()["code"] == "application_exists"
    other_call = intake.open_call()
    assert intake.draft(headers=applicant, call=other_call)["status"] == "draft"
