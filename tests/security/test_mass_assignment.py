"""Mass assignment: a body that carries a field the caller may not set (`status`, `score`,
`amount`, `approved_by`, `reference`, `id`, `applicant_id`, a role, or any unknown field) is 422
naming that field, and the object is the same when read again. Routes that take no body refuse
one with fields too (`shared.http.refuse_unexpected_body`), rather than ignore it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.security.seed import PASSWORD, PAYEE, Seeded, now, today
from tests.support.gateway import assert_problem, unique_email
from tests.support.samples import application_body, call_body

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]
SOMEONE = str(uuid.uuid4())


@dataclass(frozen=True)
class Case:
    """`principal` sends `body` (placeholders `{name}` in the path are world A's objects, or the
    shared ones) and gets 422 naming `field`; `reread` (principal, path) reads the same before and after."""

    principal: str
    method: str
    path: str
    body: dict[str, Any]
    field: list[str | int]
    reread: tuple[str, str] | None = None


APPLICATION = ("applicant_a", "/api/v1/applications/{draft}")
GRANT = ("officer", "/api/v1/grants/{grant}")
MONITORING = ("monitor", "/api/v1/grants/{grant}/monitoring")
REVIEW = ("officer", "/api/v1/reviews/{review}")
PAYMENT = ("finance", "/api/v1/payments/{instruction}")
VISIT = {"visited_on": "{today}", "kind": "verification", "findings": "Seen."}
FLAG = {"reason": "Books not kept.", "hold_payments": False}


def cases() -> dict[str, Case]:
    found = {
        # Applications: create, patch, and the actions without a body.
        **{
            f"create with {f}": Case("applicant_a", "POST", "/api/v1/applications", {"call_id": "{call}", f: v}, [f])
            for f, v in (
                ("status", "submitted"),
                ("reference", "EDF-X-1"),
                ("id", SOMEONE),
                ("applicant_id", SOMEONE),
                ("score", 100),
                ("amount", "1.00"),
                ("surprise", 1),
            )
        },
        "create with plan.approved_amount": Case(
            "applicant_a",
            "POST",
            "/api/v1/applications",
            {"call_id": "{call}", "plan": {"approved_amount": "30000.00"}},
            ["plan", "approved_amount"],
        ),
        **{
            f"patch with {f}": Case("applicant_a", "PATCH", "/api/v1/applications/{draft}", {f: v}, [f], APPLICATION)
            for f, v in (
                ("status", "awarded"),
                ("reference", "EDF-X-1"),
                ("applicant_id", SOMEONE),
                ("call_id", SOMEONE),
                ("screening", {"eligible": True}),
                ("submitted_at", "{now}"),
                ("outcome", {"decision": "awarded"}),
                ("id", SOMEONE),
            )
        },
        "patch with owner.national_id_last4": Case(
            "applicant_a",
            "PATCH",
            "/api/v1/applications/{draft}",
            {"owner": {"national_id_last4": "0042"}},
            ["owner", "national_id_last4"],
            APPLICATION,
        ),
        "submit with status": Case(
            "applicant_a",
            "POST",
            "/api/v1/applications/{fresh}/submit",
            {"status": "awarded"},
            ["status"],
            ("applicant_a", "/api/v1/applications/{fresh}"),
        ),
        "withdraw with status": Case(
            "applicant_a",
            "POST",
            "/api/v1/applications/{fresh}/withdraw",
            {"status": "draft"},
            ["status"],
            ("applicant_a", "/api/v1/applications/{fresh}"),
        ),
        # Reviews.
        **{
            f"review draft with {f}": Case(
                "officer", "PUT", "/api/v1/reviews/{review}", {"scores": {}, f: v}, [f], REVIEW
            )
            for f, v in (
                ("status", "submitted"),
                ("score", 100),
                ("weighted_score", "100"),
                ("officer_id", SOMEONE),
                ("application_id", SOMEONE),
            )
        },
        "review submit with score": Case(
            "officer",
            "POST",
            "/api/v1/reviews/{review}/submit",
            {"scores": {"jobs": 5, "viability": 10}, "score": 100},
            ["score"],
            REVIEW,
        ),
        "recusal with status": Case(
            "officer",
            "POST",
            "/api/v1/reviews/{review}/recuse",
            {"reason": "A cousin.", "status": "pending"},
            ["status"],
            REVIEW,
        ),
        # Committee decisions.
        "decision with approved_by": Case(
            "committee",
            "POST",
            "/api/v1/calls/{call}/decisions",
            {"decisions": [{"application_id": "{awarded}", "decision": "reject", "approved_by": SOMEONE}]},
            ["decisions", 0, "approved_by"],
            ("applicant_a", "/api/v1/applications/{awarded}"),
        ),
        "decision with score": Case(
            "committee",
            "POST",
            "/api/v1/calls/{call}/decisions",
            {"decisions": [{"application_id": "{awarded}", "decision": "award", "score": 100}]},
            ["decisions", 0, "score"],
            ("applicant_a", "/api/v1/applications/{awarded}"),
        ),
        # Tranches, payees, payments.
        "tranche request with status": Case(
            "officer",
            "POST",
            "/api/v1/tranches/{tranche}/request",
            {"status": "approved", "amount": "1.00"},
            ["status"],
            GRANT,
        ),
        "tranche approve with approved_by": Case(
            "finance", "POST", "/api/v1/tranches/{tranche}/approve", {"approved_by": SOMEONE}, ["approved_by"], GRANT
        ),
        **{
            f"payee with {f}": Case("applicant_a", "PUT", "/api/v1/grants/{grant}/payee", {**PAYEE, f: v}, [f], GRANT)
            for f, v in (("id", SOMEONE), ("recorded_by", SOMEONE), ("verified", True), ("grant_id", SOMEONE))
        },
        **{
            f"settlement with {f}": Case(
                "finance",
                "POST",
                "/api/v1/payments/{instruction}/settlement",
                {"status": "settled", "at": "{now}", f: v},
                [f],
                PAYMENT,
            )
            for f, v in (("amount", "1.00"), ("instruction_id", SOMEONE))
        },
        # Monitoring.
        **{
            f"visit with {f}": Case(
                "monitor", "POST", "/api/v1/grants/{grant}/visits", {**VISIT, f: v}, [f], MONITORING
            )
            for f, v in (("id", SOMEONE), ("recorded_by", SOMEONE), ("jobs_verified", 50), ("grant_id", SOMEONE))
        },
        "visit with jobs[0].id": Case(
            "monitor",
            "POST",
            "/api/v1/grants/{grant}/visits",
            {
                **VISIT,
                "jobs": [
                    {
                        "id": SOMEONE,
                        "sex": "female",
                        "age_group": "18-24",
                        "displacement_status": "idp",
                        "start_date": "{today}",
                    }
                ],
            },
            ["jobs", 0, "id"],
            MONITORING,
        ),
        **{
            f"flag with {f}": Case("monitor", "POST", "/api/v1/grants/{grant}/flags", {**FLAG, f: v}, [f], MONITORING)
            for f, v in (("status", "resolved"), ("resolved_by", SOMEONE), ("raised_by", SOMEONE), ("id", SOMEONE))
        },
        "flag resolve with resolved_by": Case(
            "monitor", "POST", "/api/v1/flags/{flag}/resolve", {"resolved_by": SOMEONE}, ["resolved_by"], MONITORING
        ),
        "milestone verify with verified_by": Case(
            "monitor",
            "POST",
            "/api/v1/grants/{grant}/milestones/jobs_filled/verify",
            {"verified_by": SOMEONE},
            ["verified_by"],
            MONITORING,
        ),
        # Calls.
        "call open with status": Case(
            "admin",
            "POST",
            "/api/v1/calls/{draft_call}/open",
            {"status": "closed"},
            ["status"],
            ("admin", "/api/v1/calls/{draft_call}"),
        ),
        **{
            f"call with {f}": Case("admin", "POST", "/api/v1/calls", {**call_body(), f: v}, [f])
            for f, v in (("status", "open"), ("id", SOMEONE), ("opened_at", "{now}"), ("budget_spent", "1.00"))
        },
        # Accounts: role escalation.
        **{
            f"sign-up with {f}": Case(
                "anonymous",
                "POST",
                "/api/v1/auth/register",
                {"email": "{email}", "password": PASSWORD, "full_name": "Eager", f: v},
                [f],
            )
            for f, v in (("role", "admin"), ("is_active", True), ("id", SOMEONE), ("password_hash", "x"))
        },
        **{
            f"new user with {f}": Case(
                "admin",
                "POST",
                "/api/v1/users",
                {"email": "{email}", "password": PASSWORD, "full_name": "Staff", "role": "officer", f: v},
                [f],
            )
            for f, v in (("id", SOMEONE), ("is_active", False), ("created_at", "{now}"))
        },
    }
    return found


CASES = cases()


def fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**names) if "{" in value else value
    if isinstance(value, dict):
        return {k: fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, names) for v in value]
    return value


@pytest.fixture(scope="module")
def names(seeded: Seeded) -> dict[str, str]:
    """World A's objects and the shared ones by name, a fresh complete draft, today and now."""
    fresh = seeded.client.post(
        "/api/v1/applications",
        headers=seeded.headers["applicant_a"],
        json=application_body(seeded.shared["create_call"]),  # one application per account and call
    )
    assert fresh.status_code == 201, fresh.text
    return {
        **seeded.shared,
        **seeded.worlds["A"],
        "fresh": fresh.json()["id"],
        "today": today(),
        "now": now(),
        "email": unique_email("escalation"),
    }


@pytest.mark.parametrize("name", list(CASES))
def test_a_field_the_caller_may_not_set_is_422_and_changes_nothing(
    name: str, seeded: Seeded, names: dict[str, str]
) -> None:
    case = CASES[name]
    client, headers = seeded.client, seeded.headers[case.principal]
    reread = (seeded.headers[case.reread[0]], fill(case.reread[1], names)) if case.reread else None
    before = client.get(reread[1], headers=reread[0]).json() if reread else None
    response = client.request(case.method, fill(case.path, names), headers=headers, json=fill(case.body, names))
    problem = assert_problem(response, 422)
    assert ["body", *case.field] in [e["loc"] for e in problem["errors"]], problem
    if reread:
        assert client.get(reread[1], headers=reread[0]).json() == before


def test_a_refused_sign_up_as_admin_made_no_account(seeded: Seeded) -> None:
    email = unique_email("escalation")
    response = seeded.client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "full_name": "Eager", "role": "admin"}
    )
    assert_problem(response, 422)
    signed_in = seeded.client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert_problem(signed_in, 401)
    registered = seeded.client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "full_name": "Eager"}
    )
    assert registered.status_code == 201 and registered.json()["role"] == "applicant"


def test_sign_in_form_fields_cannot_choose_the_role(seeded: Seeded) -> None:
    """The OAuth2 form's extra fields (`role`, `scope`) give nothing: the token says the account's role."""
    form = {
        "username": seeded.emails["applicant_c"],
        "password": PASSWORD,
        "role": "admin",
        "scope": "admin",
        "sub": SOMEONE,
    }
    response = seeded.client.post("/api/v1/auth/token", data=form)
    assert response.status_code == 200, response.text
    me = seeded.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"})
    assert me.json()["role"] == "applicant" and me.json()["id"] != SOMEONE


def test_a_refused_call_was_not_made(seeded: Seeded) -> None:
    body = {**call_body(), "status": "open"}
    assert_problem(seeded.client.post("/api/v1/calls", json=body, headers=seeded.headers["admin"]), 422)
    codes, cursor = [], None
    while True:
        page = seeded.client.get(
            "/api/v1/calls",
            headers=seeded.headers["admin"],
            params={"limit": 200, **({"cursor": cursor} if cursor else {})},
        ).json()
        codes += [c["code"] for c in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert body["code"] not in codes and seeded.shared["call"]
