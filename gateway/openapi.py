"""One OpenAPI document for the whole API: the gateway's own routes plus each service's.

Upstream documents are fetched with the pooled client and cached for a short while; a
service that is down is left out and named in `info["x-unavailable"]`. Only the paths the
routing table sends to a service are taken from it, so the document lists what the gateway
really serves.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse

from gateway.deps import HttpClientDep
from gateway.limits import Limit, api_limits
from gateway.proxy import upstream_for
from shared.http import REQUEST_ID
from shared.logs import request_id_var
from shared.openapi_responses import declare_problems, problem_response

log = logging.getLogger("edf.gateway.openapi")
Document = dict[str, Any]
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "A token from `POST /api/v1/auth/token`.",
}
RETRY_UNAVAILABLE_SECONDS = 5.0


class OpenAPIMerger:
    def __init__(self, upstreams: dict[str, str], cache_seconds: float, fetch_timeout: float = 5.0) -> None:
        self.upstreams = upstreams
        self.cache_seconds = cache_seconds
        self.fetch_timeout = fetch_timeout
        self._cached: tuple[float, Document] | None = None
        self._lock = asyncio.Lock()

    async def document(self, app: FastAPI, client: httpx.AsyncClient) -> Document:
        if self._cached is not None and self._cached[0] > time.monotonic():
            return self._cached[1]
        async with self._lock:
            if self._cached is not None and self._cached[0] > time.monotonic():
                return self._cached[1]
            names = list(self.upstreams)
            fetched = await asyncio.gather(*(self._fetch(client, name) for name in names))
            merged = merged_document(app, dict(zip(names, fetched, strict=True)))
            ttl = self.cache_seconds if not merged["info"]["x-unavailable"] else RETRY_UNAVAILABLE_SECONDS
            self._cached = (time.monotonic() + min(ttl, self.cache_seconds), merged)
            return merged

    async def _fetch(self, client: httpx.AsyncClient, name: str) -> Document | None:
        headers = {REQUEST_ID: request_id} if (request_id := request_id_var.get()) else {}
        url = f"{self.upstreams[name]}/openapi.json"
        try:
            response = await client.get(url, headers=headers, timeout=self.fetch_timeout)
            document = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("upstream OpenAPI unavailable", extra={"upstream": name, "error": type(exc).__name__})
            return None
        return document if isinstance(document, dict) else None


def merged_document(app: FastAPI, upstream_docs: dict[str, Document | None]) -> Document:
    """The gateway's own routes and the services' routed ones, every operation's problem answers
    declared, the gateway's own and those of a service whose document lacks them
    (`shared.openapi_responses`), and the gateway's rate limits."""
    merged = declare_problems(merge(_own(app), upstream_docs))
    declare_rate_limits(merged, api_limits(app.state.settings))
    return merged


def declare_rate_limits(doc: Document, limits: list[Limit]) -> None:
    """429 on each operation that a rate limit of `gateway.limits` counts (its pattern matches the
    path template too: a parameter holds no slash)."""
    for path, item in doc.get("paths", {}).items():
        for limit in limits:
            operation = item.get(limit.method.lower())
            if isinstance(operation, dict) and limit.path.match(path):
                operation.setdefault("responses", {}).setdefault("429", problem_response(429))


def _own(app: FastAPI) -> Document:
    return get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)


def merge(own: Document, upstream_docs: dict[str, Document | None]) -> Document:
    """`own` plus each upstream's routed paths and its components (renamed on a clash)."""
    doc = copy.deepcopy(own)
    paths: dict[str, Any] = doc.setdefault("paths", {})
    components: dict[str, dict[str, Any]] = doc.setdefault("components", {})
    tags = {tag["name"]: tag for tag in doc.get("tags", [])}
    unavailable = []
    for name, upstream in upstream_docs.items():
        if upstream is None:
            unavailable.append(name)
            continue
        renames = _renames(name, components, upstream.get("components", {}))
        if renames:
            upstream = _rewrite_refs(upstream, renames)
        for section, items in upstream.get("components", {}).items():
            target = components.setdefault(section, {})
            for key, value in items.items():
                ref = f"#/components/{section}/{key}"
                target.setdefault(renames.get(ref, ref).rsplit("/", 1)[-1], value)
        for path, item in upstream.get("paths", {}).items():
            if path not in paths and upstream_for(path) == name:
                paths[path] = item
        for tag in upstream.get("tags", []):
            tags.setdefault(tag["name"], tag)
    components.setdefault("securitySchemes", {})["HTTPBearer"] = BEARER
    if tags:
        doc["tags"] = list(tags.values())
    doc["info"]["x-unavailable"] = unavailable
    return doc


def _renames(name: str, have: dict[str, dict[str, Any]], incoming: dict[str, dict[str, Any]]) -> dict[str, str]:
    """`$ref` targets of `incoming` components that clash with different ones already merged."""
    renames = {}
    for section, items in incoming.items():
        if section == "securitySchemes":
            continue  # one bearer scheme for all: the gateway's
        for key, value in items.items():
            if key in have.get(section, {}) and have[section][key] != value:
                renames[f"#/components/{section}/{key}"] = f"#/components/{section}/{name}_{key}"
    return renames


def _rewrite_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            key: renames.get(value, value)
            if key == "$ref" and isinstance(value, str)
            else _rewrite_refs(value, renames)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node


def openapi_router(merger: OpenAPIMerger) -> APIRouter:
    router = APIRouter()

    @router.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request, client: HttpClientDep) -> JSONResponse:
        return JSONResponse(await merger.document(request.app, client))

    @router.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="EDF Grants — API")

    return router
