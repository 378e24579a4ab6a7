"""The pages' cookie session: a signed (HMAC-SHA256) JSON payload holding the access token
and the session's CSRF token. Nothing is stored server-side; the cookie is HttpOnly,
SameSite=Lax, and Secure in production.

The cookie's key is derived from the gateway's token signing key: switching the gateway to a
new signing key (key rotation, docs/deploy.md) signs everyone out of the pages once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from shared.jwk import SigningKey, private_pem

COOKIE = "edf_session"
LANG_COOKIE = "edf_lang"
CSRF_FIELD = "csrf"
MAX_COOKIE_CHARS = 3800  # browsers keep at least 4096 bytes per cookie


def derive_key(signing: SigningKey) -> bytes:
    return hmac.new(private_pem(signing.key), b"edf-web-session-v1", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class WebSession:
    """What a page knows about its visitor. `changed` asks for the cookie to be (re)sent."""

    csrf: str
    token: str | None = None
    user_id: str = ""
    email: str = ""
    name: str = ""
    issued: int = field(default_factory=lambda: int(time.time()))
    changed: bool = False

    @property
    def signed_in(self) -> bool:
        return self.token is not None

    def sign_in(self, token: str, user_id: str, email: str, name: str) -> None:
        """A new session on sign-in: a fresh CSRF token too, so that one planted before is useless."""
        self.token, self.user_id, self.email, self.name = token, user_id, email, name
        self.csrf = secrets.token_urlsafe(32)
        self.issued = int(time.time())
        self.changed = True

    def sign_out(self) -> None:
        self.token, self.user_id, self.email, self.name = None, "", "", ""
        self.csrf = secrets.token_urlsafe(32)
        self.changed = True

    def csrf_ok(self, submitted: object) -> bool:
        return isinstance(submitted, str) and hmac.compare_digest(submitted.encode(), self.csrf.encode())


class SessionCodec:
    """Reads and writes `WebSession`s as signed cookies."""

    def __init__(self, key: bytes, max_age_seconds: int, secure: bool) -> None:
        self.key = key
        self.max_age = max_age_seconds
        self.secure = secure

    def _sign(self, payload: bytes) -> str:
        return _b64(hmac.new(self.key, payload, hashlib.sha256).digest())

    def dumps(self, session: WebSession) -> str:
        data = {
            "c": session.csrf,
            "t": session.token,
            "u": session.user_id,
            "e": session.email,
            "n": session.name,
            "i": session.issued,
        }
        payload = _b64(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())
        return f"{payload}.{self._sign(payload.encode())}"

    def loads(self, cookie: str | None) -> WebSession | None:
        """The session in a cookie this codec signed and that has not expired; None otherwise."""
        if not cookie or len(cookie) > MAX_COOKIE_CHARS or "." not in cookie:
            return None
        payload, _, signature = cookie.partition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(payload.encode()).encode()):
            return None
        try:
            data: dict[str, Any] = json.loads(_unb64(payload))
            token = data.get("t")
            session = WebSession(
                csrf=str(data["c"]),
                token=str(token) if token else None,
                user_id=str(data.get("u", "")),
                email=str(data.get("e", "")),
                name=str(data.get("n", "")),
                issued=int(data["i"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        if time.time() - session.issued > self.max_age:
            return None
        return session

    def load(self, request: Request) -> WebSession:
        """The request's session, or a new anonymous one (with its CSRF token) to be sent."""
        found = self.loads(request.cookies.get(COOKIE))
        if found is not None:
            return found
        return WebSession(csrf=secrets.token_urlsafe(32), changed=True)

    def save(self, response: Response, session: WebSession) -> None:
        if session.changed:
            response.set_cookie(
                COOKIE,
                self.dumps(session),
                max_age=self.max_age,
                path="/",
                secure=self.secure,
                httponly=True,
                samesite="lax",
            )

    def set_language(self, response: Response, lang: str) -> None:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 24 * 3600, path="/", secure=self.secure, httponly=True, samesite="lax"
        )
