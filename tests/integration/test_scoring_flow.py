"""Applications and scoring through NATS: a submission reaches an officer who arrives later
(from the gateway's `user.created`), is reviewed, scored and awarded, and the applicant's
status follows every step; a withdrawal empties the queues."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shared.auth import Role
from shared.events.envelope import make_event
from shared.events.users import UserCreatedV1
from tests.support.apps import bearer, running_app, wait_until
from tests.support.intake import ADMIN, intake_service
from tests.support.jetstream import publish, stream_messages
from tests.support.natsd import NatsServer

pytestmark = [pytest.mark.integration]
COMMITTEE = bearer(Role.committee)


def new_officer(nats_url: str) -> dict[str, str]:
    officer_id = uuid.uuid4()
    event = make_event(
        source="/edf/gateway",
        subject=str(officer_id),
        data=UserCreatedV1(user_id=officer_id, role=Role.officer, created_at=datetime.now(UTC)),
    )
    publish(nats_url, event.type, event.model_dump_json().encode(), msg_id=str(event.id))
    return bearer(Role.officer, officer_id)


def status_of(client: TestClient, application_id: str) -> str:
    return str(client.get(f"/api/v1/applications/{application_id}", headers=ADMIN).json()["status"])


def queue(scoring: TestClient, officer: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = scoring.get("/api/v1/reviews", params={"status": "pending"}, headers=officer).json()[
        "items"
    ]
    return items


def test_submitted_reviewed_scored_awarded_with_the_status_following(
    make_database_url: Callable[[], str], own_nats: NatsServer, tmp_path: Path
) -> None:
    with (
        intake_service(make_database_url(), own_nats.url, tmp_path) as intake,
        running_app("scoring", make_database_url(), own_nats.url) as scoring,
    ):
        call = intake.open_call(reviewers_per_application=1)
        applicant = intake.new_applicant()
        draft = intake.draft(headers=applicant, call=call)
        intake.submit(draft, headers=applicant)
        withdrawn_by = intake.new_applicant()
        other = intake.draft(headers=withdrawn_by, call=call)
        intake.submit(other, headers=withdrawn_by)
        assert intake.screened(draft)["status"] == "eligible"  # no officer yet: it waits

        officer = new_officer(own_nats.url)
        mine = wait_until(lambda: len(found := queue(scoring, officer)) == 2 and found)
        wait_until(lambda: status_of(intake.client, draft["id"]) == "under_review")
        wait_until(lambda: status_of(intake.client, other["id"]) == "under_review")
        assert (
            intake.client.post(f"/api/v1/applications/{other['id']}/withdraw", headers=withdrawn_by).status_code == 200
        )
        wait_until(lambda: [r["application_id"] for r in queue(scoring, officer)] == [draft["id"]])

        review = next(r for r in mine if r["application_id"] == draft["id"])
        submitted = scoring.post(
            f"/api/v1/reviews/{review['id']}/submit", json={"scores": {"jobs": 5, "viability": 9}}, headers=officer
        )
        assert submitted.status_code == 200
        wait_until(lambda: status_of(intake.client, draft["id"]) == "scored")
        ranking = scoring.get(f"/api/v1/calls/{call['id']}/ranking", headers=COMMITTEE).json()["items"]
        assert [(r["application_id"], r["score"]) for r in ranking] == [(draft["id"], "94.00")]

        decided = scoring.post(
            f"/api/v1/calls/{call['id']}/decisions",
            headers=COMMITTEE,
            json={"decisions": [{"application_id": draft["id"], "decision": "award"}]},
        ).json()
        assert decided["accepted"][0]["amount"] == "18000.00"
        wait_until(lambda: status_of(intake.client, draft["id"]) == "awarded")
        outcome = intake.client.get(f"/api/v1/applications/{draft['id']}", headers=applicant).json()["outcome"]
        assert outcome["amount"] == "18000.00" and outcome["score"] == "94.00"
        subjects = [m.subject for m in stream_messages(own_nats.url, "EDF_SCORING")]
        assert subjects.count("edf.scoring.application.assigned.v1") == 2
        assert subjects[-2:] == ["edf.scoring.application.scored.v1", "edf.scoring.application.decided.v1"]
