"""Thin routes of the second factor: enrolment (`/auth/totp`), its state, an admin's reset."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, Response

from gateway import mfa
from gateway.deps import AdminMfa, DatabaseDep, MfaConfigDep, SignedIn
from gateway.models import TotpConfirmIn, TotpEnabledOut, TotpEnrolmentOut, TotpStatusOut
from shared.openapi_responses import problem_responses
from shared.uow import Actor

router = APIRouter(prefix="/api/v1")


@router.post(
    "/auth/totp",
    status_code=201,
    response_model=TotpEnrolmentOut,
    tags=["auth"],
    responses=problem_responses(409),
)
def start_totp(db: DatabaseDep, config: MfaConfigDep, principal: SignedIn, response: Response) -> TotpEnrolmentOut:
    """Starts (or starts again) the enrolment: a secret for the authenticator app and 10 recovery
    codes, shown this once. Nothing changes at sign-in until `/auth/totp/confirm`. 409
    `totp_enabled` once enabled (an admin resets it)."""
    response.headers["Cache-Control"] = "no-store"
    secret, uri, codes = mfa.start_enrolment(db, config, principal)
    return TotpEnrolmentOut(secret=secret, otpauth_uri=uri, recovery_codes=codes)


@router.get("/auth/totp", response_model=TotpStatusOut, tags=["auth"])
def totp_status(db: DatabaseDep, config: MfaConfigDep, principal: SignedIn) -> TotpStatusOut:
    """Whether this account has a second factor, whether its role must have one
    (`EDF_MFA_REQUIRED_ROLES`), and whether this token was signed in with it."""
    state = mfa.status(db, config, principal)
    return TotpStatusOut(enabled=state["enabled"], required=state["required"], token_has_mfa=principal.mfa)


@router.post(
    "/auth/totp/confirm",
    response_model=TotpEnabledOut,
    tags=["auth"],
    responses=problem_responses(401, 409, 429),
)
def confirm_totp(body: TotpConfirmIn, db: DatabaseDep, config: MfaConfigDep, principal: SignedIn) -> TotpEnabledOut:
    """A current code of the app enables the second factor: sign in again with `totp` for a token
    that carries it. 401 `mfa_required` for a wrong code (429 past the limit of wrong codes)."""
    try:
        mfa.confirm_enrolment(db, config, principal, body.code)
    except mfa.TooManyCodes as exc:
        raise HTTPException(429, exc.detail, headers={"Retry-After": str(exc.retry_after)}) from None
    return TotpEnabledOut(enabled=True)


@router.delete("/users/{user_id}/totp", status_code=204, tags=["users"], responses=problem_responses(403, 404))
def reset_totp(user_id: uuid.UUID, db: DatabaseDep, admin: AdminMfa) -> Response:
    """An admin (signed in with a second factor) removes a user's second factor and recovery
    codes, audited: the user signs in with the password only, then enrols again."""
    mfa.reset(db, Actor.of(admin), user_id)
    return Response(status_code=204)
