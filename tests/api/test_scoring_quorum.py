"""Committee decisions need the call's quorum of distinct members: before it a decision is a
proposal (visible, not applied: no `application.decided`, no budget used)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from shared.auth import Role
from tests.support.apps import bearer
from tests.support.natsd import NatsServer
from tests.support.scoring import COMMITTEE, Scoring, scoring_service

DECIDED = "edf.scoring.application.decided.v1"
PROPOSED = "edf.scoring.decision.proposed.v1"


@pytest.fixture
def scoring(database_url: str, own_nats: NatsServer) -> Iterator[Scoring]:
    with scoring_service(database_url, own_nats.url) as service:
        yield service


def member() -> dict[str, str]:
    return bearer(Role.committee, uuid.uuid4())


def scored(scoring: Scoring, call: uuid.UUID, officer: dict[str, str], **facts: Any) -> uuid.UUID:
    application = scoring.submit(call, **facts)
    assert scoring.score(officer, application, {"jobs": 5, "viability": 9}).status_code == 200
    return application


def decide(scoring: Scoring, call: uuid.UUID, headers: dict[str, str], *items: dict[str, Any]) -> dict[str, Any]:
    body = {"decisions": [{**item, "application_id": str(item["application_id"])} for item in items]}
    response = scoring.client.post(f"/api/v1/calls/{call}/decisions", json=body, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def events(scoring: Scoring, subject: str) -> list[dict[str, Any]]:
    rows = scoring.sql("SELECT payload FROM outbox WHERE subject = :s ORDER BY seq", s=subject)
    return [json.loads(row[0])["data"] for row in rows]


def awarded_total(scoring: Scoring, call: uuid.UUID) -> Decimal:
    return Decimal(str(scoring.sql("SELECT awarded_total FROM calls WHERE id = :c", c=call.hex)[0][0]))


def test_a_call_without_a_quorum_decides_as_before_with_one_member() -> None:
    from shared.events.calls import CallSpec
    from tests.support.samples import call_body

    body = call_body()
    del body["committee_quorum"]
    assert CallSpec.model_validate(body).committee_quorum == 1


def test_a_decision_is_applied_when_the_quorum_th_distinct_member_agrees(scoring: Scoring) -> None:
    call = scoring.open_call(reviewers_per_application=1, committee_quorum=2)
    application = scored(scoring, scoring_call := call, scoring.add_officer())
    first, second = member(), member()
    award = {"application_id": application, "decision": "award", "reason": "Strong plan."}

    one = decide(scoring, call, first, award)
    assert one["accepted"] == [] and one["refused"] == []
    (pending,) = one["proposed"]
    assert (pending["decision"], pending["amount"], pending["approvals"], pending["quorum"]) == (
        "awarded",
        "18000.00",
        1,
        2,
    )
    assert events(scoring, DECIDED) == [] and awarded_total(scoring, scoring_call) == 0
    assert [e["approvals"] for e in events(scoring, PROPOSED)] == [1]
    ranking = scoring.client.get(f"/api/v1/calls/{call}/ranking", headers=COMMITTEE).json()["items"]
    assert ranking[0]["status"] == "scored"
    listed = scoring.client.get(f"/api/v1/calls/{call}/decisions/proposals", headers=second).json()["items"]
    assert [(p["application_id"], p["approvals"], p["status"], p["competing"]) for p in listed] == [
        (str(application), 1, "open", False)
    ]

    again = decide(scoring, call, first, award)  # the same member twice counts once
    assert again["accepted"] == [] and again["proposed"][0]["approvals"] == 1
    assert len(events(scoring, PROPOSED)) == 1  # a repeat changes nothing

    # the same decision at the same figure given explicitly is the same decision
    two = decide(scoring, call, second, {"application_id": application, "decision": "award", "amount": "18000"})
    assert [(a["application_id"], a["decision"], a["amount"]) for a in two["accepted"]] == [
        (str(application), "awarded", "18000.00")
    ]
    assert two["proposed"] == []
    assert [(e["decision"], e["amount"]) for e in events(scoring, DECIDED)] == [("awarded", "18000.00")]
    assert awarded_total(scoring, call) == Decimal("18000")
    statuses = scoring.sql("SELECT status FROM decision_proposals WHERE application_id = :a", a=application.hex)
    assert sorted(s for (s,) in statuses) == ["applied", "applied"]
    audit = scoring.sql("SELECT action, entity_type, after FROM audit_log ORDER BY id")
    assert [(a, e) for a, e, _ in audit if a.startswith("decision")] == [("decision.proposed", "decision_proposal")]
    (decided,) = [json.loads(x) if isinstance(x, str) else x for a, _, x in audit if a == "application.decided"]
    assert decided["quorum"] == 2 and len(decided["approved_by"]) == 2
    assert scoring.client.get(f"/api/v1/calls/{call}/decisions/proposals", headers=first).json()["items"] == []


def test_different_decisions_compete_and_a_member_may_change_theirs(scoring: Scoring) -> None:
    call = scoring.open_call(reviewers_per_application=1, committee_quorum=2)
    application = scored(scoring, call, scoring.add_officer())
    first, second, third = member(), member(), member()
    decide(scoring, call, first, {"application_id": application, "decision": "award"})
    lower = decide(scoring, call, second, {"application_id": application, "decision": "award", "amount": "15000.00"})
    assert lower["accepted"] == [] and lower["proposed"][0]["approvals"] == 1  # another amount: competing
    listed = scoring.client.get(f"/api/v1/calls/{call}/decisions/proposals", headers=third).json()["items"]
    assert [(p["amount"], p["competing"]) for p in listed] == [("18000.00", True), ("15000.00", True)]

    changed = decide(scoring, call, first, {"application_id": application, "decision": "reject"})
    assert changed["proposed"][0]["approvals"] == 1  # their award is withdrawn, not counted twice
    rejected = decide(scoring, call, third, {"application_id": application, "decision": "reject"})
    assert [a["decision"] for a in rejected["accepted"]] == ["rejected"]
    assert [e["decision"] for e in events(scoring, DECIDED)] == ["rejected"] and awarded_total(scoring, call) == 0
    statuses = dict(
        scoring.sql("SELECT proposed_by, status FROM decision_proposals WHERE decision = 'awarded' AND amount IS NULL")
    )
    assert statuses == {}  # awards carry the amount they would be made at
    rows = scoring.sql("SELECT decision, status FROM decision_proposals ORDER BY proposed_at")
    assert [tuple(r) for r in rows] == [
        ("awarded", "withdrawn"),
        ("awarded", "superseded"),
        ("rejected", "applied"),
        ("rejected", "applied"),
    ]


def test_a_recused_member_is_refused_and_does_not_count(scoring: Scoring) -> None:
    call = scoring.open_call(reviewers_per_application=1, committee_quorum=2)
    application = scored(scoring, call, scoring.add_officer())
    conflicted, other, third = member(), member(), member()
    decide(scoring, call, conflicted, {"application_id": application, "decision": "award"})
    url = f"/api/v1/calls/{call}/decisions/recusals"
    body = {"application_id": str(application), "reason": "My cousin owns it."}
    response = scoring.client.post(url, json=body, headers=conflicted)
    assert response.status_code == 201, response.text
    assert response.json()["withdrawn_proposals"] == 1
    assert scoring.client.post(url, json=body, headers=conflicted).json()["code"] == "already_recused"
    assert scoring.client.post(url, json=body, headers=bearer(Role.officer)).status_code == 403
    foreign = {"application_id": str(uuid.uuid4()), "reason": "Not in this call."}
    assert scoring.client.post(url, json=foreign, headers=other).status_code == 404

    refused = decide(scoring, call, conflicted, {"application_id": application, "decision": "award"})
    assert refused["refused"] == [{"application_id": str(application), "reason": "recused"}]
    alone = decide(scoring, call, other, {"application_id": application, "decision": "award"})
    assert alone["accepted"] == [] and alone["proposed"][0]["approvals"] == 1  # the recused one's is gone
    assert events(scoring, DECIDED) == []
    done = decide(scoring, call, third, {"application_id": application, "decision": "award"})
    assert len(done["accepted"]) == 1
    assert "committee.recused" in [a for (a,) in scoring.sql("SELECT action FROM audit_log")]


def test_the_budget_is_checked_when_the_quorum_applies_an_award(scoring: Scoring) -> None:
    call = scoring.open_call(reviewers_per_application=1, committee_quorum=2, budget="30000.00")
    officer = scoring.add_officer()
    first_app, second_app = scored(scoring, call, officer), scored(scoring, call, officer)
    a, b = member(), member()
    # both awards proposed while each still fits (18000 of 30000 each)
    assert decide(scoring, call, a, {"application_id": first_app, "decision": "award"})["proposed"]
    assert decide(scoring, call, a, {"application_id": second_app, "decision": "award"})["proposed"]
    assert len(decide(scoring, call, b, {"application_id": first_app, "decision": "award"})["accepted"]) == 1
    late = decide(scoring, call, b, {"application_id": second_app, "decision": "award"})
    assert late["accepted"] == [] and late["refused"] == [
        {"application_id": str(second_app), "reason": "budget_exceeded"}
    ]
    assert awarded_total(scoring, call) == Decimal("18000") and len(events(scoring, DECIDED)) == 1


def test_a_quorum_of_one_decides_at_once(scoring: Scoring) -> None:
    call = scoring.open_call(reviewers_per_application=1, committee_quorum=1)
    application = scored(scoring, call, scoring.add_officer())
    result = decide(scoring, call, member(), {"application_id": application, "decision": "waitlist"})
    assert [a["decision"] for a in result["accepted"]] == ["waitlisted"] and result["proposed"] == []
    assert events(scoring, PROPOSED) == []
