"""Token verification refuses everything but a well-formed HS256 token of ours."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from shared.auth import Role, TokenConfig, issue_token, verify_token
from shared.errors import Unauthorized
from shared.settings import CommonSettings

CONFIG = TokenConfig(secret="s" * 40, issuer="edf-grants", audience="edf-api")


def claims(**overrides: object) -> dict[str, object]:
    now = datetime.now(UTC)
    base: dict[str, object] = {
        "sub": str(uuid.uuid4()),
        "role": "admin",
        "iss": "edf-grants",
        "aud": "edf-api",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    base.update(overrides)
    return base


def test_a_token_we_issued_verifies() -> None:
    user = uuid.uuid4()
    principal = verify_token(CONFIG, issue_token(CONFIG, user, "a@example.org", Role.officer))
    assert principal.id == user and principal.role is Role.officer


def _unsigned(payload: dict[str, object]) -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj, default=str).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


BAD_TOKENS = {
    "expired": lambda: jwt.encode(claims(exp=datetime.now(UTC) - timedelta(seconds=1)), CONFIG.secret, "HS256"),
    "wrong audience": lambda: jwt.encode(claims(aud="someone-else"), CONFIG.secret, "HS256"),
    "wrong issuer": lambda: jwt.encode(claims(iss="evil"), CONFIG.secret, "HS256"),
    "other secret": lambda: jwt.encode(claims(), "t" * 40, "HS256"),
    "HS512": lambda: jwt.encode(claims(), CONFIG.secret, "HS512"),
    "alg none": lambda: _unsigned({**claims(), "iat": 0, "exp": 4102444800}),
    "no exp": lambda: jwt.encode({k: v for k, v in claims().items() if k != "exp"}, CONFIG.secret, "HS256"),
    "unknown role": lambda: jwt.encode(claims(role="root"), CONFIG.secret, "HS256"),
    "tampered": lambda: issue_token(CONFIG, uuid.uuid4(), "a@b.c", Role.applicant)[:-3] + "abc",
    "garbage": lambda: "not.a.token",
}


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_bad_tokens_are_refused(kind: str) -> None:
    with pytest.raises(Unauthorized):
        verify_token(CONFIG, BAD_TOKENS[kind]())


def test_the_development_secret_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDF_ENV", "production")
    with pytest.raises(ValueError, match="EDF_JWT_SECRET"):
        CommonSettings()
    monkeypatch.setenv("EDF_JWT_SECRET", "x" * 48)
    assert CommonSettings().env == "production"
