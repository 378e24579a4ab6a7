"""HTTP edges shared by every app: request/correlation ids, access logs, pagination, and the
refusal of a body sent to a route that takes none."""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from typing import Annotated, Generic, TypeVar

from fastapi import Query, Request
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import Invalid
from shared.fields import NUL, has_nul
from shared.logs import correlation_id_var, request_id_var

log = logging.getLogger("edf.http")
REQUEST_ID = "x-request-id"
CORRELATION_ID = "x-correlation-id"
T = TypeVar("T")


class RequestContextMiddleware:
    """Gives each request an id (kept from `X-Request-ID` when sane), echoes it back, logs
    one access line with method, path, status and time, never the query or the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = _sane_id(headers.get(REQUEST_ID)) or uuid.uuid4().hex
        correlation_id = _sane_id(headers.get(CORRELATION_ID)) or request_id
        rid_token = request_id_var.set(request_id)
        cid_token = correlation_id_var.set(correlation_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(rid_token)
            correlation_id_var.reset(cid_token)


def _sane_id(value: str | None) -> str | None:
    if value and 8 <= len(value) <= 64 and all(c.isalnum() or c in "-_" for c in value):
        return value
    return None


BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_NAMED_FIELDS = 20


async def refuse_unexpected_body(request: Request) -> None:
    """An app-wide dependency: a route that takes no body (an action such as submit, approve,
    resolve) answers 422 to one that carries fields, naming each, instead of ignoring it, so that
    `{"status": "approved"}` or `{"approved_by": …}` is never silently taken as accepted. No
    body, an empty one, `{}` and `null` pass."""
    route = request.scope.get("route")
    if request.method not in BODY_METHODS or route is None or getattr(route, "body_field", None) is not None:
        return
    body = await request.body()
    if not body.strip():
        return
    try:
        value: object = json.loads(body)
    except ValueError:
        value = body  # not JSON: refused as a whole
    if value is None or value == {}:
        return
    names = list(value)[:MAX_NAMED_FIELDS] if isinstance(value, dict) else []
    msg = "this request takes no body"
    errors = [{"loc": ["body", str(name)], "msg": f"not a field: {msg}"} for name in names]
    raise Invalid(f"{len(errors) or 1} invalid field(s): {msg}", errors or [{"loc": ["body"], "msg": msg}])


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int
    after: str | None


def page_params(
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> PageParams:
    return PageParams(limit=limit, after=decode_cursor(cursor) if cursor else None)


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        value = NUL  # refused below
    if has_nul(value):  # no key holds one, and PostgreSQL cannot compare text with one
        raise Invalid.field(["query", "cursor"], "not a cursor returned by this list") from None
    return value
