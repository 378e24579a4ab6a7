"""Thin routes of the gateway's own API: accounts and tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, Response

from gateway import domain, handlers, mfa
from gateway.deps import AdminMfa, DatabaseDep, LoginLimiterDep, MfaConfigDep, SignedIn, SignInGuardDep, TokenConfigDep
from gateway.models import Jwk, JwksOut, RegisteredOut, RegisterIn, TokenOut, User, UserCreateIn, UserOut
from gateway.signin import Throttled
from shared.auth import Role, issue_token
from shared.jwk import public_jwk
from shared.openapi_responses import problem_responses
from shared.uow import Actor

router = APIRouter(prefix="/api/v1")
jwks_router = APIRouter(tags=["auth"])


@jwks_router.get("/.well-known/jwks.json", response_model=JwksOut, response_model_exclude_none=True)
def jwks(config: TokenConfigDep, response: Response) -> JwksOut:
    """The public keys that tokens are verified with (RFC 7517): every key a service accepts,
    the one the gateway signs with and, during a rotation, the next or the previous one."""
    response.headers["Cache-Control"] = "public, max-age=300"
    return JwksOut(keys=[Jwk.model_validate(public_jwk(key.key)) for key in config.keys.values()])


def user_out(user: User) -> UserOut:
    return UserOut(id=user.id, email=user.email, full_name=user.full_name, role=domain.parse_role(user.role))


@router.post("/auth/register", status_code=201, response_model=RegisteredOut, tags=["auth"])
def register(body: RegisterIn, db: DatabaseDep) -> RegisteredOut:
    user = handlers.register(db, body)
    return RegisteredOut(id=user.id, email=user.email, role=Role.applicant)


@router.post("/auth/token", response_model=TokenOut, tags=["auth"], responses=problem_responses(401, 429))
def token(
    request: Request,
    db: DatabaseDep,
    limiter: LoginLimiterDep,
    guard: SignInGuardDep,
    config: TokenConfigDep,
    username: Annotated[str, Form(min_length=1, max_length=domain.EMAIL_MAX, description="The email address")],
    password: Annotated[str, Form(min_length=1, max_length=domain.PASSWORD_MAX)],
    mfa_config: MfaConfigDep,
    grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
    totp: Annotated[
        str | None, Form(max_length=32, description="A current TOTP code, or a recovery code (once each)")
    ] = None,
) -> TokenOut:
    """Signs in with the OAuth2 password form; rate-limited per client address and email. An
    account with a second factor also sends `totp`: without it or with a wrong one 401
    `mfa_required` (wrong codes are limited per account: 429); the token's `amr` says
    `["pwd", "otp"]` then."""
    # After repeated failures from any address, also per account (gateway.signin).
    client = request.client.host if request.client is not None else "-"
    retry_after = limiter.hit(f"{client} {username.strip().lower()}")
    if retry_after is not None:
        raise HTTPException(
            429, "Too many sign-in attempts; try again later.", headers={"Retry-After": str(retry_after)}
        )
    try:
        with guard.attempt(username):  # a wrong password or second factor counts as a failure
            user = handlers.authenticate(db, username, password)
            amr = mfa_second_factor(db, mfa_config, user, totp)
    except Throttled as exc:
        raise HTTPException(
            429, "Too many failed sign-ins for this account; try again later.", headers=exc.headers
        ) from None
    access_token = issue_token(config, user.id, user.email, domain.parse_role(user.role), amr)
    return TokenOut(access_token=access_token, expires_in=int(config.ttl.total_seconds()))


@router.get("/auth/me", response_model=UserOut, tags=["auth"])
def me(db: DatabaseDep, principal: SignedIn) -> UserOut:
    return user_out(handlers.get_me(db, principal))


def mfa_second_factor(db: DatabaseDep, config: mfa.MfaConfig, user: User, code: str | None) -> tuple[str, ...]:
    """`mfa.second_factor`, its 429 with `Retry-After`."""
    try:
        return mfa.second_factor(db, config, user, code)
    except mfa.TooManyCodes as exc:
        raise HTTPException(429, exc.detail, headers={"Retry-After": str(exc.retry_after)}) from None


@router.post("/users", status_code=201, response_model=UserOut, tags=["users"], responses=problem_responses(403))
def create_user(body: UserCreateIn, db: DatabaseDep, admin: AdminMfa) -> UserOut:
    return user_out(handlers.create_user(db, Actor.of(admin), body))
