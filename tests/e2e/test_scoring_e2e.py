"""Scoring with the whole stack as processes, driven only through the gateway and NATS: officers
created by the admin get the submitted applications, score them blind, the committee awards,
`application.decided.v1` is on the stream and the applicant's status says `awarded`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest

from tests.support.jetstream import stream_messages
from tests.support.samples import application_body, call_body
from tests.support.stack import Stack, running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
T = TypeVar("T")
PASSWORD = "a long password 1"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


def eventually(check: Callable[[], T | None], timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s")


def staff(stack: Stack, admin: dict[str, str], role: str) -> dict[str, str]:
    email = f"{role}-{time.time_ns()}@example.org"
    created = httpx.post(
        f"{stack.gateway}/api/v1/users",
        headers=admin,
        json={"email": email, "password": PASSWORD, "full_name": f"Test {role}", "role": role},
    )
    assert created.status_code == 201, created.text
    return stack.token(email, PASSWORD)


def applicant(stack: Stack, name: str) -> dict[str, str]:
    email = f"{name.split()[0].lower()}-{time.time_ns()}@example.org"
    created = httpx.post(
        f"{stack.gateway}/api/v1/auth/register", json={"email": email, "password": PASSWORD, "full_name": name}
    )
    assert created.status_code == 201, created.text
    return stack.token(email, PASSWORD)


def test_submitted_applications_are_scored_blind_and_awarded_through_the_gateway(stack: Stack) -> None:
    api = f"{stack.gateway}/api/v1"
    admin = stack.token()
    call = httpx.post(
        f"{api}/calls", json=call_body(reviewers_per_application=2, budget="40000.00"), headers=admin
    ).json()
    assert httpx.post(f"{api}/calls/{call['id']}/open", headers=admin).status_code == 200
    officers = [staff(stack, admin, "officer") for _ in range(2)]
    committee = staff(stack, admin, "committee")

    people = {name: applicant(stack, name) for name in ("Layla Hassan", "Omar Saleh")}
    submitted: dict[str, dict[str, Any]] = {}
    for name, headers in people.items():
        body = application_body(call["id"], owner={"full_name": name})
        draft = httpx.post(f"{api}/applications", json=body, headers=headers).json()
        assert httpx.post(f"{api}/applications/{draft['id']}/submit", headers=headers).status_code == 200
        submitted[name] = {**draft, "body": body}
    ids = {d["id"] for d in submitted.values()}

    def queue(officer: dict[str, str]) -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = httpx.get(f"{api}/reviews", params={"status": "pending"}, headers=officer).json()[
            "items"
        ]
        return items if {i["application_id"] for i in items} >= ids else None

    queues = [eventually(lambda o=o: queue(o)) for o in officers]  # type: ignore[misc]
    raw = json.dumps(queues)
    for name, draft in submitted.items():
        owner, business = draft["body"]["owner"], draft["body"]["business"]
        for secret in (name, owner["national_id"], owner["phone"], business["name"], business["registration_number"]):
            assert secret not in raw, "a reviewer saw personal data"
    for name, headers in people.items():
        status = eventually(
            lambda h=headers, i=submitted[name]["id"]: (  # type: ignore[misc]
                s if (s := httpx.get(f"{api}/applications/{i}", headers=h).json()["status"]) == "under_review" else None
            )
        )
        assert status == "under_review"

    for officer, items in zip(officers, queues, strict=True):
        for item in items:
            if item["application_id"] in ids:
                scores = (
                    {"jobs": 5, "viability": 9}
                    if item["application_id"] == submitted["Layla Hassan"]["id"]
                    else {"jobs": 3, "viability": 7}
                )
                response = httpx.post(f"{api}/reviews/{item['id']}/submit", json={"scores": scores}, headers=officer)
                assert response.status_code == 200, response.text

    layla = submitted["Layla Hassan"]["id"]
    eventually(
        lambda: httpx.get(f"{api}/applications/{layla}", headers=people["Layla Hassan"]).json()["status"] == "scored"
    )
    ranking = httpx.get(f"{api}/calls/{call['id']}/ranking", headers=committee).json()["items"]
    assert [r["application_id"] for r in ranking][:1] == [layla] and ranking[0]["score"] == "94.00"
    selection = httpx.get(f"{api}/calls/{call['id']}/selection", headers=committee).json()
    assert selection["proposed"][0]["application_id"] == layla

    decided = httpx.post(
        f"{api}/calls/{call['id']}/decisions",
        headers=committee,
        json={"decisions": [{"application_id": layla, "decision": "award", "reason": "Best plan"}]},
    )
    assert decided.status_code == 200 and decided.json()["accepted"][0]["amount"] == "18000.00"
    final = eventually(
        lambda: (
            a
            if (a := httpx.get(f"{api}/applications/{layla}", headers=people["Layla Hassan"]).json())["status"]
            == "awarded"
            else None
        )
    )
    assert final["outcome"]["amount"] == "18000.00"
    events = [json.loads(m.data) for m in stream_messages(stack.nats_url, "EDF_SCORING")]
    decided_events = [e for e in events if e["type"] == "edf.scoring.application.decided.v1" and e["subject"] == layla]
    assert len(decided_events) == 1
    assert {k: decided_events[0]["data"][k] for k in ("decision", "amount", "currency")} == {
        "decision": "awarded",
        "amount": "18000.00",
        "currency": "USD",
    }
    timeline = httpx.get(f"{api}/applications/{layla}/timeline", headers=people["Layla Hassan"]).json()
    kinds = [item["type"] for item in timeline]
    assert {"application.assigned", "application.scored", "application.decided", "application.awarded"} <= set(kinds)
