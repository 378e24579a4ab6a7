"""Screening after submit: each rule a reason code, duplicates within a call, prior awards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shared.events.applications import ApplicationDecidedV1
from shared.events.envelope import make_event
from tests.support.intake import Intake, intake_service
from tests.support.jetstream import publish, stream_messages
from tests.support.natsd import NatsServer


@pytest.fixture
def intake(database_url: str, own_nats: NatsServer, tmp_path: Path) -> Iterator[Intake]:
    with intake_service(database_url, own_nats.url, tmp_path) as service:
        yield service


def submit_and_screen(intake: Intake, **sections: dict[str, object]) -> dict[str, object]:
    draft = intake.draft(headers=(applicant := intake.new_applicant()), **sections)
    intake.submit(draft, headers=applicant)
    return intake.screened(draft)


def test_an_eligible_application_is_screened_and_both_events_are_on_the_stream(
    intake: Intake, own_nats: NatsServer
) -> None:
    screened = submit_and_screen(intake)
    assert screened["status"] == "eligible"
    assert screened["screening"]["eligible"] is True and screened["screening"]["reasons"] == []
    subjects = [m.subject for m in stream_messages(own_nats.url, "EDF_APPLICATIONS")]
    assert "edf.applications.application.submitted.v1" in subjects
    assert "edf.applications.application.screened.v1" in subjects


RULES = [
    ({"business": {"governorate": "IQ-BA"}}, "governorate_not_eligible"),
    ({"business": {"sector": "retail"}}, "sector_not_eligible"),
    ({"business": {"founded_year": datetime.now(UTC).year}}, "too_few_years_operating"),
    ({"business": {"employees_female": 0, "employees_male": 1}}, "employees_out_of_range"),
    ({"business": {"employees_female": 40, "employees_male": 40}}, "employees_out_of_range"),
    ({"plan": {"requested_amount": "2000.00", "co_contribution": "19000.00"}}, "amount_out_of_range"),
    ({"plan": {"requested_amount": "20500.00", "co_contribution": "500.00"}}, "co_contribution_too_low"),
    ({"plan": {"jobs_planned_female": 0, "jobs_planned_male": 0}}, "too_few_jobs_planned"),
    ({"business": {"registration_number": None}}, "not_registered"),
]


@pytest.mark.parametrize(("sections", "reason"), RULES, ids=[r[1] + str(i) for i, r in enumerate(RULES)])
def test_each_rule_of_the_call_gives_its_reason_code(
    intake: Intake, sections: dict[str, dict[str, object]], reason: str
) -> None:
    screened = submit_and_screen(intake, **sections)
    assert screened["status"] == "ineligible"
    assert screened["screening"]["reasons"] == [reason]


def test_several_failures_are_all_explained(intake: Intake) -> None:
    screened = submit_and_screen(intake, business={"governorate": "IQ-BA", "sector": "retail"})
    assert screened["screening"]["reasons"] == ["governorate_not_eligible", "sector_not_eligible"]


def submit_and_flag(intake: Intake, **sections: dict[str, object]) -> dict[str, object]:
    from tests.support.apps import wait_until
    from tests.support.intake import ADMIN

    draft = intake.draft(headers=(applicant := intake.new_applicant()), **sections)
    intake.submit(draft, headers=applicant)

    def flagged() -> dict[str, object] | None:
        found = intake.client.get(f"/api/v1/applications/{draft['id']}", headers=ADMIN).json()
        return found if (found.get("screening") or {}).get("state") == "flagged" else None

    return dict(wait_until(flagged))


def test_duplicates_within_a_call_are_flags_held_for_review_not_rejections(intake: Intake) -> None:
    first = submit_and_screen(
        intake,
        owner={"national_id": "١٩٨٨ ٠٠١٢٣٤٥٦", "phone": "0770 999 1111"},
        business={"registration_number": "NIN-12/345"},
    )
    assert first["status"] == "eligible"
    same_id = submit_and_flag(intake, owner={"national_id": "198800123456"})
    same_phone = submit_and_flag(intake, owner={"phone": "+9647709991111"})
    same_registration = submit_and_flag(intake, business={"registration_number": "nin 12 345"})
    for flagged, code in ((same_id, "duplicate_national_id"), (same_phone, "duplicate_phone")):
        assert flagged["status"] == "submitted" and flagged["screening"]["reasons"] == []  # type: ignore[index]
        assert code in flagged["screening"]["flags"]  # type: ignore[index]
    assert "duplicate_registration" in same_registration["screening"]["flags"]  # type: ignore[index]


def test_the_same_person_may_apply_to_another_call(intake: Intake) -> None:
    other_call = intake.open_call()
    submit_and_screen(intake, owner={"national_id": "55550001"})
    applicant = intake.new_applicant()
    draft = intake.draft(headers=applicant, call=other_call, owner={"national_id": "55550001"})
    intake.submit(draft, headers=applicant)
    assert intake.screened(draft)["status"] == "eligible"


def _award(intake: Intake, nats_url: str, application: dict[str, object]) -> None:
    data = ApplicationDecidedV1(
        application_id=uuid.UUID(str(application["id"])),
        call_id=uuid.UUID(str(application["call_id"])),
        decision="awarded",
        amount="18000.00",
        currency="USD",
        decided_at=datetime.now(UTC),
    )
    event = make_event(source="/edf/scoring", subject=str(application["id"]), data=data)
    publish(nats_url, event.type, event.model_dump_json().encode())


@pytest.mark.parametrize("exclude", [False, True])
def test_an_earlier_award_is_a_flag_or_an_exclusion_as_the_call_says(
    intake: Intake, own_nats: NatsServer, exclude: bool
) -> None:
    from tests.support.apps import wait_until
    from tests.support.intake import ADMIN

    earlier = submit_and_screen(intake, owner={"national_id": "77770001"})
    _award(intake, own_nats.url, earlier)
    wait_until(
        lambda: intake.client.get(f"/api/v1/applications/{earlier['id']}", headers=ADMIN).json()["status"] == "awarded"
    )
    later_call = intake.open_call(eligibility={"exclude_prior_beneficiaries": exclude})
    applicant = intake.new_applicant()
    draft = intake.draft(headers=applicant, call=later_call, owner={"national_id": "7777-0001"})
    intake.submit(draft, headers=applicant)
    if exclude:  # held for an intake officer: the earlier award may be someone else's stolen id

        def screened() -> dict[str, Any] | None:
            found = intake.client.get(f"/api/v1/applications/{draft['id']}", headers=ADMIN).json()
            return found if found.get("screening") else None

        found = wait_until(screened)
        assert found["screening"]["state"] == "flagged" and "prior_beneficiary" in found["screening"]["flags"]
    else:
        screening = intake.screened(draft)["screening"]
        assert "prior_beneficiary" in screening["flags"] and screening["eligible"] is True


def test_withdrawing_after_a_decision_is_409(intake: Intake, own_nats: NatsServer) -> None:
    from tests.support.apps import wait_until
    from tests.support.intake import ADMIN

    draft = intake.draft()
    intake.submit(draft)
    screened = intake.screened(draft)
    _award(intake, own_nats.url, screened)
    wait_until(
        lambda: intake.client.get(f"/api/v1/applications/{draft['id']}", headers=ADMIN).json()["status"] == "awarded"
    )
    assert (
        intake.client.post(f"/api/v1/applications/{draft['id']}/withdraw", headers=intake.applicant).status_code == 409
    )
