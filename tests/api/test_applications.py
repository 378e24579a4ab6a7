"""Applications: drafts, PATCH, submission rules, ownership, withdrawal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.auth import Role
from tests.support.apps import bearer
from tests.support.intake import ADMIN, Intake, intake_service
from tests.support.natsd import NatsServer


@pytest.fixture
def intake(database_url: str, own_nats: NatsServer, tmp_path: Path) -> Iterator[Intake]:
    with intake_service(database_url, own_nats.url, tmp_path) as service:
        yield service


def locs(response: Any) -> list[list[Any]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [error["loc"] for error in response.json()["errors"]]


def test_a_partial_draft_is_kept_and_patch_merges_it(intake: Intake) -> None:
    response = intake.client.post(
        "/api/v1/applications",
        json={"call_id": intake.call["id"], "business": {"name": "Mosul Bakery"}},
        headers=intake.applicant,
    )
    assert response.status_code == 201
    draft = response.json()
    assert draft["status"] == "draft"
    assert draft["reference"].startswith(f"EDF-{intake.call['code']}-")
    url = f"/api/v1/applications/{draft['id']}"
    intake.client.patch(url, json={"business": {"sector": "manufacturing"}}, headers=intake.applicant)
    bad = intake.client.patch(
        url, json={"business": {"district": "Tel Kaif", "founded_year": "long ago"}}, headers=intake.applicant
    )
    assert locs(bad) == [["body", "business", "founded_year"]]
    kept = intake.client.get(url, headers=intake.applicant).json()
    assert kept["business"] == {"name": "Mosul Bakery", "sector": "manufacturing"}


def test_references_are_unique_and_sequential_within_a_call(intake: Intake) -> None:
    references = [intake.draft(headers=intake.new_applicant())["reference"] for _ in range(3)]
    numbers = [int(r.rsplit("-", 1)[1]) for r in references]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3


def test_submit_lists_every_missing_field_at_once(intake: Intake) -> None:
    draft = intake.client.post(
        "/api/v1/applications", json={"call_id": intake.call["id"]}, headers=intake.applicant
    ).json()
    found = locs(intake.client.post(f"/api/v1/applications/{draft['id']}/submit", headers=intake.applicant))
    for expected in (
        ["body", "business", "name"],
        ["body", "owner", "national_id"],
        ["body", "owner", "phone"],
        ["body", "plan", "budget_lines"],
        ["body", "consent", "data_processing"],
    ):
        assert expected in found
    assert len(found) >= 20


def test_submit_checks_consistency_and_names_each_field(intake: Intake) -> None:
    draft = intake.draft(
        plan={"budget_lines": [{"item": "Oven", "quantity": 2, "unit_cost": "5000.00"}]},
        business={"founded_year": 2099},
        consent={"data_processing": False},
    )
    found = locs(intake.client.post(f"/api/v1/applications/{draft['id']}/submit", headers=intake.applicant))
    assert ["body", "plan", "budget_lines"] in found
    assert ["body", "business", "founded_year"] in found
    assert ["body", "consent", "data_processing"] in found


def test_amounts_follow_the_call_currency_exponent(intake: Intake) -> None:
    """Refused when the draft is saved (#15), not only at submission."""
    body = {"call_id": intake.call["id"], "plan": {"requested_amount": "18000.005", "co_contribution": "2999.995"}}
    found = locs(intake.client.post("/api/v1/applications", json=body, headers=intake.applicant))
    assert found == [["body", "plan", "requested_amount"], ["body", "plan", "co_contribution"]]


@pytest.mark.parametrize(
    "typed", ["0770 123 4567", "+964 770 123 4567", "00964 770-123-4567", "٠٧٧٠١٢٣٤٥٦٧", "۰۷۷۰ ۱۲۳ ۴۵۶۷"]
)
def test_phones_as_people_type_them_are_stored_in_e164(intake: Intake, typed: str) -> None:
    assert intake.draft(owner={"phone": typed})["owner"]["phone"] == "+9647701234567"


@pytest.mark.parametrize("typed", ["12345", "0770 123", "call me", "+1 202 555 01999"])
def test_a_wrong_phone_is_named(intake: Intake, typed: str) -> None:
    body = {"call_id": intake.call["id"], "owner": {"phone": typed}}
    assert locs(intake.client.post("/api/v1/applications", json=body, headers=intake.applicant)) == [
        ["body", "owner", "phone"]
    ]


def test_money_as_float_and_unknown_fields_are_refused(intake: Intake) -> None:
    body = {"call_id": intake.call["id"], "plan": {"requested_amount": 18000.5}, "status": "awarded"}
    assert sorted(locs(intake.client.post("/api/v1/applications", json=body, headers=intake.applicant))) == [
        ["body", "plan", "requested_amount"],
        ["body", "status"],
    ]


def test_submit_twice_is_409_and_changes_after_submit_are_409(intake: Intake) -> None:
    draft = intake.draft()
    submitted = intake.submit(draft)
    assert submitted["status"] == "submitted" and submitted["reference"] == draft["reference"]
    url = f"/api/v1/applications/{draft['id']}"
    assert intake.client.post(f"{url}/submit", headers=intake.applicant).status_code == 409
    assert intake.client.patch(url, json={"business": {"name": "x"}}, headers=intake.applicant).status_code == 409


def test_submit_to_a_closed_call_is_409(intake: Intake) -> None:
    draft = intake.draft()
    intake.client.post(f"/api/v1/calls/{intake.call['id']}/close", headers=ADMIN)
    assert intake.client.post(f"/api/v1/applications/{draft['id']}/submit", headers=intake.applicant).status_code == 409


def test_a_draft_needs_an_open_call(intake: Intake) -> None:
    body = {"call_id": "00000000-0000-0000-0000-000000000001"}
    assert locs(intake.client.post("/api/v1/applications", json=body, headers=intake.applicant)) == [
        ["body", "call_id"]
    ]


def test_another_applicants_application_is_404_and_staff_only_routes_403(intake: Intake) -> None:
    draft = intake.draft()
    other = intake.new_applicant()
    url = f"/api/v1/applications/{draft['id']}"
    assert intake.client.get(url, headers=other).status_code == 404
    assert intake.client.patch(url, json={"business": {"name": "x"}}, headers=other).status_code == 404
    assert intake.client.post(f"{url}/submit", headers=other).status_code == 404
    assert intake.client.post(f"{url}/withdraw", headers=other).status_code == 404
    assert intake.client.get(url, headers=bearer(Role.officer)).status_code == 200
    assert intake.client.patch(url, json={}, headers=bearer(Role.officer)).status_code == 403
    assert intake.client.post("/api/v1/calls", json={}, headers=intake.applicant).status_code == 403
    assert intake.client.get(url).status_code == 401


def test_lists_show_applicants_their_own_and_staff_filter_by_call_and_status(intake: Intake) -> None:
    mine = intake.draft()
    theirs = intake.draft(headers=intake.new_applicant())
    own = intake.client.get("/api/v1/applications", headers=intake.applicant).json()["items"]
    assert [a["id"] for a in own] == [mine["id"]]
    other_call = intake.open_call()
    intake.draft(call=other_call)
    staff = bearer(Role.officer)
    listed = intake.client.get(
        "/api/v1/applications", params={"call_id": intake.call["id"], "status": "draft"}, headers=staff
    ).json()["items"]
    assert {a["id"] for a in listed} == {mine["id"], theirs["id"]}


def test_withdraw_before_a_decision(intake: Intake) -> None:
    draft = intake.draft()
    intake.submit(draft)
    url = f"/api/v1/applications/{draft['id']}/withdraw"
    assert intake.client.post(url, headers=intake.applicant).json()["status"] == "withdrawn"
    assert intake.client.post(url, headers=intake.applicant).status_code == 409
