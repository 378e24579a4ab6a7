"""Applications by status: monitoring follows screening, withdrawal and scoring's events, from two
streams in any order between them, and counts them in a call's indicators."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from shared.auth import Role
from shared.inbox import NotYetApplicable
from tests.support.apps import bearer
from tests.support.monitoring import Monitoring, monitoring_service
from tests.support.natsd import NatsServer


@pytest.fixture
def service(database_url: str, own_nats: NatsServer) -> Iterator[Monitoring]:
    with monitoring_service(database_url, own_nats.url) as running:
        yield running


def by_status(service: Monitoring, call_id: object) -> dict[str, int]:
    response = service.client.get(f"/api/v1/calls/{call_id}/indicators", headers=bearer(Role.officer))
    assert response.status_code == 200, response.text
    return {k: v for k, v in response.json()["applications"]["by_status"].items() if v}


def test_statuses_follow_the_events_in_order_and_out_of_order(service: Monitoring) -> None:
    call_id = service.open_call()
    paths = {
        "submitted": [],
        "ineligible": ["ineligible"],
        "eligible": ["eligible"],
        "under_review": ["eligible", "under_review"],
        "scored": ["eligible", "under_review", "scored"],
        "rejected": ["eligible", "under_review", "scored", "rejected"],
        "withdrawn": ["eligible", "under_review", "withdrawn"],
    }
    for expected, path in paths.items():
        application_id, _ = service.submit(call_id)
        service.move(call_id, application_id, *path)
        assert service.application_status(application_id) == expected
    # Scoring's stream ahead of the applications stream: the decision first, screening last.
    late, _ = service.submit(call_id)
    service.move(call_id, late, "awarded", "scored", "under_review", "eligible")
    assert service.application_status(late) == "awarded"
    # A withdrawal the applications stream delivers after scoring's decision still wins.
    withdrawn, _ = service.submit(call_id)
    service.move(call_id, withdrawn, "scored", "waitlisted", "withdrawn", "eligible")
    assert service.application_status(withdrawn) == "withdrawn"
    # A waitlisted application awarded later: a stale waitlist decision does not undo the award.
    promoted, _ = service.submit(call_id)
    now = datetime.now(UTC)
    service.deliver_event(service.status_event(call_id, promoted, "awarded", now))
    service.deliver_event(service.status_event(call_id, promoted, "waitlisted", now - timedelta(days=2)))
    assert service.application_status(promoted) == "awarded"

    assert by_status(service, call_id) == {
        "submitted": 1,
        "eligible": 1,
        "ineligible": 1,
        "under_review": 1,
        "scored": 1,
        "awarded": 2,
        "rejected": 1,
        "withdrawn": 2,
    }


def test_an_event_before_the_application_is_retried_and_a_replay_changes_nothing(service: Monitoring) -> None:
    call_id = service.open_call()
    scored = service.status_event(call_id, uuid.uuid4(), "scored")
    with pytest.raises(NotYetApplicable):
        service.deliver_event(scored)
    assert service.sql("SELECT count(*) FROM inbox WHERE event_id = :id", id=str(scored.id))[0][0] == 0

    application_id, _ = service.submit(call_id)
    decided = service.status_event(call_id, application_id, "rejected")
    assert service.deliver_event(decided)
    assert not service.deliver_event(decided)  # the same event again: a duplicate
    assert service.application_status(application_id) == "rejected"


def test_a_grant_is_an_award_whichever_arrives_first(service: Monitoring) -> None:
    call_id = service.open_call()
    first = service.grant(call_id)  # submitted, then the grant: no decision event needed
    assert service.application_status(first.application_id) == "awarded"
    # The grant before the application (another stream): the application arrives awarded.
    application_id = uuid.uuid4()
    assert service.deliver_event(service.created_event(call_id, application_id))
    service.deliver_event(service.submitted_event(call_id, application_id))
    assert service.application_status(application_id) == "awarded"
    # An older decision arriving after the grant does not move it back.
    service.deliver_event(
        service.status_event(call_id, application_id, "waitlisted", datetime.now(UTC) - timedelta(days=1))
    )
    assert service.application_status(application_id) == "awarded"
    assert by_status(service, call_id) == {"awarded": 2}
