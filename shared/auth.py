"""Tokens and roles: JWTs signed by the gateway's private key, `kid`/`exp`/`iss`/`aud` required.

The gateway issues tokens (it alone holds a `SigningKey`); every service verifies them again
with the public keys of the JWKS (no trusted `X-User` header), so a service cannot mint one.
A token's `kid` picks the public key and the key's type the one algorithm accepted for it:
the token's `alg` must be that one (never HS256 nor `none`).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.errors import Forbidden, Unauthorized
from shared.jwk import SigningKey, VerifyKey
from shared.roles import STAFF, Role

__all__ = ["STAFF", "Principal", "Role", "TokenConfig", "issue_token", "require_roles", "verify_token"]


@dataclass(frozen=True, eq=False)
class TokenConfig:
    """`keys`: the public keys by `kid` (the JWKS); `signing`: the gateway's key, None elsewhere."""

    keys: Mapping[str, VerifyKey]
    issuer: str
    audience: str
    ttl: timedelta = timedelta(hours=8)
    signing: SigningKey | None = None

    def lasting(self, ttl: timedelta) -> TokenConfig:
        return dataclasses.replace(self, ttl=ttl)


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
    key = config.signing
    if key is None:
        raise RuntimeError("this process has no signing key: only the gateway issues tokens")
    return jwt.encode(claims, key.key, algorithm=key.algorithm, headers={"kid": key.kid})


def _verify_key(config: TokenConfig, token: str) -> VerifyKey:
    header = jwt.get_unverified_header(token)
    kid = header.get("kid")
    key = config.keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        raise jwt.InvalidKeyError("no kid, or a key that is not in the JWKS")
    if header.get("alg") != key.algorithm:
        raise jwt.InvalidAlgorithmError("the token's alg is not its key's")
    return key


def verify_token(config: TokenConfig, token: str) -> Principal:
    try:
        key = _verify_key(config, token)
        claims = jwt.decode(
            token,
            key.key,
            algorithms=[key.algorithm],
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
