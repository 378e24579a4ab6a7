"""The proxy sends the gateway's own trace context upstream: with tracing on, `traceparent`
names the gateway's SERVER span (which continues the caller's trace); off, no trace header
passes at all (not even the caller's)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.main import create_app
from shared import tracing
from shared.migrate import upgrade
from tests.support.gateway import gateway_settings
from tests.support.servers import ServerThread, echo_app

CALLER_TRACE, CALLER_SPAN = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
CALLER = {"traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01", "tracestate": "vendor=secret"}


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    with ServerThread(echo_app) as server:
        yield server.url


def forwarded_trace_headers(database_url: str, echo_url: str) -> dict[str, str]:
    upgrade("gateway", database_url)
    with TestClient(create_app(gateway_settings(database_url, applications_url=echo_url))) as client:
        response = client.get("/api/v1/calls", headers=CALLER)
    assert response.status_code == 200
    return {k: v for k, v in response.json()["headers"] if k in ("traceparent", "tracestate")}


def test_off_no_trace_header_goes_upstream(database_url: str, echo_url: str) -> None:
    assert forwarded_trace_headers(database_url, echo_url) == {}


def test_on_the_upstream_gets_the_gateways_span_in_the_callers_trace(database_url: str, echo_url: str) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_tracer(provider.get_tracer("tests"))
    try:
        headers = forwarded_trace_headers(database_url, echo_url)
    finally:
        tracing.use_tracer(None)
    (server,) = [s for s in exporter.get_finished_spans() if s.name == "GET /api/v1/{path:path}"]
    assert headers["traceparent"].startswith(f"00-{CALLER_TRACE}-{server.context.span_id:016x}-")
    assert server.parent is not None and f"{server.parent.span_id:016x}" == CALLER_SPAN
    assert server.attributes is not None and server.attributes["http.route"] == "/api/v1/{path:path}"
    assert "url.path" not in server.attributes
