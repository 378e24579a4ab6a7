"""Helpers for gateway tests: settings that reach no real service by accident, sign-up and sign-in."""

from __future__ import annotations

import tempfile
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from devstack.mfa import TotpStore, sign_in
from gateway.settings import UPSTREAMS, Settings
from tests.support.natsd import free_port

PASSWORD = "correct horse battery"
ADMIN_PASSWORD = "admin password 123"
PROBLEM = "application/problem+json"


def gateway_settings(database_url: str, **overrides: Any) -> Settings:
    """Every upstream on a port nobody listens on unless given; no bootstrap admin and no metrics
    listener unless given."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "bootstrap_admin_email": None,
        "bootstrap_admin_password": None,
        "metrics_port": 0,  # no metrics listener unless a test asks for one
        "totp_key": "test-totp-key-that-production-accepts-0123456789",  # a test may set EDF_ENV=production
        **{f"{name}_url": f"http://127.0.0.1:{free_port()}" for name in UPSTREAMS},
    }
    values.update(overrides)
    return Settings(**values)


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.org"


def register(client: TestClient, email: str | None = None, password: str = PASSWORD, **extra: Any) -> dict[str, Any]:
    body = {"email": email or unique_email(), "password": password, "full_name": "Test Person", **extra}
    response = client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def login(client: TestClient, email: str, password: str = PASSWORD) -> str:
    response = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@cache
def totp_store() -> TotpStore:
    """The TOTP secrets of the accounts this test process enrolled (`devstack.mfa`)."""
    return TotpStore.of(Path(tempfile.mkdtemp(prefix="edf-test-totp-")))


def login_mfa(client: httpx.Client, email: str, password: str = PASSWORD) -> str:
    """A token with the second factor: a staff account is enrolled in TOTP on its first sign-in
    (`client` is the gateway's, in-process or over HTTP)."""
    return sign_in(client, totp_store(), email, password, prefix="/api/v1")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """An `application/problem+json` answer with this status; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body
