"""The gateway's accounts and tokens, in-process against a migrated database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from gateway.main import create_app
from shared.jwk import public_jwk
from shared.logs import JsonFormatter
from shared.migrate import upgrade
from tests.support.gateway import (
    ADMIN_PASSWORD,
    PASSWORD,
    assert_problem,
    bearer,
    gateway_settings,
    login,
    login_mfa,
    register,
    unique_email,
)


@pytest.fixture
def migrated_url(database_url: str) -> str:
    upgrade("gateway", database_url)
    return database_url


@pytest.fixture
def admin_email() -> str:
    return unique_email("admin")


@pytest.fixture
def client(migrated_url: str, admin_email: str) -> Iterator[TestClient]:
    settings = gateway_settings(
        migrated_url, bootstrap_admin_email=admin_email, bootstrap_admin_password=ADMIN_PASSWORD, login_rate_limit=50
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def rows(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql), params).all())
    finally:
        engine.dispose()


def test_register_sign_in_and_me(client: TestClient) -> None:
    email = unique_email("Mixed.Case")
    created = register(client, email, phone="+964 770 123 4567", locale="ar")
    assert created == {"id": created["id"], "email": email.lower(), "role": "applicant"}
    uuid.UUID(created["id"])

    response = client.post("/api/v1/auth/token", data={"username": email.upper(), "password": PASSWORD})
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["token_type"] == "bearer" and token["expires_in"] > 0

    me = client.get("/api/v1/auth/me", headers=bearer(token["access_token"]))
    assert me.status_code == 200
    assert me.json() == {"id": created["id"], "email": email.lower(), "full_name": "Test Person", "role": "applicant"}


def test_duplicate_email_is_409_whatever_its_case(client: TestClient) -> None:
    email = unique_email()
    register(client, email)
    response = client.post(
        "/api/v1/auth/register", json={"email": email.upper(), "password": PASSWORD, "full_name": "Someone Else"}
    )
    body = assert_problem(response, 409)
    assert email not in response.text.lower() and "Someone" not in response.text
    assert "exists" in body["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b"}, "email"),
        ({"email": "x" * 250 + "@example.org"}, "email"),
        ({"password": "short9"}, "password"),
        ({"password": "p" * 257}, "password"),
        ({"password": " " * 12}, "password"),
        ({"full_name": ""}, "full_name"),
        ({"full_name": "n" * 201}, "full_name"),
        ({"phone": "call me maybe"}, "phone"),
        ({"locale": "english please"}, "locale"),
        ({"role": "admin"}, "role"),
        ({"nickname": "extra"}, "nickname"),
    ],
)
def test_register_refuses_bad_input_naming_the_field(client: TestClient, change: dict[str, str], field: str) -> None:
    body = {"email": unique_email(), "password": PASSWORD, "full_name": "Test Person", **change}
    response = client.post("/api/v1/auth/register", json=body)
    problem = assert_problem(response, 422)
    assert [e["loc"] for e in problem["errors"]] == [["body", field]]
    assert PASSWORD not in response.text and "short9" not in response.text


def test_register_needs_every_required_field(client: TestClient) -> None:
    problem = assert_problem(client.post("/api/v1/auth/register", json={}), 422)
    assert sorted(e["loc"][-1] for e in problem["errors"]) == ["email", "full_name", "password"]


def test_wrong_password_and_unknown_email_are_the_same_401(client: TestClient) -> None:
    email = unique_email()
    register(client, email)
    wrong = client.post("/api/v1/auth/token", data={"username": email, "password": "not the password"})
    unknown = client.post("/api/v1/auth/token", data={"username": unique_email(), "password": PASSWORD})
    malformed = client.post("/api/v1/auth/token", data={"username": "nobody", "password": PASSWORD})
    bodies = [assert_problem(r, 401) for r in (wrong, unknown, malformed)]
    assert bodies[0] == bodies[1] == bodies[2]
    assert email not in wrong.text


def test_token_form_needs_username_and_password(client: TestClient) -> None:
    problem = assert_problem(client.post("/api/v1/auth/token", data={"username": unique_email()}), 422)
    assert problem["errors"][0]["loc"] == ["body", "password"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _handmade(header: dict[str, Any], claims: dict[str, Any], secret: str | None) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    if secret is None:
        return signing_input + "."
    return f"{signing_input}.{_b64(hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest())}"


def _bad_token(kind: str, client: TestClient, user_id: str) -> str:
    config = client.app.state.token_config  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": user_id,
        "role": "admin",
        "iss": config.issuer,
        "aud": config.audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    if kind == "expired":
        claims.update(iat=int((now - timedelta(hours=2)).timestamp()), exp=int((now - timedelta(hours=1)).timestamp()))
    elif kind == "wrong_audience":
        claims["aud"] = "someone-else"
    elif kind == "wrong_issuer":
        claims["iss"] = "someone-else"
    elif kind == "no_expiry":
        del claims["exp"]
    key = config.signing
    if kind == "alg_none":
        return _handmade({"alg": "none", "typ": "JWT", "kid": key.kid}, claims, None)
    if kind == "rs256_header":  # key confusion: HMAC-signed with the public key, header claims RS256
        return _handmade({"alg": "RS256", "kid": key.kid}, claims, public_jwk(key.key.public_key())["x"])
    if kind == "hs512":
        return jwt.encode(claims, "s" * 64, algorithm="HS512", headers={"kid": key.kid})
    if kind == "other_secret":
        return jwt.encode(claims, "another-secret-of-at-least-32-bytes!!", algorithm="HS256", headers={"kid": key.kid})
    if kind == "garbage":
        return "not.a.token"
    return jwt.encode(claims, key.key, algorithm=key.algorithm, headers={"kid": key.kid})


@pytest.mark.parametrize(
    "kind",
    [
        "expired",
        "alg_none",
        "other_secret",
        "wrong_audience",
        "wrong_issuer",
        "rs256_header",
        "hs512",
        "no_expiry",
        "garbage",
    ],
)
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_bad_tokens_are_401(client: TestClient, kind: str) -> None:
    user_id = register(client)["id"]
    assert client.get("/api/v1/auth/me", headers=bearer(_bad_token("valid", client, user_id))).status_code == 200
    response = client.get("/api/v1/auth/me", headers=bearer(_bad_token(kind, client, user_id)))
    assert_problem(response, 401)
    forged = client.post(
        "/api/v1/users",
        json={"email": unique_email(), "password": PASSWORD, "full_name": "Forged", "role": "admin"},
        headers=bearer(_bad_token(kind, client, user_id)),
    )
    assert_problem(forged, 401)


def test_me_needs_a_token(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/auth/me"), 401)
    assert_problem(client.get("/api/v1/auth/me", headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401)


def test_only_an_admin_creates_users(client: TestClient, admin_email: str) -> None:
    new_user = {"email": unique_email("officer"), "password": PASSWORD, "full_name": "Olive Officer", "role": "officer"}
    assert_problem(client.post("/api/v1/users", json=new_user), 401)
    applicant = register(client)
    applicant_token = login(client, applicant["email"])
    assert_problem(client.post("/api/v1/users", json=new_user, headers=bearer(applicant_token)), 403)

    password_only = login(client, admin_email, ADMIN_PASSWORD)  # no second factor: 403 mfa_required
    refused = assert_problem(client.post("/api/v1/users", json=new_user, headers=bearer(password_only)), 403)
    assert refused["code"] == "mfa_required"
    admin_token = login_mfa(client, admin_email, ADMIN_PASSWORD)
    created = client.post("/api/v1/users", json=new_user, headers=bearer(admin_token))
    assert created.status_code == 201, created.text
    assert created.json()["role"] == "officer" and created.json()["email"] == new_user["email"]
    assert_problem(client.post("/api/v1/users", json=new_user, headers=bearer(admin_token)), 409)

    officer_token = login(client, new_user["email"])
    me = client.get("/api/v1/auth/me", headers=bearer(officer_token)).json()
    assert me["role"] == "officer" and me["full_name"] == "Olive Officer"
    other = {**new_user, "email": unique_email()}
    assert_problem(client.post("/api/v1/users", json=other, headers=bearer(officer_token)), 403)
    problem = assert_problem(
        client.post("/api/v1/users", json={**other, "role": "superuser"}, headers=bearer(admin_token)), 422
    )
    assert problem["errors"][0]["loc"] == ["body", "role"]


def test_bootstrap_admin_is_created_once(migrated_url: str) -> None:
    email = unique_email("root")
    settings = gateway_settings(migrated_url, bootstrap_admin_email=email, bootstrap_admin_password=ADMIN_PASSWORD)
    for _ in range(2):
        with TestClient(create_app(settings)) as client:
            token = login(client, email, ADMIN_PASSWORD)
            assert client.get("/api/v1/auth/me", headers=bearer(token)).json()["role"] == "admin"
    assert len(rows(migrated_url, "SELECT id FROM users WHERE email = :email", email=email)) == 1
    assert len(rows(migrated_url, "SELECT id FROM audit_log WHERE action = 'user.bootstrapped'")) == 1


def test_bootstrap_refuses_a_weak_password(migrated_url: str) -> None:
    settings = gateway_settings(migrated_url, bootstrap_admin_email=unique_email(), bootstrap_admin_password="admin")
    with pytest.raises(ValueError, match="BOOTSTRAP"), TestClient(create_app(settings)):
        pass


def test_login_is_rate_limited_per_client_and_email(migrated_url: str) -> None:
    with TestClient(create_app(gateway_settings(migrated_url, login_rate_limit=3))) as client:
        email, other = unique_email(), unique_email()
        register(client, email)
        register(client, other)
        for _ in range(3):
            assert_problem(client.post("/api/v1/auth/token", data={"username": email, "password": "wrong pw!"}), 401)
        limited = client.post("/api/v1/auth/token", data={"username": email.upper(), "password": PASSWORD})
        assert_problem(limited, 429)
        assert int(limited.headers["retry-after"]) >= 1
        assert login(client, other)  # another email from the same client is not limited


class Collect(logging.Handler):
    """Every log line, formatted as the services write them."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter("gateway"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_audit_rows_and_logs_hold_no_personal_data(client: TestClient, admin_email: str, migrated_url: str) -> None:
    email, phone, name = unique_email("private"), "+9647701234567", "Zainab Private-Name"
    officer = {"email": unique_email("private"), "password": PASSWORD, "full_name": name, "role": "officer"}
    collect = Collect()
    logging.getLogger().addHandler(collect)
    try:
        created = register(client, email, phone=phone, full_name=name)
        client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD, "full_name": name})
        client.post("/api/v1/auth/token", data={"username": email, "password": "a wrong password"})
        login(client, email)
        client.post("/api/v1/auth/register", json={"email": "bad@", "password": PASSWORD, "full_name": name})
        admin_token = login_mfa(client, admin_email, ADMIN_PASSWORD)
        assert client.post("/api/v1/users", json=officer, headers=bearer(admin_token)).status_code == 201
    finally:
        logging.getLogger().removeHandler(collect)

    audit = rows(migrated_url, "SELECT action, entity_id, actor_id, before, after FROM audit_log ORDER BY id")
    actions = {row[0]: row for row in audit}
    assert actions["user.registered"][1] == created["id"] == actions["user.registered"][2]
    assert set(actions) == {
        "user.bootstrapped",
        "user.registered",
        "user.created",
        "user.totp_enrolment_started",
        "user.totp_enabled",
    }
    dump = repr(audit) + repr(rows(migrated_url, "SELECT * FROM outbox"))
    logs = "\n".join(collect.lines)
    assert '"path": "/api/v1/auth/token"' in logs  # the access log was collected
    for secret in (email, officer["email"], admin_email, phone, name, PASSWORD, ADMIN_PASSWORD, "Zainab"):
        assert secret not in dump
        assert secret not in logs
