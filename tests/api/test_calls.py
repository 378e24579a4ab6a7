"""Calls through the applications service's API, against a migrated database (SQLite and
PostgreSQL). NATS is not needed here: the outbox keeps the events."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from shared.auth import Role
from tests.support.apps import bearer, running_app
from tests.support.samples import call_body

ADMIN = bearer(Role.admin)
NOBODY_LISTENS = "nats://127.0.0.1:9"


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with running_app("applications", database_url, NOBODY_LISTENS) as client:
        yield client


def create(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/calls", json=call_body(**overrides), headers=ADMIN)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_admin_creates_a_draft_call_and_reads_it_back(client: TestClient) -> None:
    call = create(client)
    assert call["status"] == "draft"
    assert call["budget"] == "500000.00"
    fetched = client.get(f"/api/v1/calls/{call['id']}", headers=bearer(Role.officer)).json()
    assert fetched["code"] == call["code"]
    assert fetched["rubric"][1]["weight"] == "0.6"


def _rubric(*weights: str) -> list[dict[str, Any]]:
    label = {"en": "x", "ar": "س"}
    return [{"key": f"k{i}", "label": label, "weight": w, "max_score": 5} for i, w in enumerate(weights)]


INVALID: list[tuple[str, dict[str, Any], list[str]]] = [
    ("weights", {"rubric": _rubric("0.5", "0.4")}, ["body", "rubric"]),
    (
        "tranches",
        {"tranche_plan": [{"percent": "60", "milestone": "a"}, {"percent": "30", "milestone": "b"}]},
        ["body", "tranche_plan"],
    ),
    ("window", {"opens_at": "2026-05-01T00:00:00Z", "closes_at": "2026-04-01T00:00:00Z"}, ["body", "closes_at"]),
    ("governorate", {"eligibility": {"governorates": ["IQ-XX"]}}, ["body", "eligibility", "governorates", 0]),
    ("min above max", {"grant_min": "40000.00", "grant_max": "30000.00"}, ["body", "grant_min"]),
    ("max above budget", {"grant_max": "600000.00"}, ["body", "grant_max"]),
    ("float money", {"budget": 500000.5}, ["body", "budget"]),
    ("too many decimals", {"budget": "500000.001"}, ["body", "budget"]),
    ("naive time", {"opens_at": "2026-05-01T00:00:00"}, ["body", "opens_at"]),
    ("unknown field", {"status": "open"}, ["body", "status"]),
    ("bad code", {"code": "nin 24"}, ["body", "code"]),
]


@pytest.mark.parametrize(("case", "overrides", "loc"), INVALID, ids=[c[0] for c in INVALID])
def test_each_call_rule_gives_422_naming_the_field(
    client: TestClient, case: str, overrides: dict[str, Any], loc: list[Any]
) -> None:
    response = client.post("/api/v1/calls", json=call_body(**overrides), headers=ADMIN)
    assert response.status_code == 422, case
    assert response.headers["content-type"] == "application/problem+json"
    assert loc in [error["loc"] for error in response.json()["errors"]]


def test_all_cross_field_rules_are_reported_at_once(client: TestClient) -> None:
    body = call_body(rubric=_rubric("0.5"), grant_max="600000.00")
    errors = client.post("/api/v1/calls", json=body, headers=ADMIN).json()["errors"]
    assert {tuple(e["loc"]) for e in errors} >= {("body", "rubric"), ("body", "grant_max")}


@pytest.mark.parametrize("role", [Role.applicant, Role.officer, Role.committee, Role.finance, Role.monitor])
def test_only_admins_create_open_and_close(client: TestClient, role: Role) -> None:
    call = create(client)
    assert client.post("/api/v1/calls", json=call_body(), headers=bearer(role)).status_code == 403
    assert client.post(f"/api/v1/calls/{call['id']}/open", headers=bearer(role)).status_code == 403
    assert client.post(f"/api/v1/calls/{call['id']}/close", headers=bearer(role)).status_code == 403


def test_anonymous_create_is_401(client: TestClient) -> None:
    response = client.post("/api/v1/calls", json=call_body())
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_unknown_call_is_404(client: TestClient) -> None:
    unknown = uuid.uuid4()
    assert client.get(f"/api/v1/calls/{unknown}", headers=ADMIN).status_code == 404
    assert client.post(f"/api/v1/calls/{unknown}/open", headers=ADMIN).status_code == 404
    assert client.get("/api/v1/calls/not-a-uuid", headers=ADMIN).status_code == 422


def test_duplicate_code_is_409(client: TestClient) -> None:
    call = create(client)
    assert client.post("/api/v1/calls", json=call_body(code=call["code"]), headers=ADMIN).status_code == 409


def test_lifecycle_draft_open_closed_with_state_conflicts(client: TestClient, database_url: str) -> None:
    call = create(client)
    assert client.post(f"/api/v1/calls/{call['id']}/close", headers=ADMIN).status_code == 409
    opened = client.post(f"/api/v1/calls/{call['id']}/open", headers=ADMIN)
    assert opened.json()["status"] == "open"
    assert client.post(f"/api/v1/calls/{call['id']}/open", headers=ADMIN).status_code == 409
    assert client.post(f"/api/v1/calls/{call['id']}/close", headers=ADMIN).json()["status"] == "closed"
    engine = create_engine(database_url)
    with engine.connect() as connection:
        subjects = connection.execute(text("SELECT subject FROM outbox ORDER BY seq")).scalars().all()
        actions = (
            connection.execute(
                text("SELECT action FROM audit_log WHERE entity_id = :id ORDER BY id"), {"id": call["id"]}
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert subjects == ["edf.applications.call.opened.v1", "edf.applications.call.closed.v1"]
    assert actions == ["call.created", "call.opened", "call.closed"]


def test_a_call_whose_window_has_passed_cannot_be_opened(client: TestClient) -> None:
    call = create(client, opens_at="2020-01-01T00:00:00Z", closes_at="2020-02-01T00:00:00Z")
    assert client.post(f"/api/v1/calls/{call['id']}/open", headers=ADMIN).status_code == 409


def test_anyone_sees_open_calls_only_staff_see_drafts(client: TestClient) -> None:
    draft = create(client)
    opened = create(client)
    client.post(f"/api/v1/calls/{opened['id']}/open", headers=ADMIN)
    public_codes = {c["code"] for c in client.get("/api/v1/calls").json()["items"]}
    assert opened["code"] in public_codes and draft["code"] not in public_codes
    assert client.get(f"/api/v1/calls/{draft['id']}", headers=bearer(Role.applicant)).status_code == 404
    assert client.get(f"/api/v1/calls/{draft['id']}").status_code == 404
    staff_codes = {c["code"] for c in client.get("/api/v1/calls", headers=bearer(Role.officer)).json()["items"]}
    assert {draft["code"], opened["code"]} <= staff_codes


def test_list_pages_with_a_cursor(client: TestClient) -> None:
    codes = {create(client)["code"] for _ in range(3)}
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/calls", params=params, headers=ADMIN).json()
        seen += [c["code"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert codes <= set(seen) and len(seen) == len(set(seen))
    assert client.get("/api/v1/calls", params={"limit": 500}, headers=ADMIN).status_code == 422
