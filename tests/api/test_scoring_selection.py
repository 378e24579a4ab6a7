"""Ranking, the selection proposal and committee decisions, through scoring's API."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from shared.auth import Role
from tests.support.apps import bearer
from tests.support.natsd import NatsServer
from tests.support.scoring import COMMITTEE, Scoring, scoring_service

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def scoring(database_url: str, own_nats: NatsServer) -> Iterator[Scoring]:
    with scoring_service(database_url, own_nats.url) as service:
        yield service


def scored(
    scoring: Scoring, call: uuid.UUID, officer: dict[str, str], scores: dict[str, int], **facts: object
) -> uuid.UUID:
    application = scoring.submit(call, **facts)  # type: ignore[arg-type]
    response = scoring.score(officer, application, scores)
    assert response.status_code == 200, response.text
    return application


def decide(
    scoring: Scoring, call: uuid.UUID, *items: dict[str, object], headers: dict[str, str] = COMMITTEE
) -> dict[str, list[dict[str, object]]]:
    body = {"decisions": [{**item, "application_id": str(item["application_id"])} for item in items]}
    response = scoring.client.post(f"/api/v1/calls/{call}/decisions", json=body, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, list[dict[str, object]]] = response.json()
    return result


def test_the_ranking_is_best_first_with_its_tie_breaks_and_pages(scoring: Scoring) -> None:
    call = scoring.open_call(reviewers_per_application=1)
    officer = scoring.add_officer()
    top = scored(scoring, call, officer, {"jobs": 5, "viability": 10})
    more_jobs_per_dollar = scored(
        scoring, call, officer, {"jobs": 4, "viability": 8}, requested="9000.00", submitted_at=T0 + timedelta(days=2)
    )
    earlier = scored(scoring, call, officer, {"jobs": 4, "viability": 8}, submitted_at=T0)
    later = scored(scoring, call, officer, {"jobs": 4, "viability": 8}, submitted_at=T0 + timedelta(days=1))
    last = scored(scoring, call, officer, {"jobs": 0, "viability": 1})
    expected = [top, more_jobs_per_dollar, earlier, later, last]

    seen: list[dict[str, object]] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = scoring.client.get(f"/api/v1/calls/{call}/ranking", params=params, headers=officer).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [item["application_id"] for item in seen] == list(map(str, expected))
    assert [item["rank"] for item in seen] == [1, 2, 3, 4, 5]
    assert seen[0]["score"] == "100.00" and seen[1]["score"] == "80.00" and seen[4]["score"] == "6.00"
    assert seen[1]["requested_amount"] == "9000.00" and seen[1]["status"] == "scored"
    assert scoring.client.get(f"/api/v1/calls/{call}/ranking", headers=COMMITTEE).status_code == 200
    assert scoring.client.get(f"/api/v1/calls/{call}/ranking", headers=bearer(Role.applicant)).status_code == 403
    assert scoring.client.get(f"/api/v1/calls/{uuid.uuid4()}/ranking", headers=COMMITTEE).status_code == 404


def test_the_selection_fits_the_budget_and_reports_the_quota(scoring: Scoring) -> None:
    call = scoring.open_call(
        reviewers_per_application=1, budget="60000.00", grant_max="20000.00", quotas={"women_owned_min_share": "0.5"}
    )
    officer = scoring.add_officer()
    men = [scored(scoring, call, officer, {"jobs": 5, "viability": 10 - i}, sex="male") for i in range(3)]
    women = [scored(scoring, call, officer, {"jobs": 2, "viability": 5 - i}, sex="female") for i in range(2)]
    big = scored(scoring, call, officer, {"jobs": 5, "viability": 10}, sex="male", requested="25000.00")
    assert scoring.client.get(f"/api/v1/calls/{call}/selection", headers=officer).status_code == 403

    proposal = scoring.client.get(f"/api/v1/calls/{call}/selection", headers=COMMITTEE).json()
    # Ranked: men[0] (100, more jobs per dollar than big), big (100), men[1] (94), men[2] (88), women[0] (46),
    # women[1] (40). Filled: men[0], big, men[1]; then the lowest-ranked men make way for the best women.
    assert [p["application_id"] for p in proposal["proposed"]] == [str(men[0]), str(women[0]), str(women[1])]
    assert [p["rank"] for p in proposal["proposed"]] == [1, 5, 6]
    assert [p["women_owned"] for p in proposal["proposed"]] == [False, True, True]
    assert proposal["budget"] == "60000.00" and proposal["available"] == "60000.00"
    assert proposal["total"] == "54000.00"
    assert proposal["quotas"]["women_owned_min_share"] == {
        "required": "0.5",
        "achieved": "0.6667",
        "met": True,
        "members": 2,
        "grants": 3,
    }
    unlimited = scoring.open_call(reviewers_per_application=1, budget="60000.00", grant_max="20000.00")
    capped = scored(scoring, unlimited, officer, {"jobs": 5, "viability": 10}, requested="25000.00")
    proposed = scoring.client.get(f"/api/v1/calls/{unlimited}/selection", headers=COMMITTEE).json()["proposed"]
    assert [(p["application_id"], p["amount"]) for p in proposed] == [(str(capped), "20000.00")]
    assert big  # ranked second, swapped out


def test_decisions_item_by_item_with_reasons_events_audit_and_the_ledger(scoring: Scoring) -> None:
    call = scoring.open_call(reviewers_per_application=1, budget="40000.00")
    officer = scoring.add_officer()
    first, second, third = (scored(scoring, call, officer, {"jobs": 5, "viability": 9 - i}) for i in range(3))
    unscored = scoring.submit(call)
    result = decide(
        scoring,
        call,
        {"application_id": first, "decision": "award", "reason": "Strong plan."},
        {"application_id": second, "decision": "award", "amount": "15000.00"},
        {"application_id": third, "decision": "award"},  # 18000 > 7000 left
        {"application_id": unscored, "decision": "award"},
        {"application_id": uuid.uuid4(), "decision": "reject"},
        {"application_id": first, "decision": "reject"},
    )
    assert [(a["application_id"], a["decision"], a["amount"]) for a in result["accepted"]] == [
        (str(first), "awarded", "18000.00"),
        (str(second), "awarded", "15000.00"),
    ]
    assert {(r["application_id"], r["reason"]) for r in result["refused"]} == {
        (str(third), "budget_exceeded"),
        (str(unscored), "not_scored"),
        (
            next(r["application_id"] for r in result["refused"] if r["reason"] == "unknown_application"),
            "unknown_application",
        ),
        (str(first), "already_awarded"),
    }
    assert decide(scoring, call, {"application_id": third, "decision": "waitlist"})["accepted"][0]["amount"] is None
    later = decide(scoring, call, {"application_id": third, "decision": "award", "amount": "7000.00"})
    assert later["accepted"][0]["decision"] == "awarded"  # a waitlisted one awarded with the money left

    ledger = scoring.sql("SELECT awarded_total, budget FROM calls")[0]
    assert Decimal(str(ledger[0])) == Decimal("40000") == Decimal(str(ledger[1]))
    events = [
        json.loads(row[0])["data"]
        for row in scoring.sql(
            "SELECT payload FROM outbox WHERE subject = 'edf.scoring.application.decided.v1' ORDER BY seq"
        )
    ]
    assert [(e["decision"], e["amount"], e["currency"]) for e in events] == [
        ("awarded", "18000.00", "USD"),
        ("awarded", "15000.00", "USD"),
        ("waitlisted", None, "USD"),
        ("awarded", "7000.00", "USD"),
    ]
    audit = scoring.sql("SELECT actor_role, after FROM audit_log WHERE action = 'application.decided' ORDER BY id")
    assert len(audit) == 4 and {row[0] for row in audit} == {"committee"}
    assert "Strong plan." in str(audit[0][1])
    ranking = scoring.client.get(f"/api/v1/calls/{call}/ranking", headers=COMMITTEE).json()["items"]
    assert [(r["status"], r["decided_amount"]) for r in ranking] == [
        ("awarded", "18000.00"),
        ("awarded", "15000.00"),
        ("awarded", "7000.00"),
    ]
    proposal = scoring.client.get(f"/api/v1/calls/{call}/selection", headers=COMMITTEE).json()
    assert proposal["available"] == "0.00" and proposal["proposed"] == []


def test_a_malformed_batch_is_refused_whole_and_only_the_committee_decides(scoring: Scoring) -> None:
    call = scoring.open_call(reviewers_per_application=1)
    officer = scoring.add_officer()
    application = scored(scoring, call, officer, {"jobs": 5, "viability": 9})
    url = f"/api/v1/calls/{call}/decisions"
    bad = {
        "decisions": [
            {"application_id": str(application), "decision": "award"},
            {"application_id": str(application), "decision": "maybe"},
        ]
    }
    response = scoring.client.post(url, json=bad, headers=COMMITTEE)
    assert response.status_code == 422 and response.json()["errors"][0]["loc"][:3] == ["body", "decisions", 1]
    assert scoring.sql("SELECT count(*) FROM decisions") == [(0,)]
    one = {"decisions": [{"application_id": str(application), "decision": "award"}]}
    assert scoring.client.post(url, json=one, headers=officer).status_code == 403
    assert scoring.client.post(url, json=one, headers=bearer(Role.admin)).status_code == 403
    without = scoring.client.post(url, json=one, headers=bearer(Role.committee, mfa=False))  # no second factor
    assert without.status_code == 403 and without.json()["code"] == "mfa_required"
    assert scoring.sql("SELECT count(*) FROM decisions") == [(0,)]
    assert (
        scoring.client.post(f"/api/v1/calls/{uuid.uuid4()}/decisions", json=one, headers=COMMITTEE).status_code == 404
    )
    refused = decide(
        scoring,
        call,
        {"application_id": application, "decision": "award", "amount": "31000.00"},
        {"application_id": application, "decision": "award", "amount": "100.001"},
    )
    assert [r["reason"] for r in refused["refused"]] == ["amount_above_requested", "amount_precision"]
