"""The limits at the edge, each with a test: body size (413), page size (422 above 200), sign-in,
sign-up and submit rates (429 with an integer `Retry-After`), documents per application (409)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.settings import MIB, Settings
from shared.auth import Role, issue_token
from shared.migrate import upgrade
from tests.security.matrix import ROUTES
from tests.security.seed import SMALL_PDF, Seeded
from tests.support.gateway import PASSWORD, assert_problem, bearer, gateway_settings, login, register, unique_email
from tests.support.intake import Intake, intake_service
from tests.support.keys import signing_config
from tests.support.natsd import NatsServer
from tests.support.servers import ServerThread, echo_app

CONFIG = signing_config()
# On the seeded stack, a test may be the first to use it: it waits for the stack to be seeded.
ON_THE_STACK = 420


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    with ServerThread(echo_app) as server:
        yield server.url


@pytest.fixture
def gateway(tmp_path: Path, echo_url: str) -> Iterator[Any]:
    """`gateway(**settings)`: a gateway in-process whose applications upstream echoes requests."""
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    upgrade("gateway", url)
    clients: list[TestClient] = []

    def start(**overrides: Any) -> TestClient:
        client = TestClient(create_app(gateway_settings(url, applications_url=echo_url, **overrides)))
        clients.append(client.__enter__())
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def assert_429(response: httpx.Response) -> int:
    assert_problem(response, 429)
    retry_after = response.headers["retry-after"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 60, retry_after
    return int(retry_after)


def applicant_token(user_id: uuid.UUID | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(CONFIG, user_id or uuid.uuid4(), 'a@example.org', Role.applicant)}"}


# -- body size ---------------------------------------------------------------------------------


def test_json_bodies_above_the_json_limit_are_413_and_uploads_keep_the_larger_one(gateway: Any) -> None:
    client = gateway(max_json_bytes=64 * 1024, max_request_bytes=MIB)
    headers = applicant_token()
    big = {"call_id": str(uuid.uuid4()), "plan": {"summary": "x" * 70_000}}
    assert_problem(client.post("/api/v1/applications", json=big, headers=headers), 413)  # by Content-Length
    streamed = iter([b'{"plan": {"summary": "', b"x" * 40_000, b"x" * 40_000, b'"}}'])
    assert_problem(
        client.post("/api/v1/applications", content=streamed, headers={**headers, "Content-Type": "application/json"}),
        413,
    )  # chunked
    form = {"username": "x" * 70_000, "password": PASSWORD}
    assert_problem(client.post("/api/v1/auth/token", data=form), 413)  # a form is no upload
    upload = client.post(
        f"/api/v1/applications/{uuid.uuid4()}/documents",
        headers=headers,
        data={"kind": "photo"},
        files={"file": ("big.pdf", SMALL_PDF + b"0" * 200_000, "application/pdf")},
    )
    assert upload.status_code == 200 and upload.json()["size"] > 200_000  # reached the (echo) service
    too_big = client.post(
        f"/api/v1/applications/{uuid.uuid4()}/documents",
        headers=headers,
        data={"kind": "photo"},
        files={"file": ("big.pdf", SMALL_PDF + b"0" * (MIB + 1), "application/pdf")},
    )
    body = assert_problem(too_big, 413)
    assert str(MIB) in body["detail"]
    assert client.post("/api/v1/applications", json={"call_id": str(uuid.uuid4())}, headers=headers).status_code == 200


def test_the_default_limits() -> None:
    settings = Settings()
    assert settings.max_json_bytes == MIB and settings.max_request_bytes == 12 * MIB
    assert (settings.submit_rate_limit, settings.submit_rate_window_seconds) == (10, 60)
    assert (settings.signup_rate_limit, settings.signup_rate_window_seconds) == (20, 60)
    assert (settings.login_rate_limit, settings.login_address_rate_limit) == (10, 60)


# -- rates -------------------------------------------------------------------------------------


def test_sign_in_is_limited_per_address_and_email_and_per_address(gateway: Any) -> None:
    client = gateway(login_rate_limit=3, login_address_rate_limit=5)
    email = unique_email()
    register(client, email)
    for _ in range(3):
        assert_problem(client.post("/api/v1/auth/token", data={"username": email, "password": "wrong password"}), 401)
    assert_429(client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD}))
    # 4 attempts so far from this address; one more with another email is let through, then none
    other = unique_email()
    assert_problem(client.post("/api/v1/auth/token", data={"username": other, "password": PASSWORD}), 401)
    refused = client.post("/api/v1/auth/token", data={"username": unique_email(), "password": PASSWORD})
    assert_429(refused)
    assert "address" in refused.json()["detail"]


def test_sign_up_is_limited_per_address_and_a_refused_one_makes_no_account(gateway: Any) -> None:
    client = gateway(signup_rate_limit=3, login_rate_limit=50)
    for _ in range(3):
        register(client)
    email = unique_email()
    refused = client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD, "full_name": "Late"})
    assert_429(refused)
    assert email not in refused.text
    assert_problem(client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD}), 401)


def test_submit_is_limited_per_user_account(gateway: Any) -> None:
    client = gateway(submit_rate_limit=3)
    user = uuid.uuid4()
    for _ in range(3):  # each reaches the service (the echo server answers 200)
        assert (
            client.post(f"/api/v1/applications/{uuid.uuid4()}/submit", headers=applicant_token(user)).status_code == 200
        )
    refused = client.post(f"/api/v1/applications/{uuid.uuid4()}/submit", headers=applicant_token(user))
    assert_429(refused)
    # another account from the same address is not limited; nor are the user's other requests
    assert client.post(f"/api/v1/applications/{uuid.uuid4()}/submit", headers=applicant_token()).status_code == 200
    assert (
        client.patch(f"/api/v1/applications/{uuid.uuid4()}", json={}, headers=applicant_token(user)).status_code == 200
    )
    # without a valid token the address is the key: 3 pass (the service would refuse them), then 429
    for _ in range(3):
        assert client.post(f"/api/v1/applications/{uuid.uuid4()}/submit", headers=bearer("forged")).status_code == 200
    assert_429(client.post(f"/api/v1/applications/{uuid.uuid4()}/submit"))


@pytest.mark.e2e
@pytest.mark.timeout(ON_THE_STACK)
def test_the_running_stack_limits_submit_per_user(seeded: Seeded) -> None:
    """The real wiring: the 11th submit of one applicant in a minute is 429, another's is not."""
    client = seeded.client
    email = unique_email("limit")
    assert (
        client.post(
            "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "full_name": "Hasty Applicant"}
        ).status_code
        == 201
    )
    headers = bearer(login(client, email))  # type: ignore[arg-type]
    draft = client.post("/api/v1/applications", headers=headers, json={"call_id": seeded.shared["call"]}).json()
    statuses = [
        client.post(f"/api/v1/applications/{draft['id']}/submit", headers=headers).status_code for _ in range(10)
    ]
    assert set(statuses) == {422}, statuses  # incomplete: refused by the service, counted by the gateway
    assert_429(client.post(f"/api/v1/applications/{draft['id']}/submit", headers=headers))
    other = client.post(
        f"/api/v1/applications/{seeded.worlds['A']['draft']}/submit", headers=seeded.headers["applicant_b"]
    )
    assert other.status_code == 404  # applicant B's own budget: the service answers (not its application)


# -- page size ---------------------------------------------------------------------------------


def list_routes(seeded: Seeded) -> list[tuple[str, str]]:
    """Every GET route with a `limit` query parameter, and a principal allowed to call it."""
    document = seeded.client.get("/openapi.json").json()
    found = []
    for path, item in document["paths"].items():
        parameters = item.get("get", {}).get("parameters", [])
        if any(p["name"] == "limit" and p["in"] == "query" for p in parameters):
            route = next(r for r in ROUTES if r.key == ("GET", path))
            allowed = next(p for p, answers in route.answers().items() if answers[0] == "2xx")
            found.append((path, allowed))
    return found


@pytest.mark.e2e
@pytest.mark.timeout(ON_THE_STACK)
def test_every_list_takes_limit_from_1_to_200_and_refuses_others(seeded: Seeded) -> None:
    routes = list_routes(seeded)
    assert {p for p, _ in routes} >= {"/api/v1/applications", "/api/v1/calls", "/api/v1/grants", "/api/v1/reviews"}
    for path, principal in routes:
        url = path.replace("{call_id}", seeded.shared["call"])
        headers = seeded.headers[principal]
        for good in (1, 200):
            response = seeded.client.get(url, params={"limit": good}, headers=headers)
            assert response.status_code == 200, (path, good, response.text)
            assert len(response.json()["items"]) <= good
        for bad in ("0", "201", "100000", "-1", "ten"):
            problem = assert_problem(seeded.client.get(url, params={"limit": bad}, headers=headers), 422)
            assert problem["errors"][0]["loc"] == ["query", "limit"], (path, bad, problem)
        page = seeded.client.get(url, headers=headers).json()
        assert set(page) == {"items", "next_cursor"}


# -- documents per application -----------------------------------------------------------------


@pytest.fixture
def intake(database_url: str, own_nats: NatsServer, tmp_path: Path) -> Iterator[Intake]:
    with intake_service(database_url, own_nats.url, tmp_path) as service:
        yield service


def test_an_application_holds_at_most_20_documents(intake: Intake) -> None:
    draft = intake.draft()
    url = f"/api/v1/applications/{draft['id']}/documents"

    def upload() -> httpx.Response:
        return intake.client.post(
            url,
            headers=intake.applicant,
            data={"kind": "other"},
            files={"file": ("scan.pdf", SMALL_PDF, "application/pdf")},
        )

    ids = [upload().json()["id"] for _ in range(20)]
    problem = assert_problem(upload(), 409)
    assert "20" in problem["detail"]
    shown = intake.client.get(f"/api/v1/applications/{draft['id']}", headers=intake.applicant).json()
    assert len(shown["documents"]) == 20
    assert intake.client.delete(f"{url}/{ids[0]}", headers=intake.applicant).status_code == 204
    assert upload().status_code == 201  # room for one again
    assert_problem(upload(), 409)
