"""What every page shares: the visitor's context (language, session), rendering with the
security headers, redirects, and the checks of a posted form (CSRF, rate limits)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from gateway.limits import RateLimiter
from gateway.web.client import Api
from gateway.web.i18n import Translator, negotiate
from gateway.web.session import CSRF_FIELD, SessionCodec, WebSession
from shared.auth import Principal, verify_token
from shared.errors import Unauthorized

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class Refused(Exception):
    """A request the pages answer with an error page: 403 (CSRF), 404, 429, 502."""

    def __init__(self, status: int, message_key: str, retry_after: int | None = None) -> None:
        super().__init__(message_key)
        self.status = status
        self.message_key = message_key
        self.retry_after = retry_after


@dataclass
class Visit:
    """One request to a page: who, in which language, and how to reach the API as them."""

    request: Request
    t: Translator
    session: WebSession
    remember_lang: bool

    @property
    def api(self) -> Api:
        state = self.request.app.state
        client = self.request.client.host if self.request.client else None
        return Api(state.http, state.settings.upstreams(), self.session.token, client)

    @property
    def principal(self) -> Principal | None:
        """Who the session's token says the visitor is; None when signed out or the token is no longer valid."""
        if self.session.token is None:
            return None
        try:
            return verify_token(self.request.app.state.token_config, self.session.token)
        except Unauthorized:
            return None

    @property
    def staff(self) -> bool:
        principal = self.principal
        return principal is not None and principal.is_staff

    @property
    def client_host(self) -> str:
        return self.request.client.host if self.request.client is not None else "-"

    def limit(self, name: str, key: str = "") -> None:
        """Counts a hit on the rate limit `name` for this client; 429 past it."""
        limiter: RateLimiter = self.request.app.state.web_limits[name]
        retry_after = limiter.hit(f"{self.client_host} {key}".strip())
        if retry_after is not None:
            raise Refused(429, "error.rate_limited", retry_after)

    def lang_url(self, lang: str) -> str:
        query = {k: v for k, v in self.request.query_params.items() if k != "lang"}
        return f"{self.request.url.path}?{urlencode({**query, 'lang': lang})}"


def codec(request: Request) -> SessionCodec:
    found: SessionCodec = request.app.state.web_sessions
    return found


def visit(request: Request) -> Visit:
    """The FastAPI dependency of every page."""
    lang, chosen = negotiate(request)
    return Visit(request=request, t=Translator(lang), session=codec(request).load(request), remember_lang=chosen)


async def posted(v: Visit) -> FormData:
    """The posted form, once its CSRF token matches the session's (403 otherwise)."""
    form = await v.request.form(max_files=2, max_fields=400)
    if not v.session.csrf_ok(form.get(CSRF_FIELD)):
        raise Refused(403, "error.csrf")
    return form


def _finish(v: Visit, response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    codec(v.request).save(response, v.session)
    if v.remember_lang:
        codec(v.request).set_language(response, v.t.lang)
    return response


def render(
    v: Visit, template: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> Response:
    html = templates.get_template(template).render(
        t=v.t,
        lang=v.t.lang,
        dir=v.t.dir,
        csrf=v.session.csrf,
        csrf_field=CSRF_FIELD,
        session=v.session,
        lang_url=v.lang_url,
        path=v.request.url.path,
        staff=v.staff,
        **context,
    )
    return _finish(v, HTMLResponse(html, status_code=status, headers=headers))


def redirect(v: Visit, url: str) -> Response:
    return _finish(v, RedirectResponse(url, status_code=303))


def refused(v: Visit, exc: Refused) -> Response:
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    return render(
        v,
        "error.html",
        status=exc.status,
        headers=headers,
        message=v.t(exc.message_key),
        title=v.t(f"error.title.{exc.status}"),
    )


def safe_next(target: object, default: str = "/") -> str:
    """A local path to go to after signing in; anything else (another site, `//host`) → default."""
    if (
        isinstance(target, str)
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and len(target) < 300
        and all(c.isprintable() and not c.isspace() for c in target)
    ):
        return target
    return default
