"""The pages that are not the form: open calls, signing up and in, and the status page."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import ValidationError
from starlette.responses import Response

from gateway import domain, handlers, mfa
from gateway.limits import RateLimiter
from gateway.models import RegisterIn, User
from gateway.signin import SignInGuard, Throttled
from gateway.web.client import Unavailable
from gateway.web.pages import Refused, Visit, posted, redirect, render, safe_next, visit
from shared.auth import AMR_PASSWORD, TokenConfig, issue_token
from shared.errors import Conflict, Unauthorized

router = APIRouter(include_in_schema=False)
Page = Annotated[Visit, Depends(visit)]
SIGNUP_FIELDS = ("full_name", "email", "phone", "password")


@router.get("/")
async def home(v: Page) -> Response:
    calls = sorted(await v.api.open_calls(), key=lambda call: str(call.get("closes_at", "")))
    return render(v, "home.html", calls=calls)


def account_page(
    v: Page,
    next_url: str,
    status: int = 200,
    call: dict[str, Any] | None = None,
    signin: dict[str, str] | None = None,
    signup: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    return render(
        v,
        "account.html",
        status=status,
        next_url=next_url,
        call=call,
        signin=signin or {},
        signup=signup or {},
        errors=errors or {},
    )


@router.get("/signin")
async def signin_page(v: Page, next: str = "/status") -> Response:
    if v.session.signed_in:
        return redirect(v, safe_next(next))
    return account_page(v, safe_next(next))


def _signed_in(v: Visit, user: User, next_url: str, amr: tuple[str, ...] = AMR_PASSWORD) -> Response:
    config: TokenConfig = v.request.app.state.token_config
    token = issue_token(config, user.id, user.email, domain.parse_role(user.role), amr)
    v.session.sign_in(token, str(user.id), user.email, user.full_name)
    return redirect(v, next_url)


@router.post("/signin")
async def signin(v: Page) -> Response:
    form = await posted(v)
    next_url = safe_next(form.get("next"))
    email = str(form.get("email", "")).strip()[: domain.EMAIL_MAX]
    password = str(form.get("password", ""))[: domain.PASSWORD_MAX]
    code = str(form.get("totp", "")).strip()[:32] or None
    v.limit("signin")
    login_limiter: RateLimiter = v.request.app.state.login_limiter  # shared with the API's sign-in
    retry_after = login_limiter.hit(f"{v.client_host} {email.lower()}")
    if retry_after is not None:
        raise Refused(429, "error.rate_limited", retry_after)
    guard: SignInGuard = v.request.app.state.sign_in_guard  # shared with the API's sign-in
    try:
        with guard.attempt(email):
            user = await asyncio.to_thread(handlers.authenticate, v.request.app.state.db, email, password)
    except Throttled as exc:
        raise Refused(429, "error.rate_limited", exc.retry_after) from None
    except Unauthorized:
        return account_page(v, next_url, 401, signin={"email": email}, errors={"signin": v.t("error.credentials")})
    config = mfa.MfaConfig.of(v.request.app.state.settings)
    try:  # an account with a second factor signs in with a code too (`gateway.mfa`)
        amr = await asyncio.to_thread(mfa.second_factor, v.request.app.state.db, config, user, code)
    except mfa.TooManyCodes as exc:
        raise Refused(429, "error.rate_limited", exc.retry_after) from None
    except Unauthorized:
        return account_page(v, next_url, 401, signin={"email": email}, errors={"signin": v.t("error.mfa")})
    return _signed_in(v, user, next_url, amr)


@router.post("/signup")
async def signup(v: Page) -> Response:
    form = await posted(v)
    next_url = safe_next(form.get("next"))
    typed = {name: str(form.get(name, ""))[:400] for name in SIGNUP_FIELDS}
    v.limit("signup")
    shown = {k: value for k, value in typed.items() if k != "password"}
    values: dict[str, Any] = {k: value.strip() for k, value in typed.items() if k != "password"}
    values["password"] = typed["password"]
    if not values["phone"]:
        del values["phone"]
    try:
        body = RegisterIn(**values, locale=v.t.lang)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "email"
            errors.setdefault(f"signup-{name}", v.t.error(str(error["msg"]), v.t(f"field.account.{name}")))
        return account_page(v, next_url, 422, signup=shown, errors=errors)
    try:
        user = await asyncio.to_thread(handlers.register, v.request.app.state.db, body)
    except Conflict:
        return account_page(v, next_url, 409, signup=shown, errors={"signup-email": v.t("error.email_taken")})
    return _signed_in(v, user, next_url)


@router.post("/signout")
async def signout(v: Page) -> Response:
    await posted(v)
    v.session.sign_out()
    return redirect(v, "/")


async def _grants(v: Visit) -> list[dict[str, Any]]:
    """The session's grants; none when disbursement does not answer (the page still shows the rest)."""
    try:
        return await v.api.grants()
    except Unavailable:
        return []


@router.get("/status")
async def status(v: Page) -> Response:
    if not v.session.signed_in:
        return redirect(v, "/signin?next=/status")
    api = v.api
    applications, calls, grants = await asyncio.gather(api.applications(), api.open_calls(), _grants(v))
    applications = [a for a in applications if a.get("applicant_id") == v.session.user_id]
    by_id = {call["id"]: call for call in calls}
    applications.sort(key=lambda a: str(a.get("created_at", "")), reverse=True)
    # Payout details staff recorded for the grantee's grants wait for the grantee's confirmation.
    pending = [g for g in grants if (g.get("payee") or {}).get("status") == "pending"]
    return render(v, "status.html", applications=applications, calls=by_id, pending_payees=pending)


@router.post("/status/grants/{grant_id}/payee/confirm")
async def confirm_payee(v: Page, grant_id: str) -> Response:
    """The grantee confirms the payout details staff recorded, as they were shown (`payee_id`)."""
    form = await posted(v)
    if not v.session.signed_in:
        return redirect(v, "/signin?next=/status")
    answer = await v.api.confirm_payee(grant_id[:36], str(form.get("payee_id", ""))[:36])
    if not answer.ok:
        code = answer.body.get("code") if isinstance(answer.body, dict) else None
        raise Refused(answer.status if answer.status in (403, 404, 409, 422) else 400, f"payee.error.{code or 'other'}")
    return redirect(v, "/status#payees")
