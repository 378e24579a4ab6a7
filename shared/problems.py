"""`application/problem+json` responses for every app.

Error bodies never echo submitted values: they name the field and the rule, so that no
personal data leaks into responses or logs.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import DomainError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("edf.errors")

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


def problem(
    status: int,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    members: dict[str, Any] | None = None,
) -> JSONResponse:
    """A problem body; `members` are extension members (e.g. the checks of `/readyz`)."""
    body: dict[str, Any] = {
        **(members or {}),
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Each failing field with its location and message, without the submitted input."""
    return [{"loc": list(err.get("loc", ())), "msg": str(err.get("msg", ""))} for err in exc.errors()]


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return problem(exc.status, exc.detail, exc.errors, members={"code": exc.code} if exc.code else None)


async def _request_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc)
    return problem(422, f"{len(errors)} invalid field(s)", errors)


async def _http_exception(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
    return problem(exc.status_code, detail, headers=getattr(exc, "headers", None))


DATABASE_RETRY_SECONDS = 5


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The database unreachable, restarting, busy or out of connections, or a deadlock: the
    request changed nothing (its transaction was rolled back) and may simply be sent again."""
    log.warning("database unavailable", extra={"path": request.url.path, "error": type(exc).__name__})
    return problem(
        503,
        "The service's database is not available right now; try again shortly.",
        headers={"Retry-After": str(DATABASE_RETRY_SECONDS)},
    )


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", extra={"path": request.url.path})
    return problem(500, "The server could not complete the request.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(PoolTimeout, _database_unavailable)
    app.add_exception_handler(Exception, _unhandled)
