"""The web pages, served by the gateway: open calls, the application form, status, and the
staff's monitoring dashboard.

`install_web(app, settings)` adds the pages' routes, their static files under `/static`, the
session codec, the per-client rate limits and the error pages.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import Response

from gateway.limits import RateLimiter
from gateway.settings import Settings
from gateway.web import apply, dashboard, routes
from gateway.web.client import SignedOut, Unavailable
from gateway.web.pages import HERE, Refused, redirect, refused, visit
from gateway.web.session import SessionCodec, derive_key
from shared.auth import TokenConfig

LIMITS = ("signin", "signup", "submit")


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    return refused(visit(request), exc)


async def _unavailable(request: Request, exc: Exception) -> Response:
    return refused(visit(request), Refused(502, "error.unavailable"))


async def _signed_out(request: Request, exc: Exception) -> Response:
    v = visit(request)
    v.session.sign_out()
    parts = request.url.path.split("/")
    if request.method == "GET":
        path = request.url.path
    else:
        path = f"/apply/{parts[2]}" if len(parts) > 2 and parts[1] == "apply" else "/status"
    return redirect(v, f"/signin?{urlencode({'next': path})}")


def install_web(app: FastAPI, settings: Settings) -> None:
    tokens: TokenConfig = app.state.token_config
    assert tokens.signing is not None  # the gateway's (gateway.main)
    ttl = int(tokens.ttl.total_seconds())  # a session lasts as long as its token
    app.state.web_sessions = SessionCodec(derive_key(tokens.signing), ttl, secure=settings.env == "production")
    app.state.web_limits = {
        name: RateLimiter(settings.web_rate_limit, settings.web_rate_window_seconds) for name in LIMITS
    }
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(Unavailable, _unavailable)
    app.add_exception_handler(SignedOut, _signed_out)
    app.include_router(routes.router)
    app.include_router(apply.router)
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
