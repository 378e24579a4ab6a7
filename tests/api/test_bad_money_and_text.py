"""Bad input on money and on text that reaches an XML export (#15): through each real app, every
value below on representative money fields is a 422 `application/problem+json` naming the field,
never a 500 (`1E+30` on a submission was one); so are amounts finer than the call's currency,
and control characters in a call's title, a business's name and a payee's name and account."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlmodel import Session

from services.applications.models import Application
from shared.auth import Role
from tests.support.apps import bearer, running_app
from tests.support.disbursement import BANK_PAYEE, disbursement_service
from tests.support.intake import ADMIN, Intake, intake_service
from tests.support.natsd import NatsServer
from tests.support.samples import application_body, call_body

BAD_MONEY: list[Any] = [
    "1E+30",
    "1e3",
    "NaN",
    "Infinity",
    "-Infinity",
    "-0",
    "-0.00",
    "1" * 1000,
    "0." + "1" * 1000,
    "١٢٠٠٠",
    12000.5,
    True,
]
CONTROLS = [chr(code) for code in range(0x20) if chr(code) not in "\t\n\r"]


def refused(response: httpx.Response, loc: list[Any], what: object) -> None:
    assert response.status_code == 422, (what, response.status_code, response.text[:300])
    assert response.headers["content-type"] == "application/problem+json"
    assert loc in [error["loc"] for error in response.json()["errors"]], (what, response.json()["errors"])


def with_value(body: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    """A copy of `body` with `value` at `path` (keys and list indices)."""
    copy: Any = {**body}
    node = copy
    for step in path[:-1]:
        child = node[step]
        node[step] = child = [*child] if isinstance(child, list) else {**child}
        node = child
    node[path[-1]] = value
    return dict(copy)


@pytest.fixture
def intake(database_url: str, own_nats: NatsServer, tmp_path: Path) -> Iterator[Intake]:
    with intake_service(database_url, own_nats.url, tmp_path) as service:
        yield service


CALL_MONEY: list[list[Any]] = [
    ["budget"],
    ["grant_min"],
    ["grant_max"],
    ["divergence_threshold"],
    ["tranche_plan", 0, "percent"],
]


def test_a_call_refuses_each_bad_amount_naming_the_field(intake: Intake) -> None:
    paths: list[list[Any]] = [*CALL_MONEY, ["rubric", 0, "weight"], ["eligibility", "min_co_contribution_percent"]]
    for path in paths:
        for bad in BAD_MONEY:
            response = intake.client.post("/api/v1/calls", json=with_value(call_body(), path, bad), headers=ADMIN)
            refused(response, ["body", *path], (path, bad))


def test_a_call_refuses_amounts_finer_than_its_currency(intake: Intake) -> None:
    whole_dinars = {"currency": "IQD", "currency_exponent": 0}
    cases: list[tuple[list[Any], str]] = [
        (["budget"], "500000.5"),
        (["grant_min"], "5000.25"),
        (["grant_max"], "30000.001"),
    ]
    for path, value in cases:
        response = intake.client.post(
            "/api/v1/calls", json=with_value(call_body(**whole_dinars), path, value), headers=ADMIN
        )
        refused(response, ["body", *path], value)


def test_a_call_refuses_each_control_character_in_its_title(intake: Intake) -> None:
    for control in CONTROLS:
        for lang in ("en", "ar"):
            body = with_value(call_body(), ["title", lang], f"Small{control}grants")
            refused(intake.client.post("/api/v1/calls", json=body, headers=ADMIN), ["body", "title", lang], control)
    kept = intake.client.post("/api/v1/calls", json=with_value(call_body(), ["title", "en"], "A\ttab"), headers=ADMIN)
    assert kept.status_code == 201, kept.text


PLAN_MONEY: list[list[Any]] = [
    ["plan", "requested_amount"],
    ["plan", "co_contribution"],
    ["plan", "budget_lines", 0, "unit_cost"],
]


def test_a_draft_refuses_each_bad_amount_on_create_and_patch(intake: Intake) -> None:
    draft = intake.draft()
    url = f"/api/v1/applications/{draft['id']}"
    for path in PLAN_MONEY:
        for bad in BAD_MONEY:
            body = with_value(application_body(intake.call["id"]), path, bad)
            created = intake.client.post("/api/v1/applications", json=body, headers=intake.applicant)
            refused(created, ["body", *path], (path, bad))
            body.pop("call_id")
            refused(intake.client.patch(url, json=body, headers=intake.applicant), ["body", *path], (path, bad))


def test_a_draft_refuses_amounts_finer_than_the_calls_currency(intake: Intake) -> None:
    draft = intake.draft()
    url = f"/api/v1/applications/{draft['id']}"
    for path in PLAN_MONEY:
        body = with_value(application_body(intake.call["id"]), path, "18000.001")  # the sample call is in USD
        refused(intake.client.post("/api/v1/applications", json=body, headers=intake.applicant), ["body", *path], path)
        body.pop("call_id")
        refused(intake.client.patch(url, json=body, headers=intake.applicant), ["body", *path], path)
    assert intake.client.get(url, headers=intake.applicant).json()["plan"]["requested_amount"] == "18000.00"
    whole = intake.open_call(currency="IQD", currency_exponent=0, budget="500000", grant_min="5000", grant_max="30000")
    body = application_body(whole["id"], plan={**application_body(whole["id"])["plan"], "requested_amount": "18000.50"})
    refused(
        intake.client.post("/api/v1/applications", json=body, headers=intake.applicant),
        ["body", "plan", "requested_amount"],
        "IQD",
    )


def test_an_amount_stored_before_these_rules_fails_submission_with_422_not_500(intake: Intake) -> None:
    draft = intake.draft()
    engine = create_engine(intake.database_url)
    with Session(engine) as session:
        application = session.get(Application, uuid.UUID(draft["id"]))
        assert application is not None
        application.plan = {**application.plan, "requested_amount": "1E+30"}
        session.add(application)
        session.commit()
    engine.dispose()
    submitted = intake.client.post(f"/api/v1/applications/{draft['id']}/submit", headers=intake.applicant)
    refused(submitted, ["body", "plan", "requested_amount"], "1E+30")


def test_a_business_name_refuses_each_control_character(intake: Intake) -> None:
    draft = intake.draft()
    for control in CONTROLS:
        body = {"business": {"name": f"Mosul{control}Bakery"}}
        response = intake.client.patch(f"/api/v1/applications/{draft['id']}", json=body, headers=intake.applicant)
        refused(response, ["body", "business", "name"], control)


@pytest.fixture
def scoring(database_url: str, own_nats: NatsServer) -> Iterator[TestClient]:
    with running_app("scoring", database_url, own_nats.url) as client:
        yield client


def test_a_decision_refuses_each_bad_amount(scoring: TestClient) -> None:
    url = f"/api/v1/calls/{uuid.uuid4()}/decisions"
    for bad in BAD_MONEY:
        item = {"application_id": str(uuid.uuid4()), "decision": "award", "amount": bad}
        response = scoring.post(url, json={"decisions": [item]}, headers=bearer(Role.committee))
        refused(response, ["body", "decisions", 0, "amount"], bad)


def test_a_payee_refuses_each_control_character_in_its_name_and_account(
    database_url: str, own_nats: NatsServer
) -> None:
    with disbursement_service(database_url, own_nats.url) as service:
        grant_id = str(uuid.uuid4())  # the body is refused before the grant is looked for
        for control in CONTROLS:
            for field in ("account_holder", "bank_name", "iban"):
                fields: dict[str, Any] = {field: f"{BANK_PAYEE[field][:4]}{control}{BANK_PAYEE[field][4:]}"}
                response = service.set_payee(grant_id, None, **fields)
                refused(response, ["body", field], (field, control))
