"""The pages' calls to the public API of the services, through the gateway's pooled client.

The pages use the same routes and the same bearer token as any other client: every rule is
the API's. A service that cannot be reached raises `Unavailable` (the page says so).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.proxy import upstream_for
from shared.http import CORRELATION_ID, REQUEST_ID
from shared.logs import correlation_id_var, request_id_var

log = logging.getLogger("edf.gateway.web")
PAGE = 200
MAX_PAGES = 20


class Unavailable(Exception):
    """The service did not answer (or answered 5xx)."""


class SignedOut(Exception):
    """The API refused the session's token (expired, or signed with an old secret): sign in again."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def errors(self) -> list[dict[str, Any]]:
        found = self.body.get("errors") if isinstance(self.body, dict) else None
        return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []

    @property
    def detail(self) -> str:
        return str(self.body.get("detail", "")) if isinstance(self.body, dict) else ""


class Api:
    def __init__(
        self, http: httpx.AsyncClient, upstreams: dict[str, str], token: str | None, client_host: str | None
    ) -> None:
        self.http = http
        self.upstreams = upstreams
        self.token = token
        self.client_host = client_host

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if request_id := request_id_var.get():
            headers[REQUEST_ID] = request_id
        if correlation_id := correlation_id_var.get():
            headers[CORRELATION_ID] = correlation_id
        if self.client_host:
            headers["X-Forwarded-For"] = self.client_host
        return headers

    async def call(self, method: str, path: str, *, anonymous: bool = False, **kwargs: Any) -> Answer:
        name = upstream_for(path)
        if name is None:
            raise ValueError(f"no service serves {path}")
        headers = self._headers()
        if anonymous:
            headers.pop("Authorization", None)
        try:
            response = await self.http.request(method, self.upstreams[name] + path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("upstream unreachable", extra={"upstream": name, "error": type(exc).__name__})
            raise Unavailable(name) from exc
        if response.status_code == 401 and "Authorization" in headers:
            raise SignedOut
        if response.status_code >= 500:
            log.warning("upstream failed", extra={"upstream": name, "status": response.status_code})
            raise Unavailable(name)
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        return Answer(response.status_code, body)

    async def _all(self, path: str, params: dict[str, str], anonymous: bool = False) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            query = {**params, "limit": str(PAGE), **({"cursor": cursor} if cursor else {})}
            answer = await self.call("GET", path, params=query, anonymous=anonymous)
            if not answer.ok or not isinstance(answer.body, dict):
                return items
            items += answer.body.get("items", [])
            cursor = answer.body.get("next_cursor")
            if not cursor:
                break
        return items

    async def open_calls(self) -> list[dict[str, Any]]:
        """Every open call, as anyone sees them (a staff member's token would show drafts too)."""
        return await self._all("/api/v1/calls", {"status": "open"}, anonymous=True)

    async def open_call(self, code: str) -> dict[str, Any] | None:
        wanted = code.strip().upper()
        return next((call for call in await self.open_calls() if call.get("code") == wanted), None)

    async def applications(self, call_id: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("call_id", call_id), ("status", status)) if v}
        return await self._all("/api/v1/applications", params)

    async def application(self, application_id: str) -> Answer:
        return await self.call("GET", f"/api/v1/applications/{application_id}")

    async def create(self, call_id: str, sections: dict[str, Any]) -> Answer:
        return await self.call("POST", "/api/v1/applications", json={"call_id": call_id, **sections})

    async def update(self, application_id: str, sections: dict[str, Any]) -> Answer:
        return await self.call("PATCH", f"/api/v1/applications/{application_id}", json=sections)

    async def submit(self, application_id: str) -> Answer:
        return await self.call("POST", f"/api/v1/applications/{application_id}/submit")

    async def upload(self, application_id: str, kind: str, filename: str, content: bytes, content_type: str) -> Answer:
        return await self.call(
            "POST",
            f"/api/v1/applications/{application_id}/documents",
            data={"kind": kind},
            files={"file": (filename, content, content_type)},
        )

    async def delete_document(self, application_id: str, document_id: str) -> Answer:
        return await self.call("DELETE", f"/api/v1/applications/{application_id}/documents/{document_id}")

    async def grants(self) -> list[dict[str, Any]]:
        """The grants the session may see (an applicant's: their own)."""
        return await self._all("/api/v1/grants", {})

    async def confirm_payee(self, grant_id: str, payee_id: str) -> Answer:
        return await self.call("POST", f"/api/v1/grants/{grant_id}/payee/confirm", json={"payee_id": payee_id})

    async def calls(self) -> list[dict[str, Any]]:
        """Every call the session may see (a staff member's token shows drafts and closed ones too)."""
        return await self._all("/api/v1/calls", {})

    async def call_of(self, call_id: str) -> Answer:
        return await self.call("GET", f"/api/v1/calls/{call_id}")

    async def indicators(self, call_id: str) -> Answer:
        return await self.call("GET", f"/api/v1/calls/{call_id}/indicators")

    async def dashboard(self, call_id: str) -> Answer:
        return await self.call("GET", f"/api/v1/calls/{call_id}/dashboard")
