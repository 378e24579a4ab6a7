"""Reviews: assignment balanced by workload, blind queues, drafts, submission, recusal, divergence."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from shared.auth import Role
from tests.support.apps import bearer
from tests.support.natsd import NatsServer
from tests.support.scoring import COMMITTEE, Scoring, scoring_service

GOOD = {"jobs": 4, "viability": 8}  # 80 points
PROBLEM = "application/problem+json"


@pytest.fixture
def scoring(database_url: str, own_nats: NatsServer) -> Iterator[Scoring]:
    with scoring_service(database_url, own_nats.url) as service:
        yield service


def outbox(scoring: Scoring, subject: str) -> list[dict[str, object]]:
    rows = scoring.sql("SELECT payload FROM outbox WHERE subject = :s ORDER BY seq", s=subject)
    return [json.loads(row[0])["data"] for row in rows]


def test_eligible_applications_get_distinct_officers_balanced_by_open_work(scoring: Scoring) -> None:
    call = scoring.open_call()
    officers = [scoring.add_officer() for _ in range(3)]
    applications = [scoring.submit(call) for _ in range(6)]
    ineligible = scoring.submit(call, eligible=False)
    queues = {i: scoring.queue(o) for i, o in enumerate(officers)}
    assert sorted(len(q) for q in queues.values()) == [4, 4, 4]  # 6 applications x 2 reviewers
    per_application = Counter(item["application_id"] for q in queues.values() for item in q)
    assert per_application == dict.fromkeys(map(str, applications), 2)
    for queue in queues.values():
        assert len({item["application_id"] for item in queue}) == len(queue)  # never twice on one
    assert str(ineligible) not in per_application
    assigned = outbox(scoring, "edf.scoring.application.assigned.v1")
    assert {a["application_id"] for a in assigned} == set(map(str, applications))
    assert all(a["reviewers"] == 2 and a["required"] == 2 for a in assigned)


def test_the_queue_is_blind_and_pages_with_a_cursor(scoring: Scoring) -> None:
    call = scoring.open_call(reviewers_per_application=1)
    officer = scoring.add_officer()
    for _ in range(5):
        scoring.submit(call)
    first = scoring.client.get("/api/v1/reviews", params={"limit": 2}, headers=officer).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    seen = [item["id"] for item in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = scoring.client.get("/api/v1/reviews", params={"limit": 2, "cursor": cursor}, headers=officer).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 5
    application = first["items"][0]["application"]
    assert set(application) == {
        "sector",
        "governorate",
        "district",
        "years_operating",
        "employees_female",
        "employees_male",
        "employees",
        "owner",
        "plan",
        "currency",
    }
    assert set(application["owner"]) == {"sex", "age", "displacement_status"}
    assert "budget_lines" in application["plan"] and application["plan"]["requested_amount"] == "18000.00"
    raw = json.dumps(first).lower()
    for word in ("name", "national", "phone", "registration", "address", "birth_year"):
        assert word not in raw, word
    assert first["items"][0]["assigned_at"].endswith(("Z", "+00:00"))
    bad = scoring.client.get("/api/v1/reviews", params={"cursor": "not-a-cursor"}, headers=officer)
    assert bad.status_code == 422


def test_drafts_submission_and_the_errors(scoring: Scoring) -> None:
    call = scoring.open_call(reviewers_per_application=1)
    officer = scoring.add_officer()
    application = scoring.submit(call)
    review = scoring.queue(officer)[0]
    url = f"/api/v1/reviews/{review['id']}"

    draft = scoring.client.put(url, json={"scores": {"jobs": 3}, "comment": "Solid plan."}, headers=officer)
    assert draft.status_code == 200 and draft.json()["scores"] == {"jobs": 3}
    assert [c["key"] for c in draft.json()["criteria"]] == ["jobs", "viability"]
    out_of_range = scoring.client.put(url, json={"scores": {"viability": 11}}, headers=officer)
    assert out_of_range.status_code == 422 and out_of_range.headers["content-type"].startswith(PROBLEM)
    assert out_of_range.json()["errors"][0]["loc"] == ["body", "scores", "viability"]
    missing = scoring.client.post(f"{url}/submit", headers=officer)
    assert missing.status_code == 422
    assert [e["loc"] for e in missing.json()["errors"]] == [["body", "scores", "viability"]]
    assert scoring.client.get(url, headers=officer).json()["scores"] == {"jobs": 3}  # nothing lost

    other = scoring.add_officer()
    assert scoring.client.get(url, headers=other).status_code == 404
    assert scoring.client.post(f"{url}/submit", json={"scores": GOOD}, headers=other).status_code == 404
    assert scoring.client.get(f"/api/v1/reviews/{uuid.uuid4()}", headers=officer).status_code == 404
    assert scoring.client.get(url, headers=bearer(Role.applicant)).status_code == 403
    assert scoring.client.get(url).status_code == 401

    submitted = scoring.client.post(f"{url}/submit", json={"scores": {"viability": 8}}, headers=officer)
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert scoring.client.post(f"{url}/submit", headers=officer).status_code == 409
    assert scoring.client.put(url, json={"scores": GOOD}, headers=officer).status_code == 409
    assert scoring.client.post(f"{url}/recuse", json={"reason": "too late"}, headers=officer).status_code == 409
    final = scoring.client.get(url, headers=officer).json()
    assert final["status"] == "submitted" and final["score"] == "72.00" and final["comment"] == "Solid plan."
    assert [r["status"] for r in scoring.queue(officer, "submitted")] == ["submitted"]
    assert scoring.queue(officer) == []
    scored = outbox(scoring, "edf.scoring.application.scored.v1")
    assert scored == [
        {
            "application_id": str(application),
            "call_id": str(call),
            "score": "72.00",
            "criteria": {"jobs": "3.00", "viability": "8.00"},
            "reviewers": 1,
            "diverged": False,
        }
    ]


def test_a_recusal_is_kept_and_the_review_goes_to_another_officer(scoring: Scoring) -> None:
    call = scoring.open_call(reviewers_per_application=1)
    first = scoring.add_officer()
    application = scoring.submit(call)
    review = scoring.queue(first)[0]
    recused = scoring.client.post(
        f"/api/v1/reviews/{review['id']}/recuse", json={"reason": "The owner is my cousin."}, headers=first
    )
    assert recused.status_code == 200 and recused.json()["status"] == "recused"
    assert scoring.queue(first) == [] and scoring.queue(first, "recused")[0]["id"] == review["id"]
    assert (
        scoring.client.post(f"/api/v1/reviews/{review['id']}/submit", json={"scores": GOOD}, headers=first).status_code
        == 409
    )
    # Nobody else yet: the place waits for the next officer, who gets it at once.
    second = scoring.add_officer()
    assert [r["application_id"] for r in scoring.queue(second)] == [str(application)]
    assert scoring.score(second, application, GOOD).status_code == 200

    declared = scoring.client.get("/api/v1/reviews/recusals", params={"call_id": str(call)}, headers=COMMITTEE)
    assert declared.status_code == 200
    assert [(d["review_id"], d["reason"]) for d in declared.json()["items"]] == [
        (review["id"], "The owner is my cousin.")
    ]
    assert scoring.client.get("/api/v1/reviews/recusals", headers=first).status_code == 403
    ranking = scoring.client.get(f"/api/v1/calls/{call}/ranking", headers=COMMITTEE).json()["items"]
    assert ranking[0]["recusals"] == 1
    audit = scoring.sql("SELECT actor_id, after FROM audit_log WHERE action = 'review.recused'")
    assert len(audit) == 1 and "cousin" in str(audit[0][1])


def test_reviewers_who_diverge_get_one_more_and_the_result_is_flagged(scoring: Scoring) -> None:
    call = scoring.open_call(divergence_threshold="20")
    officers = [scoring.add_officer() for _ in range(3)]
    application = scoring.submit(call)
    on_it = [o for o in officers if scoring.review_of(o, application)]
    assert len(on_it) == 2
    scoring.score(on_it[0], application, {"jobs": 5, "viability": 10})  # 100
    scoring.score(on_it[1], application, {"jobs": 1, "viability": 4})  # 32
    assert outbox(scoring, "edf.scoring.application.scored.v1") == []
    third = next(o for o in officers if o not in on_it)
    assert [r["application_id"] for r in scoring.queue(third)] == [str(application)]
    assert scoring.score(third, application, {"jobs": 3, "viability": 6}).status_code == 200  # 60
    scored = outbox(scoring, "edf.scoring.application.scored.v1")
    assert len(scored) == 1 and scored[0]["diverged"] is True and scored[0]["reviewers"] == 3
    assert scored[0]["score"] == "64.00"  # (100 + 32 + 60) / 3
    assigned = outbox(scoring, "edf.scoring.application.assigned.v1")
    assert [(a["reviewers"], a["required"]) for a in assigned] == [(2, 2), (3, 3)]


def test_a_withdrawn_application_leaves_the_queues(scoring: Scoring) -> None:
    call = scoring.open_call()
    officers = [scoring.add_officer() for _ in range(2)]
    kept, withdrawn = scoring.submit(call), scoring.submit(call)
    scoring.withdraw(call, withdrawn)
    for officer in officers:
        assert [r["application_id"] for r in scoring.queue(officer)] == [str(kept)]
        assert str(withdrawn) not in {r["application_id"] for r in scoring.queue(officer, None)}
    workloads = scoring.sql("SELECT open_reviews FROM officers")
    assert sorted(w[0] for w in workloads) == [1, 1]


def test_an_inactive_officer_and_other_roles_receive_no_work(scoring: Scoring) -> None:
    call = scoring.open_call(reviewers_per_application=1)
    inactive = scoring.add_officer(active=False)
    application = scoring.submit(call)
    assert scoring.queue(inactive) == []
    assert scoring.sql(
        "SELECT unassigned FROM applications WHERE id = :id",
        id=application.hex if "sqlite" in scoring.database_url else str(application),
    ) == [(1,)]
