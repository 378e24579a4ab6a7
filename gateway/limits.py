"""Limits at the edge: request size (413) and requests per client or user (429).

Bodies: any body up to `max_bytes` (uploads are multipart/form-data), and any other (JSON,
forms) up to `max_json_bytes` too. Rates: each `Limit` counts the requests of one method and
path per client address, or per user account (the subject of a valid bearer token); past it,
429 with `Retry-After` in whole seconds. Sign-in is also limited per address and email
(`gateway.api`).
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.settings import Settings
from shared.auth import TokenConfig, verify_token
from shared.errors import Unauthorized
from shared.problems import problem


class BodyTooLarge(HTTPException):
    """Raised while a body is being read, once it passes the limit. An `HTTPException`, so
    that FastAPI's body parsing lets it through and the shared handler answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the limit of {limit} bytes.")


class BodyLimitMiddleware:
    """Refuses bodies above the limit (`max_bytes` for any body, `max_json_bytes` too for one
    that is not multipart/form-data): at once when `Content-Length` says so, otherwise as soon
    as the streamed body (chunked, or longer than announced) passes it."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_json_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_json_bytes = max_bytes if max_json_bytes is None else min(max_json_bytes, max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        multipart = _header(scope, b"content-type").lower().startswith("multipart/form-data")
        limit = self.max_bytes if multipart else self.max_json_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            response = problem(413, BodyTooLarge(limit).detail, headers={"Connection": "close"})
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def _content_length(scope: Scope) -> int | None:
    try:
        return int(_header(scope, b"content-length"))
    except ValueError:
        return None


class RateLimiter:
    """At most `limit` hits per key in any `window` seconds (a sliding window kept in memory).

    Thread-safe; the number of keys is bounded: the least recently used ones are dropped.
    """

    def __init__(self, limit: int, window: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> int | None:
        """Counts one hit; returns None if it is allowed, else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                hits = self._hits[key] = deque()
                while len(self._hits) > self.max_keys:
                    self._hits.popitem(last=False)
            else:
                self._hits.move_to_end(key)
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1, math.ceil(hits[0] + self.window - now))
            hits.append(now)
            return None


@dataclass(frozen=True)
class Limit:
    """At most `limiter.limit` requests of `method` on a path matching `path` in any window, per
    user account when `per_user` (per client address without a valid token), else per address."""

    what: str
    method: str
    path: re.Pattern[str]
    limiter: RateLimiter
    per_user: bool = False


def api_limits(settings: Settings) -> list[Limit]:
    """The API's sign-in per address (whatever the email), sign-up per address, submit per user."""
    return [
        Limit(
            "sign-in attempts from this address",
            "POST",
            re.compile(r"^/api/v1/auth/token$"),
            RateLimiter(settings.login_address_rate_limit, settings.login_rate_window_seconds),
        ),
        Limit(
            "sign-ups from this address",
            "POST",
            re.compile(r"^/api/v1/auth/register$"),
            RateLimiter(settings.signup_rate_limit, settings.signup_rate_window_seconds),
        ),
        Limit(
            "submissions",
            "POST",
            re.compile(r"^/api/v1/applications/[^/]+/submit$"),
            RateLimiter(settings.submit_rate_limit, settings.submit_rate_window_seconds),
            per_user=True,
        ),
    ]


class RateLimitMiddleware:
    """429 problem+json with `Retry-After` for a request past its `Limit` (the first that matches)."""

    def __init__(self, app: ASGIApp, limits: Sequence[Limit], token_config: TokenConfig) -> None:
        self.app = app
        self.limits = list(limits)
        self.token_config = token_config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            limit = next(
                (lim for lim in self.limits if scope["method"] == lim.method and lim.path.match(scope["path"])), None
            )
            retry_after = limit.limiter.hit(self._key(scope, limit.per_user)) if limit is not None else None
            if limit is not None and retry_after is not None:
                response = problem(
                    429,
                    f"Too many {limit.what}; try again in {retry_after} s.",
                    headers={"Retry-After": str(retry_after)},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _key(self, scope: Scope, per_user: bool) -> str:
        if per_user:
            scheme, _, token = _header(scope, b"authorization").partition(" ")
            if scheme.lower() == "bearer" and token:
                try:
                    return f"user {verify_token(self.token_config, token.strip()).id}"
                except Unauthorized:
                    pass
        client = scope.get("client")
        return f"address {client[0] if client else '-'}"
