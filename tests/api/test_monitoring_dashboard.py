"""A call's dashboard figures against a fixture computed by hand, on both backends: money paid per
month (with the months between), jobs by displacement status and sex, and the visit schedule
counted by the same rule as each grant's own view."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.monitoring.handlers.dashboard import months_between
from shared.auth import Role
from shared.events.disbursement import TranchePaidV1
from tests.support.apps import bearer
from tests.support.monitoring import PAID, MonitoredGrant, Monitoring, days_ago, event, job, monitoring_service
from tests.support.natsd import NatsServer


@pytest.fixture
def service(database_url: str, own_nats: NatsServer) -> Iterator[Monitoring]:
    with monitoring_service(database_url, own_nats.url) as running:
        yield running


def pay_at(service: Monitoring, grant: MonitoredGrant, seq: int, at: datetime) -> None:
    tranche = grant.tranches[seq - 1]
    assert service.deliver_event(
        event(
            PAID,
            tranche.tranche_id,
            TranchePaidV1(
                tranche_id=tranche.tranche_id, grant_id=grant.id, amount=tranche.amount, currency="USD", paid_at=at
            ),
        )
    )


def dashboard(service: Monitoring, call_id: object, role: Role = Role.finance) -> dict[str, Any]:
    response = service.client.get(f"/api/v1/calls/{call_id}/dashboard", headers=bearer(role))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_dashboard_matches_the_hand_computed_fixture(service: Monitoring) -> None:
    call_id = service.open_call()
    # G1: created 100 days ago, 18000 in 9000 / 5400 / 3600; verification visits due on days
    # -70, -40 and -10. Paid 9000 on 2025-11-30 23:30 UTC and 5400 on 2026-02-01 (nothing in
    # December or January).
    g1 = service.grant(call_id, amount="18000.00", created_at=datetime.now(UTC) - timedelta(days=100))
    pay_at(service, g1, 1, datetime(2025, 11, 30, 23, 30, tzinfo=UTC))
    pay_at(service, g1, 2, datetime(2026, 2, 1, 8, 0, tzinfo=UTC))
    # A visit verifies the first milestone and sees three jobs; the third milestone's visit is overdue.
    first = service.visit(
        g1.id,
        visited_on=days_ago(60).isoformat(),
        milestones_verified=["agreement_signed"],
        jobs=[job("female", "idp"), job("male", "idp"), job("female", "host")],
    )
    assert first.status_code == 201, first.text
    service.visit(g1.id, visited_on=days_ago(30).isoformat(), milestones_verified=["assets_purchased"])
    # G2: created today: three verification visits due in 30, 60, 90 days; 10000, 5000 paid on
    # 2026-02-15 UTC; a follow-up visit (none scheduled yet) sees a returnee man.
    g2 = service.grant(call_id, amount="10000.00")
    pay_at(service, g2, 1, datetime(2026, 2, 15, 12, 0, tzinfo=UTC))
    assert service.visit(g2.id, kind="follow_up", jobs=[job("male", "returnee")]).status_code == 201
    # G3: created 2025-05-01, all three tranches paid on 2025-06-01 (6000: 3000 / 1800 / 1200), its
    # milestones verified: follow-ups due 90, 180 and 365 days later (the sample call's schedule),
    # all past; one follow-up visit was made (2025-09-15): one done, two overdue.
    g3 = service.grant(call_id, amount="6000.00", created_at=datetime(2025, 5, 1, tzinfo=UTC))
    for seq in (1, 2, 3):
        pay_at(service, g3, seq, datetime(2025, 6, 1, 9, 0, tzinfo=UTC))
    for milestone in ("agreement_signed", "assets_purchased", "jobs_filled"):
        verified = service.client.post(
            f"/api/v1/grants/{g3.id}/milestones/{milestone}/verify", headers=bearer(Role.officer)
        )
        assert verified.status_code == 200, verified.text
    assert service.visit(g3.id, kind="follow_up", visited_on="2025-09-15").status_code == 201
    # Another call's payments, jobs and visits count nowhere here.
    other = service.grant(amount="20000.00")
    pay_at(service, other, 1, datetime(2026, 1, 10, tzinfo=UTC))
    service.visit(other.id, jobs=[job("female", "host")])

    body = dashboard(service, call_id)
    assert body["call_id"] == str(call_id) and body["currency"] == "USD"
    assert body["as_of"] == datetime.now(UTC).date().isoformat()
    assert [(m["month"], m["amount"], m["cumulative"], m["tranches"]) for m in body["disbursed_by_month"]] == [
        ("2025-06", "6000.00", "6000.00", 3),
        ("2025-07", "0.00", "6000.00", 0),
        ("2025-08", "0.00", "6000.00", 0),
        ("2025-09", "0.00", "6000.00", 0),
        ("2025-10", "0.00", "6000.00", 0),
        ("2025-11", "9000.00", "15000.00", 1),  # 23:30 UTC on the 30th: November, whatever Baghdad's clock says
        ("2025-12", "0.00", "15000.00", 0),
        ("2026-01", "0.00", "15000.00", 0),
        ("2026-02", "10400.00", "25400.00", 2),
    ]
    assert body["jobs_verified"] == {
        "idp": {"female": 1, "male": 1},
        "returnee": {"female": 0, "male": 1},
        "host": {"female": 1, "male": 0},
    }
    # Verification: G1 done 2, overdue 1; G2 due 3; G3 done 3. Follow-ups: G3 done 1, overdue 2.
    assert body["visits"] == {
        "due": 3,
        "overdue": 3,
        "done": 6,
        "recorded": 4,
        "by_kind": {
            "verification": {"due": 3, "overdue": 1, "done": 5},
            "follow_up": {"due": 0, "overdue": 2, "done": 1},
        },
    }
    # Each grant's own view says the same (one rule for both).
    seen: Counter[str] = Counter()
    for grant in (g1, g2, g3):
        seen.update(s["status"] for s in service.monitoring(grant.id)["schedule"])
    assert seen == {"scheduled": 3, "overdue": 3, "done": 6}


def test_a_call_without_grants_and_who_may_read_the_dashboard(service: Monitoring) -> None:
    call_id = service.open_call()
    assert dashboard(service, call_id, Role.monitor) == {
        "call_id": str(call_id),
        "currency": "USD",
        "as_of": datetime.now(UTC).date().isoformat(),
        "disbursed_by_month": [],
        "jobs_verified": {
            "idp": {"female": 0, "male": 0},
            "returnee": {"female": 0, "male": 0},
            "host": {"female": 0, "male": 0},
        },
        "visits": {
            "due": 0,
            "overdue": 0,
            "done": 0,
            "recorded": 0,
            "by_kind": {
                "verification": {"due": 0, "overdue": 0, "done": 0},
                "follow_up": {"due": 0, "overdue": 0, "done": 0},
            },
        },
    }
    for role in (Role.officer, Role.committee, Role.admin):
        assert service.client.get(f"/api/v1/calls/{call_id}/dashboard", headers=bearer(role)).status_code == 200
    assert service.client.get(f"/api/v1/calls/{call_id}/dashboard", headers=bearer(Role.applicant)).status_code == 403
    assert service.client.get(f"/api/v1/calls/{call_id}/dashboard").status_code == 401
    assert (
        service.client.get(f"/api/v1/calls/{uuid.uuid4()}/dashboard", headers=bearer(Role.officer)).status_code == 404
    )


def test_months_between_fills_the_gaps() -> None:
    assert months_between("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert months_between("2026-03", "2026-03") == ["2026-03"]
