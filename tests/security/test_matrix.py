"""The security matrix (`tests/security/matrix.py`) against one running stack: every route of the
merged OpenAPI document, every principal, own and foreign objects."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.security.matrix import ANSWERS, BLIND, COLUMNS, DEFAULT_IDS, DENIED, PAYEE_DATA, ROUTES, R
from tests.security.seed import PASSWORD, SMALL_PDF, WORLD_OBJECTS, Seeded, canary_values, now, payee_of, today
from tests.support.samples import application_body, call_body
from tests.support.stack import ADMIN_PASSWORD
from tests.unit.test_bank_reports import sample as bank_report_sample

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]
PARAMETER = re.compile(r"{([^}]+)}")
PROBLEM = "application/problem+json"
Body = Callable[[Seeded, str, str], dict[str, Any]]
SETTLED_AT = now()


def _json(value: Any) -> Body:
    return lambda *_: {"json": value() if callable(value) else value}


def _sign_in(seeded: Seeded, principal: str, _: str) -> dict[str, Any]:
    """Each principal signs in as itself (anonymous as applicant C), so that no email meets the
    per-email sign-in limit."""
    email = seeded.emails.get(principal, seeded.emails["applicant_c"])
    form = {"username": email, "password": ADMIN_PASSWORD if principal == "admin" else PASSWORD}
    code = seeded.stack.totp.next_code(email)  # staff (and applicants once enrolled) have a second factor
    return {"data": {**form, **({"totp": code} if code else {})}}


def _totp_confirm(seeded: Seeded, principal: str, _: str) -> dict[str, Any]:
    """A fresh enrolment's current code (its secret kept for the next sign-ins); a wrong code for
    a principal whose enrolment cannot start (anonymous: 401, enrolled staff: 409)."""
    started = seeded.client.post("/api/v1/auth/totp", headers=seeded.headers[principal])
    if started.status_code != 201:
        return {"json": {"code": "000000"}}
    email = seeded.emails[principal]
    seeded.stack.totp.save(email, started.json()["secret"])
    return {"json": {"code": seeded.stack.totp.next_code(email)}}


def _unique_email() -> str:
    return f"matrix-{uuid.uuid4().hex[:10]}@security.example"


def _pending_payee(seeded: Seeded, _: str, world: str) -> dict[str, Any]:
    """Records payout details as the second officer (pending: staff recorded them) and names them."""
    grant = seeded.object_id("grant", world)
    payee = payee_of(seeded.owners[world])
    recorded = seeded.client.put(f"/api/v1/grants/{grant}/payee", headers=seeded.others["officer2"], json=payee)
    assert recorded.status_code == 200, recorded.text
    return {"json": {"payee_id": recorded.json()["id"]}}


BODIES: dict[str, Body] = {
    "sign_in": _sign_in,
    "totp_confirm": _totp_confirm,
    "sign_up": _json(lambda: {"email": _unique_email(), "password": PASSWORD, "full_name": "New Applicant"}),
    "new_user": _json(
        lambda: {"email": _unique_email(), "password": PASSWORD, "full_name": "New Monitor", "role": "monitor"}
    ),
    "call": _json(call_body),
    "decisions": _json(lambda: {"decisions": [{"application_id": str(uuid.uuid4()), "decision": "reject"}]}),
    "committee_recusal": lambda s, _, world: {
        "json": {"application_id": s.object_id("awarded", world), "reason": "I know the owner's family."}
    },
    "application": lambda s, *_: {"json": application_body(s.shared["create_call"])},  # one per account and call
    "patch": _json({"business": {"district": "Mosul"}}),
    "upload": lambda *_: {"data": {"kind": "photo"}, "files": {"file": ("shop.pdf", SMALL_PDF, "application/pdf")}},
    "bank_report": lambda *_: {
        "files": {"file": ("camt054.xml", bank_report_sample("camt.054.001.08"), "application/xml")}
    },
    "review_draft": _json({"scores": {"jobs": 3}, "comment": "A first look."}),
    "review_scores": _json({"scores": {"jobs": 4, "viability": 8}, "comment": "Sound."}),
    "recusal": _json({"reason": "I know the owner's family."}),
    "payee": lambda s, _, world: {"json": payee_of(s.owners[world])},
    "payee_confirm": _pending_payee,
    "visit": _json(lambda: {"visited_on": today(), "kind": "verification", "findings": "All in order."}),
    "flag": _json({"reason": "A second look is needed.", "hold_payments": False}),
    "resolution": _json({"outcome": "clear", "reason": "Checked at the office."}),
    "settlement": _json({"status": "settled", "at": SETTLED_AT, "bank_reference": "BANK-REF-1"}),
}


@dataclass(frozen=True)
class Cell:
    route: R
    principal: str
    variant: int  # 0: own (or the first object), 1: foreign (or the second)
    expected: str


def variants(route: R) -> int:
    """2 when the route names an object of each world or two objects (`a|b`), else 1."""
    names = [route.ids.get(p, DEFAULT_IDS.get(p, "")) for p in PARAMETER.findall(route.path)]
    return 2 if any("|" in n or n in WORLD_OBJECTS for n in names) else 1


def cells(route: R) -> list[Cell]:
    found = []
    for principal, answers in route.answers().items():
        count = variants(route)
        assert len(answers) in (1, count), f"{route.key} {principal}: {answers} for {count} variant(s)"
        found += [Cell(route, principal, v, answers[min(v, len(answers) - 1)]) for v in range(count)]
    return found


def url_of(seeded: Seeded, cell: Cell) -> str:
    def value(match: re.Match[str]) -> str:
        name = cell.route.ids.get(match[1], DEFAULT_IDS.get(match[1]))
        assert name is not None, f"{cell.route.key}: no object for {{{match[1]}}}"
        if name.startswith("="):
            return name[1:]
        if "|" in name:
            return seeded.shared[name.split("|")[cell.variant]]
        return seeded.object_id(name, seeded.world(cell.principal, "own" if cell.variant == 0 else "foreign"))

    return PARAMETER.sub(value, cell.route.path)


def call(seeded: Seeded, cell: Cell) -> httpx.Response:
    world = seeded.world(cell.principal, "own" if cell.variant == 0 else "foreign")
    extra = BODIES[cell.route.body](seeded, cell.principal, world) if cell.route.body else {}
    return seeded.client.request(
        cell.route.method, url_of(seeded, cell), headers=seeded.headers[cell.principal], **extra
    )


def matches(expected: str, status: int) -> bool:
    if expected == "2xx":
        return 200 <= status < 300
    if expected == "ok":
        return 200 <= status < 300 or status == 409
    return status == int(expected)


def leaks(seeded: Seeded, cell: Cell, body: str) -> list[str]:
    """The canary identity values of seeded applications found in a body a blind principal got
    (`finance` may see a payee's account holder on the payment routes)."""
    if cell.principal not in BLIND:
        return []
    payee_route = cell.principal == "finance" and cell.route.path.startswith(PAYEE_DATA)
    text, found = body.casefold(), []
    for application_id, identity in seeded.canaries.items():
        for name, value in canary_values(identity).items():
            if payee_route and name == "owner.full_name":
                continue
            if value.casefold() in text:
                found.append(f"{name} of application {application_id}")
    return found


def openapi_routes(seeded: Seeded) -> set[tuple[str, str]]:
    document = seeded.client.get("/openapi.json").json()
    assert document["info"]["x-unavailable"] == [], "a service's OpenAPI document is missing"
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "put", "post", "patch", "delete")
    }


def test_the_table_is_well_formed() -> None:
    keys = [route.key for route in ROUTES]
    assert len(keys) == len(set(keys)), "a route has two rows"
    for route in ROUTES:
        assert {a for answers in route.answers().values() for a in answers} <= ANSWERS, route.key
        assert not route.body or route.body in BODIES, route.key
        for parameter in PARAMETER.findall(route.path):
            assert parameter in route.ids or parameter in DEFAULT_IDS, f"{route.key}: {parameter}"
        cells(route)


def test_every_route_has_a_row_and_every_row_a_route(seeded: Seeded) -> None:
    served, table = openapi_routes(seeded), {route.key for route in ROUTES}
    assert sorted(served - table) == [], "routes without a row in tests/security/matrix.py"
    assert sorted(table - served) == [], "rows in tests/security/matrix.py for routes that no longer exist"


def test_every_principal_gets_the_expected_answer_on_every_route(seeded: Seeded) -> None:
    wrong: list[str] = []
    for route in ROUTES:
        planned = cells(route)
        ordered = [c for c in planned if c.expected in DENIED] + [c for c in planned if c.expected not in DENIED]
        successes = 0
        for cell in ordered:
            response = call(seeded, cell)
            status = response.status_code
            successes += cell.expected == "ok" and 200 <= status < 300
            where = f"{route.method} {route.path} as {cell.principal} ({('own', 'foreign')[cell.variant]})"
            wrong += [f"{where}: identity leaked: {leak}" for leak in leaks(seeded, cell, response.text)]
            if not matches(cell.expected, status):
                wrong.append(f"{where}: expected {cell.expected}, got {status} {response.text[:200]}")
            elif status >= 400 and not response.headers.get("content-type", "").startswith(PROBLEM):
                wrong.append(f"{where}: {status} is not problem+json")
        if any(c.expected == "ok" for c in planned) and not successes:
            wrong.append(f"{route.method} {route.path}: no allowed principal succeeded")
    assert wrong == [], "\n".join(wrong)


def test_an_own_application_does_not_open_a_foreign_document(seeded: Seeded) -> None:
    """The document id is checked against the application in the path, not only the caller."""
    a, b = seeded.worlds["A"], seeded.worlds["B"]
    mixed = f"/api/v1/applications/{a['draft']}/documents/{b['document']}"
    headers = seeded.headers["applicant_a"]
    assert seeded.client.get(mixed, headers=headers).status_code == 404
    assert seeded.client.delete(mixed, headers=headers).status_code == 404
    own_b = f"/api/v1/applications/{b['draft']}/documents/{b['document']}"
    assert seeded.client.get(own_b, headers=seeded.headers["applicant_b"]).status_code == 200


def test_lists_show_each_principal_only_what_it_may_see(seeded: Seeded) -> None:
    """A 200 on a list is not enough: an applicant's lists hold only their own objects, an
    officer's review queue only their own reviews."""
    a, b = seeded.worlds["A"], seeded.worlds["B"]

    def ids(path: str, principal: str, key: str = "id", **params: str) -> set[str]:
        found, cursor = set(), None
        while True:
            page = seeded.client.get(
                path,
                headers=seeded.headers[principal],
                params={"limit": 200, **params, **({"cursor": cursor} if cursor else {})},
            )
            assert page.status_code == 200, page.text
            found |= {item[key] for item in page.json()["items"]}
            if not (cursor := page.json()["next_cursor"]):
                return found

    for own, foreign, principal in ((a, b, "applicant_a"), (b, a, "applicant_b")):
        applications = ids("/api/v1/applications", principal)
        assert {own["draft"], own["awarded"]} <= applications
        assert not {foreign["draft"], foreign["awarded"], foreign["to_submit"]} & applications
        for status in ("draft", "awarded"):
            assert foreign["draft"] not in ids("/api/v1/applications", principal, status=status)
        grants = ids("/api/v1/grants", principal)
        assert grants == {own["grant"]}
        assert ids("/api/v1/grants", principal, call_id=seeded.shared["call"]) == {own["grant"]}
    reviews = ids("/api/v1/reviews", "officer")
    assert {a["review"], a["review_recuse"]} <= reviews and not {b["review"], b["review_recuse"]} & reviews
    staff = ids("/api/v1/applications", "monitor")
    assert {a["draft"], b["draft"]} <= staff


def test_methods_the_document_does_not_list_are_refused(seeded: Seeded) -> None:
    """No route answers a method it does not declare: a refusal (405, 404, or 403/422 where the
    path is another route's with an odd id, e.g. PUT /reviews/recusals), never a success."""
    document = seeded.client.get("/openapi.json").json()
    wrong = []
    for path, item in document["paths"].items():
        url = PARAMETER.sub(lambda m: str(uuid.uuid4()) if m[1] != "key" else "agreement_signed", path)
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - {m.upper() for m in item}:
            response = seeded.client.request(method, url, headers=seeded.headers["admin"])
            if not 400 <= response.status_code < 500 or not response.headers["content-type"].startswith(PROBLEM):
                wrong.append(f"{method} {path}: {response.status_code}")
    assert wrong == []


def test_the_columns_are_the_nine_principals(seeded: Seeded) -> None:
    assert set(COLUMNS) == set(seeded.headers)


def test_an_assigned_reviewer_reads_no_identity_of_their_applications(seeded: Seeded) -> None:
    """The canary check catches what it looks for: intake reads the identity of the applications
    assigned to the officer; the officer, through the same routes, none of it. Photos stay shown."""
    client, officer, intake = seeded.client, seeded.headers["officer"], seeded.headers["intake"]
    items = client.get("/api/v1/reviews", headers=officer, params={"limit": 200}).json()["items"]
    assigned = {item["application_id"] for item in items}
    assert assigned and assigned <= set(seeded.canaries), "the officer's applications have canary identities"
    route = next(r for r in ROUTES if r.key == ("GET", "/api/v1/applications/{application_id}"))
    as_officer = Cell(route, "officer", 0, "2xx")
    for application_id in sorted(assigned):
        for path in (f"/api/v1/applications/{application_id}", f"/api/v1/applications/{application_id}/timeline"):
            assert leaks(seeded, as_officer, client.get(path, headers=officer).text) == [], path
        shown = client.get(f"/api/v1/applications/{application_id}", headers=intake)
        assert shown.status_code == 200
        found = leaks(seeded, as_officer, shown.text)
        assert {f.split(" of ")[0] for f in found} >= {"owner.full_name", "owner.phone", "business.name"}, found
    draft = seeded.worlds["A"]["draft"]
    photo = client.get(f"/api/v1/applications/{draft}/documents/{seeded.photos['A']}", headers=officer)
    assert photo.status_code == 200
    listed = client.get(f"/api/v1/applications/{draft}", headers=officer).json()["documents"]
    assert {d["kind"] for d in listed} == {"photo"}  # the registration certificates are not listed
