"""Typed dependencies of the gateway's own routes: its database and settings, the token and
sign-in limits made of them, the HTTP client of its own calls, the caller by role. Routes take
these and read nothing from `app.state` themselves."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import Depends, Request

from gateway.limits import RateLimiter
from gateway.mfa import MfaConfig
from gateway.settings import Settings
from gateway.signin import SignInGuard
from shared.auth import Principal, Role, TokenConfig, require_roles, require_roles_with_mfa
from shared.deps import DatabaseDep, SignedIn, settings_getter

__all__ = [
    "Admin",
    "AdminMfa",
    "DatabaseDep",
    "HttpClientDep",
    "LoginLimiterDep",
    "MfaConfigDep",
    "SettingsDep",
    "SignInGuardDep",
    "SignedIn",
    "TokenConfigDep",
    "get_http_client",
    "get_login_limiter",
    "get_settings",
    "get_sign_in_guard",
    "get_token_config",
]

get_settings = settings_getter(Settings)
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_token_config(request: Request) -> TokenConfig:
    config: TokenConfig = request.app.state.token_config
    return config


def get_login_limiter(request: Request) -> RateLimiter:
    """One limiter for the API's and the pages' sign-in."""
    limiter: RateLimiter = request.app.state.login_limiter
    return limiter


def get_sign_in_guard(request: Request) -> SignInGuard:
    """The per-account count of failed sign-ins, the API's and the pages'."""
    guard: SignInGuard = request.app.state.sign_in_guard
    return guard


def get_http_client(request: Request) -> httpx.AsyncClient:
    """The client of the gateway's own calls to the services (pages, timeline, OpenAPI)."""
    client: httpx.AsyncClient = request.app.state.http
    return client


TokenConfigDep = Annotated[TokenConfig, Depends(get_token_config)]
LoginLimiterDep = Annotated[RateLimiter, Depends(get_login_limiter)]
SignInGuardDep = Annotated[SignInGuard, Depends(get_sign_in_guard)]
HttpClientDep = Annotated[httpx.AsyncClient, Depends(get_http_client)]
Admin = Annotated[Principal, Depends(require_roles(Role.admin))]
AdminMfa = Annotated[Principal, Depends(require_roles_with_mfa(Role.admin))]  # user management


def get_mfa_config(settings: SettingsDep) -> MfaConfig:
    return MfaConfig.of(settings)


MfaConfigDep = Annotated[MfaConfig, Depends(get_mfa_config)]
