"""Defects the chaos run found, kept fixed.

A `scored` event retried after the database came back was applied after the committee's
decision that followed it on the same stream (a nak with a delay lets later messages overtake
the retried one; replicas of a service do the same): the applications service moved the
awarded application back to `scored`, and the applicant never saw the award. Scoring's events
are now applied only when they move the application forward."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shared.events.applications import ApplicationDecidedV1, ApplicationScoredV1
from shared.events.envelope import EventData, make_event
from shared.inbox import InboxConsumer
from tests.support.intake import ADMIN, Intake, intake_service
from tests.support.natsd import NatsServer

SCORED = "edf.scoring.application.scored.v1"
DECIDED = "edf.scoring.application.decided.v1"


@pytest.fixture
def intake(database_url: str, own_nats: NatsServer, tmp_path: Path) -> Iterator[Intake]:
    with intake_service(database_url, own_nats.url, tmp_path) as service:
        yield service


def deliver(intake: Intake, subject: str, application: dict[str, Any], data: EventData) -> bool:
    """As the inbox consumer applies a delivery (the same code path, without waiting for one)."""
    assert subject == data.subject
    event = make_event(source="/edf/scoring", subject=str(application["id"]), data=data)
    consumers: list[InboxConsumer] = intake.client.app.state.runtime.consumers  # type: ignore[attr-defined]
    applier = next(c.applier for c in consumers if subject in c.applier.subscriptions)
    return applier.apply(*applier.parse(subject, event.model_dump_json().encode()))


def scored(application: dict[str, Any], score: str = "50.00", reviewers: int = 2) -> ApplicationScoredV1:
    return ApplicationScoredV1(
        application_id=uuid.UUID(application["id"]),
        call_id=uuid.UUID(application["call_id"]),
        score=Decimal(score),
        criteria={},
        reviewers=reviewers,
        diverged=False,
    )


def decided(application: dict[str, Any], decision: str, at: datetime) -> ApplicationDecidedV1:
    return ApplicationDecidedV1(
        application_id=uuid.UUID(application["id"]),
        call_id=uuid.UUID(application["call_id"]),
        decision=decision,
        amount=Decimal("18000.00") if decision == "awarded" else None,
        currency="USD",
        decided_at=at,
    )


def status_of(intake: Intake, application: dict[str, Any]) -> dict[str, Any]:
    return dict(intake.client.get(f"/api/v1/applications/{application['id']}", headers=ADMIN).json())


def screened_application(intake: Intake) -> dict[str, Any]:
    applicant = intake.new_applicant()
    draft = intake.draft(headers=applicant)
    intake.submit(draft, headers=applicant)
    return intake.screened(draft)


def test_a_scored_event_arriving_after_the_decision_does_not_undo_the_award(intake: Intake) -> None:
    application = screened_application(intake)
    assert deliver(intake, DECIDED, application, decided(application, "awarded", datetime.now(UTC)))
    assert deliver(intake, SCORED, application, scored(application))  # handled (acked), changes nothing
    found = status_of(intake, application)
    assert found["status"] == "awarded"
    assert found["outcome"]["decision"] == "awarded"


def test_a_later_decision_replaces_an_earlier_one_and_not_the_other_way_round(intake: Intake) -> None:
    application = screened_application(intake)
    first = datetime.now(UTC)
    deliver(intake, SCORED, application, scored(application))
    deliver(intake, DECIDED, application, decided(application, "awarded", first + timedelta(minutes=5)))
    deliver(intake, DECIDED, application, decided(application, "waitlisted", first))  # the older one, late
    assert status_of(intake, application)["status"] == "awarded"

    other = screened_application(intake)
    deliver(intake, SCORED, other, scored(other))
    deliver(intake, DECIDED, other, decided(other, "waitlisted", first))
    deliver(intake, DECIDED, other, decided(other, "awarded", first + timedelta(minutes=5)))
    assert status_of(intake, other)["status"] == "awarded"


def test_a_second_score_after_a_divergence_still_updates_the_scored_application(intake: Intake) -> None:
    application = screened_application(intake)
    deliver(intake, SCORED, application, scored(application, "40.00", reviewers=2))
    deliver(intake, SCORED, application, scored(application, "55.00", reviewers=3))
    found = status_of(intake, application)
    assert found["status"] == "scored" and found["outcome"]["score"] == "55.00"
