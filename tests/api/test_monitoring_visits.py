"""Monitoring's intake and commands: schedules from grants and payments, visits with jobs,
milestones verified once, flags raised and resolved, and who may do what."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from shared.auth import Role
from shared.events.disbursement import GrantCreatedV1, TranchePaidV1
from shared.inbox import NotYetApplicable
from tests.support.apps import bearer
from tests.support.monitoring import PAID, Monitoring, days_ago, event, job, monitoring_service
from tests.support.natsd import NatsServer

VISITED = "edf.monitoring.visit.recorded.v1"
VERIFIED = "edf.monitoring.milestone.verified.v1"
FLAGGED = "edf.monitoring.grant.flagged.v1"
RESOLVED = "edf.monitoring.flag.resolved.v1"


@pytest.fixture
def service(database_url: str, own_nats: NatsServer) -> Iterator[Monitoring]:
    with monitoring_service(database_url, own_nats.url) as running:
        yield running


def test_a_grant_gets_a_verification_visit_per_tranche_overdue_once_past(service: Monitoring) -> None:
    created = datetime.now(UTC) - timedelta(days=45)
    grant = service.grant(created_at=created)
    view = service.monitoring(grant.id)
    start = created.date()
    assert [(s["kind"], s["due_on"], s["status"], s["milestone"]) for s in view["schedule"]] == [
        ("verification", (start + timedelta(days=30)).isoformat(), "overdue", "agreement_signed"),
        ("verification", (start + timedelta(days=60)).isoformat(), "scheduled", "assets_purchased"),
        ("verification", (start + timedelta(days=90)).isoformat(), "scheduled", "jobs_filled"),
    ]
    assert view["milestones"] == [
        {"key": k, "verified_at": None} for k in ("agreement_signed", "assets_purchased", "jobs_filled")
    ]
    assert view["jobs"] == {"planned": 4, "verified": 0, "retained": 0, "retained_6m": 0, "retained_12m": 0}
    assert service.scalar("SELECT count(*) FROM scheduled_visits") == 3

    assert service.visit(grant.id, milestones_verified=["agreement_signed"]).status_code == 201
    assert service.monitoring(grant.id)["schedule"][0]["status"] == "done"


def test_follow_ups_are_due_after_the_last_tranche_is_paid(service: Monitoring) -> None:
    grant = service.grant(created_at=datetime.now(UTC) - timedelta(days=400))
    service.pay(grant, 1, days_ago(380))
    assert service.scalar("SELECT count(*) FROM scheduled_visits WHERE kind = 'follow_up'") == 0
    service.pay(grant, 2, days_ago(300))
    last = service.pay(grant, 3, days_ago(200))
    service.deliver_event(last)  # a redelivery changes nothing
    service.deliver(PAID, "replay", TranchePaidV1.model_validate(last.data))  # a replay under a new event id
    follow_ups = [s for s in service.monitoring(grant.id)["schedule"] if s["kind"] == "follow_up"]
    assert [(s["due_on"], s["status"]) for s in follow_ups] == [
        (days_ago(110).isoformat(), "overdue"),
        (days_ago(20).isoformat(), "overdue"),
        (days_ago(-165).isoformat(), "scheduled"),
    ]
    assert service.scalar("SELECT count(*) FROM scheduled_visits WHERE kind = 'follow_up'") == 3
    assert str(service.scalar("SELECT first_paid_on FROM grants"))[:10] == days_ago(380).isoformat()

    assert service.visit(grant.id, kind="follow_up", visited_on=days_ago(100).isoformat()).status_code == 201
    assert [s["status"] for s in service.monitoring(grant.id)["schedule"] if s["kind"] == "follow_up"] == [
        "done",
        "overdue",
        "scheduled",
    ]


def test_a_payment_before_its_grant_waits_for_it(service: Monitoring) -> None:
    call_id = service.open_call()
    application_id, _ = service.submit(call_id)
    created = service.created_event(call_id, application_id)
    data = GrantCreatedV1.model_validate(created.data)
    tranche = data.tranches[0]
    paid = event(
        PAID,
        tranche.tranche_id,
        TranchePaidV1(
            tranche_id=tranche.tranche_id,
            grant_id=data.grant_id,
            amount=tranche.amount,
            currency="USD",
            paid_at=datetime.now(UTC),
        ),
    )
    with pytest.raises(NotYetApplicable):
        service.deliver_event(paid)
    assert service.deliver_event(created) is True
    assert service.deliver_event(created) is False
    assert service.deliver_event(paid) is True


def test_a_visit_records_jobs_milestones_and_a_flag(service: Monitoring) -> None:
    grant = service.grant()
    response = service.visit(
        grant.id,
        location={"lat": 36.34567, "lon": 43.13049},
        milestones_verified=["agreement_signed", "assets_purchased", "agreement_signed"],
        jobs=[job("female", "idp"), job("male", "host")],
        flag={"reason": "Assets not on site", "hold_payments": True},
    )
    assert response.status_code == 201, response.text
    visit = response.json()
    assert visit["location"] == {"lat": "36.346", "lon": "43.130"}
    assert visit["milestones_verified"] == ["agreement_signed", "assets_purchased"]
    assert [(j["sex"], j["displacement_status"]) for j in visit["jobs"]] == [("female", "idp"), ("male", "host")]
    assert visit["flag"]["hold_payments"] is True and visit["flag"]["status"] == "open"
    assert service.outbox(VISITED) == [
        {
            "visit_id": visit["id"],
            "grant_id": str(grant.id),
            "visited_on": visit["visited_on"],
            "kind": "verification",
            "jobs_verified": 2,
        }
    ]
    assert sorted(e["milestone"] for e in service.outbox(VERIFIED)) == ["agreement_signed", "assets_purchased"]
    assert service.outbox(FLAGGED) == [
        {"flag_id": visit["flag"]["id"], "grant_id": str(grant.id), "hold_payments": True}
    ]

    # The same jobs seen again (named by id) and a milestone verified again: no new rows or events.
    again = service.visit(
        grant.id,
        milestones_verified=["agreement_signed"],
        jobs=[job(job_id=visit["jobs"][0]["id"], still_employed=False)],
    )
    assert again.status_code == 201, again.text
    assert again.json()["milestones_verified"] == []
    assert len(service.outbox(VERIFIED)) == 2
    assert service.scalar("SELECT count(*) FROM jobs") == 2
    assert service.scalar("SELECT count(*) FROM job_observations") == 3
    view = service.monitoring(grant.id)
    assert view["jobs"]["verified"] == 2 and view["jobs"]["retained"] == 1
    assert [len(v["jobs"]) for v in view["visits"]] == [2, 1]
    assert {m["key"] for m in view["milestones"] if m["verified_at"]} == {"agreement_signed", "assets_purchased"}
    payloads = [str(r[0]) for r in service.sql("SELECT payload FROM outbox")]
    assert not any("Assets not on site" in p or "All well" in p or "36.34" in p for p in payloads)


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"visited_on": (datetime.now(UTC).date() + timedelta(days=2)).isoformat()}, "visited_on"),
        ({"location": {"lat": 33.3, "lon": 50.1}}, "location"),
        ({"location": {"lat": 28.9, "lon": 44.0}}, "location"),
        ({"milestones_verified": ["not_in_plan"]}, "milestones_verified"),
        ({"jobs": [job(job_id=uuid.uuid4())]}, "jobs"),
        ({"jobs": [{**job(), "sex": "other"}]}, "jobs"),
        ({"kind": "inspection"}, "kind"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_visits_are_422(service: Monitoring, body: dict[str, Any], loc: str) -> None:
    grant = service.grant()
    response = service.visit(grant.id, **body)
    assert response.status_code == 422, response.text
    assert any(loc in map(str, e["loc"]) for e in response.json()["errors"])
    assert service.scalar("SELECT count(*) FROM visits") == 0


def test_visits_need_a_monitored_grant_and_a_monitor(service: Monitoring) -> None:
    assert service.visit(uuid.uuid4()).status_code == 404
    grant = service.grant()
    service.execute("UPDATE grants SET status = 'cancelled' WHERE id = :g", g=grant.id)  # not in monitoring
    assert service.visit(grant.id).status_code == 409
    other = service.grant()
    assert service.visit(other.id, headers=bearer(Role.officer)).status_code == 403
    assert service.visit(other.id, headers={}).status_code == 401
    service.complete(other)  # completed grants keep their follow-ups
    assert service.visit(other.id, kind="follow_up").status_code == 201


def test_verifying_a_milestone_is_idempotent(service: Monitoring) -> None:
    grant = service.grant()
    url = f"/api/v1/grants/{grant.id}/milestones/assets_purchased/verify"
    officer_id = uuid.uuid4()
    first = service.client.post(
        url, json={"evidence": "Invoice 17 and photos"}, headers=bearer(Role.officer, officer_id)
    )
    assert first.status_code == 200, first.text
    second = service.client.post(url, headers=bearer(Role.monitor))
    assert second.status_code == 200
    assert second.json() == first.json()
    # Who verified it, once: disbursement keeps them from requesting the tranche it gates.
    assert [(e["milestone"], e["verified_by"]) for e in service.outbox(VERIFIED)] == [
        ("assets_purchased", str(officer_id))
    ]
    assert (
        service.client.post(
            f"/api/v1/grants/{grant.id}/milestones/unknown_key/verify", headers=bearer(Role.officer)
        ).status_code
        == 404
    )
    assert service.client.post(url, headers=bearer(Role.finance)).status_code == 403
    assert (
        service.client.post(
            f"/api/v1/grants/{uuid.uuid4()}/milestones/assets_purchased/verify", headers=bearer(Role.officer)
        ).status_code
        == 404
    )


def test_flags_are_raised_resolved_once_and_audited(service: Monitoring) -> None:
    grant = service.grant()
    raised = service.client.post(
        f"/api/v1/grants/{grant.id}/flags",
        json={"reason": "Premises closed", "hold_payments": True},
        headers=bearer(Role.officer),
    )
    assert raised.status_code == 201, raised.text
    flag_id = raised.json()["id"]
    monitor_id = uuid.uuid4()
    resolved = service.client.post(f"/api/v1/flags/{flag_id}/resolve", headers=bearer(Role.monitor, monitor_id))
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert service.client.post(f"/api/v1/flags/{flag_id}/resolve", headers=bearer(Role.monitor)).status_code == 409
    assert service.client.post(f"/api/v1/flags/{uuid.uuid4()}/resolve", headers=bearer(Role.monitor)).status_code == 404
    assert service.outbox(
        RESOLVED
    ) == [  # who resolved it: disbursement keeps them from requesting the grant's tranches
        {"flag_id": flag_id, "grant_id": str(grant.id), "hold_payments": True, "resolved_by": str(monitor_id)}
    ]
    actions = [r[0] for r in service.sql("SELECT action FROM audit_log WHERE entity_id = :f ORDER BY id", f=flag_id)]
    assert actions == ["flag.raised", "flag.resolved"]
    assert [f["status"] for f in service.monitoring(grant.id)["flags"]] == ["resolved"]
    assert (
        service.client.post(
            f"/api/v1/grants/{grant.id}/flags",
            json={"reason": "x", "hold_payments": False},
            headers=bearer(Role.applicant),
        ).status_code
        == 403
    )


def test_the_grantee_reads_their_own_monitoring_only(service: Monitoring) -> None:
    grant = service.grant()
    assert service.monitoring(grant.id, bearer(Role.applicant, grant.applicant_id))["grant_id"] == str(grant.id)
    other = service.client.get(f"/api/v1/grants/{grant.id}/monitoring", headers=bearer(Role.applicant))
    assert other.status_code == 404
    assert (
        service.client.get(f"/api/v1/grants/{uuid.uuid4()}/monitoring", headers=bearer(Role.monitor)).status_code == 404
    )


def test_the_grantee_sees_what_is_held_but_never_the_monitors_findings_or_flag_reasons(service: Monitoring) -> None:
    grant = service.grant()
    canary = f"canary-{uuid.uuid4().hex}"
    recorded = service.visit(
        grant.id,
        findings=f"Invoices look forged {canary}",
        location={"lat": 36.34, "lon": 43.13},
        flag={"reason": f"Suspected fraud {canary}", "hold_payments": True},
    )
    assert recorded.status_code == 201, recorded.text
    raised = service.client.post(
        f"/api/v1/grants/{grant.id}/flags",
        json={"reason": f"Second look {canary}", "hold_payments": False},
        headers=bearer(Role.officer),
    )
    assert raised.status_code == 201, raised.text

    grantee = service.client.get(
        f"/api/v1/grants/{grant.id}/monitoring", headers=bearer(Role.applicant, grant.applicant_id)
    )
    assert grantee.status_code == 200 and canary not in grantee.text
    seen = grantee.json()
    assert seen["schedule"] and [v["findings"] for v in seen["visits"]] == [None]
    assert [v["location"] for v in seen["visits"]] == [None]
    assert [(f["reason"], f["hold_payments"], f["status"]) for f in seen["flags"]] == [
        (None, True, "open"),
        (None, False, "open"),
    ]
    assert seen["hold"]["payments_on_hold"] is True and seen["hold"]["action"] == "contact_your_grant_officer"

    for role in (Role.monitor, Role.officer, Role.admin):
        staff = service.client.get(f"/api/v1/grants/{grant.id}/monitoring", headers=bearer(role))
        assert staff.text.count(canary) == 3, role
        assert staff.json()["visits"][0]["location"] is not None

    resolved = service.client.post(f"/api/v1/flags/{seen['flags'][0]['id']}/resolve", headers=bearer(Role.monitor))
    assert resolved.status_code == 200, resolved.text
    after = service.monitoring(grant.id, bearer(Role.applicant, grant.applicant_id))
    assert after["hold"] == {"payments_on_hold": False, "since": None, "action": None}


def test_the_database_refuses_a_second_verification_of_a_milestone(service: Monitoring) -> None:
    grant = service.grant()
    assert (
        service.client.post(
            f"/api/v1/grants/{grant.id}/milestones/jobs_filled/verify", headers=bearer(Role.officer)
        ).status_code
        == 200
    )
    with pytest.raises(IntegrityError):
        service.execute(
            "INSERT INTO verified_milestones (grant_id, milestone, verified_at, verified_by) "
            "VALUES (:g, 'jobs_filled', :at, :by)",
            g=grant.id,
            at=datetime.now(UTC),
            by=uuid.uuid4(),
        )
