"""Tokens and roles: JWT with a fixed algorithm, `exp`/`iss`/`aud` required.

The gateway issues tokens; every service verifies them again (no trusted `X-User` header).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.errors import Forbidden, Unauthorized
from shared.roles import STAFF, Role

ALGORITHM = "HS256"
__all__ = ["STAFF", "Principal", "Role", "TokenConfig", "issue_token", "require_roles", "verify_token"]


@dataclass(frozen=True)
class TokenConfig:
    secret: str
    issuer: str
    audience: str
    ttl: timedelta = timedelta(hours=8)


@dataclass(frozen=True)
class Principal:
    id: uuid.UUID
    role: Role
    email: str = ""

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF


SYSTEM = Principal(id=uuid.UUID(int=0), role=Role.admin, email="system")


def issue_token(config: TokenConfig, user_id: uuid.UUID, email: str, role: Role) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "email": email,
        "role": role.value,
        "iss": config.issuer,
        "aud": config.audience,
        "iat": now,
        "exp": now + config.ttl,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, config.secret, algorithm=ALGORITHM)


def verify_token(config: TokenConfig, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            config.secret,
            algorithms=[ALGORITHM],
            audience=config.audience,
            issuer=config.issuer,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
        return Principal(id=uuid.UUID(claims["sub"]), role=Role(claims["role"]), email=claims.get("email", ""))
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise Unauthorized("The token is missing, expired or invalid.") from exc


_bearer = HTTPBearer(auto_error=False)


def optional_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    if credentials is None:
        return None
    if credentials.scheme.lower() != "bearer":
        raise Unauthorized("Use an 'Authorization: Bearer <token>' header.")
    config: TokenConfig = request.app.state.token_config
    return verify_token(config, credentials.credentials)


def current_principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if principal is None:
        raise Unauthorized("Sign in first: this needs an 'Authorization: Bearer <token>' header.")
    return principal


def require_roles(*roles: Role) -> Callable[..., Principal]:
    """A dependency that lets only the given roles through (401 unsigned, 403 other roles)."""
    allowed = frozenset(roles)

    def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"This needs one of the roles: {', '.join(sorted(allowed))}.")
        return principal

    return dependency
