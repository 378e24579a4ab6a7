"""Domain errors: plain exceptions that use cases raise and the HTTP edge turns into
`application/problem+json` (see `shared.problems`). No web framework here."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """`code`, when given, is the stable machine-readable reason a problem body carries beside
    `title` (clients read `code`, never `detail`)."""

    status = 400

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.code = code


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403


class Unauthorized(DomainError):
    status = 401


class Invalid(DomainError):
    """422 with one entry per wrong field: `errors=[{"loc": [...], "msg": ...}]`."""

    status = 422

    @classmethod
    def field(cls, loc: list[str | int], msg: str) -> Invalid:
        return cls(f"{'.'.join(map(str, loc))}: {msg}", [{"loc": loc, "msg": msg}])


class PayloadTooLarge(DomainError):
    status = 413


class UnsupportedMediaType(DomainError):
    status = 415
