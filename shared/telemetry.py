"""The HTTP edge of metrics and traces: one ASGI middleware that times every request by its
route template and, when tracing is on, runs it in a SERVER span continuing the caller's
`traceparent`; and the `/metrics` route of a service (kept out of the OpenAPI document)."""

from __future__ import annotations

import time

from fastapi import APIRouter, FastAPI
from fastapi.responses import Response
from opentelemetry.trace import SpanKind
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import tracing
from shared.metrics import CONTENT_TYPE, UNMATCHED, ProcessMetrics


def route_template(scope: Scope) -> str:
    """The template of the route that took the request (`/api/v1/calls/{call_id}`), else of
    the route that would have (a request a middleware answered first: 413, 429), else
    `unmatched`. Never the path itself: it may hold ids, tracking codes or an address."""
    route = scope.get("route")
    if route is None:
        app = scope.get("app")
        routes = getattr(getattr(app, "router", None), "routes", [])
        route = next((r for r in routes if r.matches(scope)[0] is Match.FULL), None)
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class TelemetryMiddleware:
    """Outermost: its span is current for the access log line and everything below it."""

    def __init__(self, app: ASGIApp, metrics: ProcessMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not tracing.enabled():
            await self._timed(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        method = scope["method"]
        with tracing.tracer().start_as_current_span(
            method,
            context=tracing.incoming_context(headers),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method},
        ):
            route, status = await self._timed(scope, receive, send)
            tracing.mark_server_span(route, method, status)

    async def _timed(self, scope: Scope, receive: Receive, send: Send) -> tuple[str, int]:
        started = time.perf_counter()
        status = 500

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            route = route_template(scope)
            self.metrics.observe_request(route, scope["method"], status, time.perf_counter() - started)
        return route, status


def metrics_router(metrics: ProcessMetrics) -> APIRouter:
    """`GET /metrics` on the service's own port (the gateway routes only `/api/v1` to services)."""
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(await metrics.exposition(), media_type=CONTENT_TYPE)

    return router


def install_telemetry(app: FastAPI, metrics: ProcessMetrics, *, serve_metrics: bool = True) -> None:
    """Adds the middleware (call it after every other `add_middleware`, so that it is outermost)
    and, unless the app serves its metrics elsewhere, the `/metrics` route."""
    app.add_middleware(TelemetryMiddleware, metrics=metrics)
    if serve_metrics:
        app.include_router(metrics_router(metrics))
