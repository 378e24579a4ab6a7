"""The second factor at the gateway (gateway/mfa.py): TOTP enrolment and confirmation, sign-in
with a code or a recovery code, `amr` in the token, the limit on wrong codes, an admin's reset."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from gateway.main import create_app
from shared import totp
from shared.migrate import upgrade
from tests.support.gateway import (
    ADMIN_PASSWORD,
    PASSWORD,
    assert_problem,
    bearer,
    gateway_settings,
    login,
    login_mfa,
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


def staff(client: TestClient, admin_email: str, role: str = "finance") -> str:
    return created_staff(client, admin_email, role)[0]


_ADMINS: dict[str, dict[str, str]] = {}


def created_staff(client: TestClient, admin_email: str, role: str = "finance") -> tuple[str, str]:
    email = unique_email(role)
    body = {"email": email, "password": PASSWORD, "full_name": f"Test {role}", "role": role}
    if admin_email not in _ADMINS:  # one sign-in of the admin (each one takes a code)
        _ADMINS[admin_email] = bearer(login_mfa(client, admin_email, ADMIN_PASSWORD))
    admin = _ADMINS[admin_email]
    created = client.post("/api/v1/users", json=body, headers=admin)
    assert created.status_code == 201, created.text
    return email, str(created.json()["id"])


def amr(token: str) -> list[str]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return list(claims["amr"])


def sign_in(client: TestClient, email: str, code: str | None = None) -> Any:
    form = {"username": email, "password": PASSWORD, **({"totp": code} if code is not None else {})}
    return client.post("/api/v1/auth/token", data=form)


def enrol(client: TestClient, email: str) -> tuple[totp.CodeSource, list[str]]:
    headers = bearer(login(client, email))
    started = client.post("/api/v1/auth/totp", headers=headers)
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/") and len(body["recovery_codes"]) == 10
    codes = totp.CodeSource(body["secret"])
    confirmed = client.post("/api/v1/auth/totp/confirm", headers=headers, json={"code": codes.next_code()})
    assert confirmed.status_code == 200 and confirmed.json() == {"enabled": True}, confirmed.text
    return codes, body["recovery_codes"]


def test_enrolment_then_sign_in_needs_a_code_and_the_token_says_so(client: TestClient, admin_email: str) -> None:
    email = staff(client, admin_email)
    before = sign_in(client, email)
    assert before.status_code == 200 and amr(before.json()["access_token"]) == ["pwd"]
    status = client.get("/api/v1/auth/totp", headers=bearer(before.json()["access_token"])).json()
    assert status == {"enabled": False, "required": True, "token_has_mfa": False}

    codes, _ = enrol(client, email)
    wrong = "000000" if totp.code_at(codes.secret, time.time()) != "000000" else "111111"
    for missing in (None, "", wrong):
        assert assert_problem(sign_in(client, email, missing), 401)["code"] == "mfa_required"
    signed = sign_in(client, email, codes.next_code())
    assert signed.status_code == 200, signed.text
    token = signed.json()["access_token"]
    assert amr(token) == ["pwd", "otp"]
    status = client.get("/api/v1/auth/totp", headers=bearer(token)).json()
    assert status == {"enabled": True, "required": True, "token_has_mfa": True}
    assert assert_problem(client.post("/api/v1/auth/totp", headers=bearer(token)), 409)["code"] == "totp_enabled"


def test_a_wrong_password_says_nothing_of_the_second_factor(client: TestClient, admin_email: str) -> None:
    email = staff(client, admin_email)
    enrol(client, email)
    wrong = client.post("/api/v1/auth/token", data={"username": email, "password": "a wrong password"})
    assert "code" not in assert_problem(wrong, 401)


def test_a_code_is_accepted_once(client: TestClient, admin_email: str) -> None:
    email = staff(client, admin_email)
    codes, _ = enrol(client, email)
    code = codes.next_code()
    assert sign_in(client, email, code).status_code == 200
    assert assert_problem(sign_in(client, email, code), 401)["code"] == "mfa_required"


def test_a_recovery_code_works_once(client: TestClient, admin_email: str, migrated_url: str) -> None:
    email = staff(client, admin_email)
    _, recovery = enrol(client, email)
    signed = sign_in(client, email, recovery[0].upper())
    assert signed.status_code == 200 and amr(signed.json()["access_token"]) == ["pwd", "otp"]
    assert assert_problem(sign_in(client, email, recovery[0]), 401)["code"] == "mfa_required"
    assert sign_in(client, email, recovery[1]).status_code == 200
    stored = rows(migrated_url, "SELECT code_hash FROM recovery_codes")
    assert stored and not any(code.replace("-", "") in str(row) for row in stored for code in recovery)


def test_the_secret_is_stored_encrypted(client: TestClient, migrated_url: str) -> None:
    email = unique_email()
    client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD, "full_name": "A"})
    started = client.post("/api/v1/auth/totp", headers=bearer(login(client, email))).json()
    (stored,) = rows(migrated_url, "SELECT secret FROM user_totp")
    assert started["secret"] not in stored[0] and stored[0].startswith("v1:")


def test_wrong_codes_are_limited_per_account(migrated_url: str, admin_email: str) -> None:
    settings = gateway_settings(
        migrated_url,
        bootstrap_admin_email=admin_email,
        bootstrap_admin_password=ADMIN_PASSWORD,
        login_rate_limit=50,
        totp_rate_limit=3,
    )
    with TestClient(create_app(settings)) as client:
        email = staff(client, admin_email)
        codes, _ = enrol(client, email)
        for _ in range(3):
            assert_problem(sign_in(client, email, "bad-code"), 401)
        limited = sign_in(client, email, codes.next_code())
        assert_problem(limited, 429)
        assert int(limited.headers["retry-after"]) >= 1


def unique_admin(client: TestClient, admin_email: str) -> str:
    """Another admin, not enrolled: its tokens have no second factor."""
    return created_staff(client, admin_email, "admin")[0]


def test_an_admin_resets_a_second_factor_audited(client: TestClient, admin_email: str, migrated_url: str) -> None:
    email, user_id = created_staff(client, admin_email)
    enrol(client, email)
    password_only = bearer(login(client, unique_admin(client, admin_email), PASSWORD))  # no second factor
    refused = client.delete(f"/api/v1/users/{user_id}/totp", headers=password_only)
    assert assert_problem(refused, 403)["code"] == "mfa_required"
    admin = _ADMINS[admin_email]
    assert client.delete(f"/api/v1/users/{user_id}/totp", headers=admin).status_code == 204
    assert_problem(client.delete(f"/api/v1/users/{user_id}/totp", headers=admin), 404)
    after = sign_in(client, email)
    assert after.status_code == 200 and amr(after.json()["access_token"]) == ["pwd"]
    audit = rows(migrated_url, "SELECT actor_role, entity_id FROM audit_log WHERE action = 'user.totp_reset'")
    assert audit == [("admin", user_id)]
