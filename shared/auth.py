"""Tokens and roles: JWTs signed by the gateway's private key, `kid`/`exp`/`iss`/`aud` required.

The gateway issues tokens (it alone holds a `SigningKey`); every service verifies them again
with the public keys of the JWKS (no trusted `X-User` header), so a service cannot mint one.
A token's `kid` picks the public key and the key's type the one algorithm accepted for it:
the token's `alg` must be that one (never HS256 nor `none`).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.errors import Forbidden, Unauthorized
from shared.jwk import SigningKey, VerifyKey
from shared.roles import STAFF, Role

__all__ = [
    "AMR_MFA",
    "AMR_PASSWORD",
    "STAFF",
    "Principal",
    "Role",
    "TokenConfig",
    "issue_token",
    "require_mfa",
    "require_roles",
    "verify_token",
]

# How the holder signed in (RFC 8176 `amr`): a password, and a one-time code when with a second factor.
AMR_PASSWORD = ("pwd",)
AMR_MFA = ("pwd", "otp")
MFA_REQUIRED = "mfa_required"


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
    mfa: bool = False  # the token's `amr` names a second factor ("otp")

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF


SYSTEM = Principal(id=uuid.UUID(int=0), role=Role.admin, email="system")


def _amr_claim(amr: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(amr))


def _has_second_factor(claims: Mapping[str, object]) -> bool:
    amr = claims.get("amr")
    return isinstance(amr, list) and "otp" in amr


def issue_token(
    config: TokenConfig, user_id: uuid.UUID, email: str, role: Role, amr: Sequence[str] = AMR_PASSWORD
) -> str:
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
        "amr": _amr_claim(amr),
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
        return Principal(
            id=uuid.UUID(claims["sub"]),
            role=Role(claims["role"]),
            email=claims.get("email", ""),
            mfa=_has_second_factor(claims),
        )
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


def require_mfa(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """A dependency for money and award routes: 403 `mfa_required` to a token signed in without a
    second factor (enrol with `POST /api/v1/auth/totp`, then sign in with `totp`)."""
    if not principal.mfa:
        raise Forbidden("This needs a second factor: enrol in TOTP and sign in again with a code.", code=MFA_REQUIRED)
    return principal


def require_roles_with_mfa(*roles: Role) -> Callable[..., Principal]:
    """`require_roles`, then a second factor for a staff caller (an applicant among `roles`, such
    as a grantee confirming their own payee, signs in with a password only)."""
    by_role = require_roles(*roles)

    # the default-value form: the annotation could not name `by_role` (annotations are strings here)
    def dependency(principal: Principal = Depends(by_role)) -> Principal:
        if principal.is_staff:
            return require_mfa(principal)
        return principal

    return dependency
