"""A call's indicators against a fixture computed by hand (see the comments), on both backends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from shared.auth import Role
from tests.support.apps import bearer
from tests.support.monitoring import Monitoring, days_ago, job, monitoring_service
from tests.support.natsd import NatsServer


@pytest.fixture
def service(database_url: str, own_nats: NatsServer) -> Iterator[Monitoring]:
    with monitoring_service(database_url, own_nats.url) as running:
        yield running


def seen(service: Monitoring, grant_id: object, kind: str, days: int, jobs: list[dict[str, object]]) -> list[str]:
    response = service.visit(grant_id, kind=kind, visited_on=days_ago(days).isoformat(), jobs=jobs)
    assert response.status_code == 201, response.text
    return [j["id"] for j in response.json()["jobs"]]


def test_indicators_match_the_hand_computed_fixture(service: Monitoring) -> None:
    call_id = service.open_call()
    # G1: Ninawa, returnee woman owner, 2 + 2 jobs planned, 18000 awarded; paid 9000 (day -400)
    # and 5400 (day -390): retained from day -218 (6 months) and day -35 (12 months).
    g1 = service.grant(
        call_id, amount="18000.00", governorate="IQ-NI", owner_sex="female", displacement="returnee", female=2, male=2
    )
    service.pay(g1, 1, days_ago(400))
    service.pay(g1, 2, days_ago(390))
    j1, j2, j3 = seen(
        service, g1.id, "verification", 395, [job("female", "idp"), job("male", "host"), job("female", "returnee")]
    )
    seen(service, g1.id, "follow_up", 200, [job(job_id=j1), job(job_id=j2, still_employed=False), job(job_id=j3)])
    seen(service, g1.id, "follow_up", 30, [job(job_id=j1), job(job_id=j3, still_employed=False)])
    seen(service, g1.id, "verification", 10, [job(job_id=j2)])  # not a follow-up: J2 is not retained
    # -> 6 months: J1 and J3 (day -200); 12 months: J1 only (day -30).
    # G2: Anbar, displaced man owner, 1 + 3 planned, 10000 awarded, 5000 paid on day -100 (6 months
    # from day +82): J4 seen employed on day -50 counts as verified, not retained. Completed.
    g2 = service.grant(
        call_id, amount="10000.00", governorate="IQ-AN", owner_sex="male", displacement="idp", female=1, male=3
    )
    service.pay(g2, 1, days_ago(100))
    seen(service, g2.id, "follow_up", 50, [job("male", "idp")])
    service.complete(g2)
    # Applications that did not (yet) become grants: A3 Ninawa, host man, under review; A4 Basra,
    # displaced woman, ineligible; A5 Ninawa, host woman, withdrawn after screening.
    a3, _ = service.submit(call_id, governorate="IQ-NI", owner_sex="male", displacement="host")
    service.move(call_id, a3, "eligible", "under_review")
    a4, _ = service.submit(call_id, governorate="IQ-BA", owner_sex="female", displacement="idp")
    service.move(call_id, a4, "ineligible")
    a5, _ = service.submit(call_id, governorate="IQ-NI", owner_sex="female", displacement="host")
    service.move(call_id, a5, "eligible", "withdrawn")
    # Another call's grant and jobs count nowhere here.
    other = service.grant(amount="20000.00")
    service.pay(other, 1, days_ago(300))
    seen(service, other.id, "follow_up", 1, [job("female", "host")])

    response = service.client.get(f"/api/v1/calls/{call_id}/indicators", headers=bearer(Role.committee))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "call_id": str(call_id),
        "currency": "USD",
        # G1 and G2 (awarded: they have grants), A3, A4, A5
        "applications": {
            "total": 5,
            "by_status": {
                "submitted": 0,
                "eligible": 0,
                "ineligible": 1,
                "under_review": 1,
                "scored": 0,
                "awarded": 2,
                "rejected": 0,
                "waitlisted": 0,
                "withdrawn": 1,
            },
            "by_sex": {"female": 3, "male": 2},  # G1 A4 A5 / G2 A3
            "by_displacement_status": {"idp": 2, "returnee": 1, "host": 2},  # G2 A4 / G1 / A3 A5
            "by_governorate": {"IQ-AN": 1, "IQ-BA": 1, "IQ-NI": 3},
        },
        "grants": {"active": 1, "completed": 1},
        "grant_breakdown": {
            "total": 2,
            "by_sex": {"female": 1, "male": 1},
            "by_displacement_status": {"idp": 1, "returnee": 1, "host": 0},
            "by_governorate": {"IQ-AN": 1, "IQ-NI": 1},
        },
        "awarded": "28000.00",
        "awarded_breakdown": {
            "total": "28000.00",
            "by_sex": {"female": "18000.00", "male": "10000.00"},
            "by_displacement_status": {"idp": "10000.00", "returnee": "18000.00", "host": "0.00"},
            "by_governorate": {"IQ-AN": "10000.00", "IQ-NI": "18000.00"},
        },
        "disbursed": "19400.00",  # G1: 9000 + 5400, G2: 5000
        "disbursed_breakdown": {
            "total": "19400.00",
            "by_sex": {"female": "14400.00", "male": "5000.00"},
            "by_displacement_status": {"idp": "5000.00", "returnee": "14400.00", "host": "0.00"},
            "by_governorate": {"IQ-AN": "5000.00", "IQ-NI": "14400.00"},
        },
        "jobs_planned": {
            "total": 8,
            "by_sex": {"female": 3, "male": 5},
            "by_displacement_status": {"idp": 4, "returnee": 4, "host": 0},
            "by_governorate": {"IQ-NI": 4, "IQ-AN": 4},
        },
        "jobs_verified": {
            "total": 4,
            "by_sex": {"female": 2, "male": 2},
            "by_displacement_status": {"idp": 2, "returnee": 1, "host": 1},
            "by_governorate": {"IQ-NI": 3, "IQ-AN": 1},
        },
        "jobs_retained_6m": {
            "total": 2,
            "by_sex": {"female": 2, "male": 0},
            "by_displacement_status": {"idp": 1, "returnee": 1, "host": 0},
            "by_governorate": {"IQ-NI": 2},
        },
        "jobs_retained_12m": {
            "total": 1,
            "by_sex": {"female": 1, "male": 0},
            "by_displacement_status": {"idp": 1, "returnee": 0, "host": 0},
            "by_governorate": {"IQ-NI": 1},
        },
        "cost_per_job": "4850.00",  # 19400 / 4
    }
    # The grant's own view counts the same way (Python rule vs SQL aggregate).
    assert service.monitoring(g1.id)["jobs"] == {
        "planned": 4,
        "verified": 3,
        "retained": 2,
        "retained_6m": 2,
        "retained_12m": 1,
    }


def test_a_call_without_grants_and_who_may_read_indicators(service: Monitoring) -> None:
    call_id = service.open_call()
    body = service.client.get(f"/api/v1/calls/{call_id}/indicators", headers=bearer(Role.monitor)).json()
    assert (body["grants"], body["awarded"], body["disbursed"], body["cost_per_job"]) == (
        {"active": 0, "completed": 0},
        "0.00",
        "0.00",
        None,
    )
    empty = {
        "total": 0,
        "by_sex": {"female": 0, "male": 0},
        "by_displacement_status": {"idp": 0, "returnee": 0, "host": 0},
        "by_governorate": {},
    }
    assert body["jobs_verified"] == body["grant_breakdown"] == empty
    assert body["awarded_breakdown"] == {
        "total": "0.00",
        "by_sex": {"female": "0.00", "male": "0.00"},
        "by_displacement_status": {"idp": "0.00", "returnee": "0.00", "host": "0.00"},
        "by_governorate": {},
    }
    assert body["applications"]["total"] == 0 and set(body["applications"]["by_status"].values()) == {0}
    # A grant whose application has not reached monitoring yet is counted under `unknown`.
    service.deliver_event(service.created_event(call_id, uuid.uuid4(), amount="5000.00"))
    body = service.client.get(f"/api/v1/calls/{call_id}/indicators", headers=bearer(Role.monitor)).json()
    assert body["grant_breakdown"] == {
        "total": 1,
        "by_sex": {"female": 0, "male": 0, "unknown": 1},
        "by_displacement_status": {"idp": 0, "returnee": 0, "host": 0, "unknown": 1},
        "by_governorate": {"unknown": 1},
    }
    assert body["awarded_breakdown"]["by_governorate"] == {"unknown": "5000.00"}
    assert body["applications"]["total"] == 0
    assert service.client.get(f"/api/v1/calls/{call_id}/indicators", headers=bearer(Role.applicant)).status_code == 403
    assert (
        service.client.get(f"/api/v1/calls/{uuid.uuid4()}/indicators", headers=bearer(Role.officer)).status_code == 404
    )
