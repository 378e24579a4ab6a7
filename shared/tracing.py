"""OpenTelemetry traces: on when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) is
set, exported over OTLP/HTTP; off otherwise, and then nothing here makes a span.

The W3C trace context travels in HTTP headers (`traceparent`, from the gateway to a service)
and in events, as the CloudEvents distributed-tracing extension attribute `traceparent`: a unit
of work that emits inside a span stamps it on the event (`stamped`), and the inbox runs the
consumer's handler in a span that continues it (`traced`). One submission is then one trace
from the gateway to the reviewer assignment in scoring. Spans carry route templates, event
types and consumer names, never paths, ids of people or payloads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    from shared.events.envelope import CloudEvent, IncomingCloudEvent

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
TRACE_HEADERS = ("traceparent", "tracestate")
PROPAGATOR = TraceContextTextMapPropagator()
E = TypeVar("E", bound="CloudEvent")


class _Tracing:
    """The process's own tracer provider (None: off). Not installed as the global provider:
    a library's built-in instrumentation (FastAPI's records raw paths) stays off."""

    tracer: trace.Tracer | None = None


def wanted(env: dict[str, str] | None = None) -> bool:
    """Whether the environment asks for traces: an OTLP endpoint, and the SDK not disabled."""
    env = dict(os.environ) if env is None else env
    disabled = env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"
    return not disabled and any(env.get(name, "").strip() for name in ENDPOINT_VARIABLES)


def configure_tracing(service: str) -> None:
    """Makes the exporting tracer provider, once per process, when the environment asks for it."""
    if _Tracing.tracer is not None or not wanted():
        return
    # Imported here: a process without an endpoint never loads the SDK or the exporter.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service}))  # flushed at exit
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    use_tracer(provider.get_tracer("edf"))


def use_tracer(tracer: trace.Tracer | None) -> None:
    """Turns tracing on with `tracer` (off with None); `configure_tracing` and tests call it."""
    _Tracing.tracer = tracer


def enabled() -> bool:
    return _Tracing.tracer is not None


def tracer() -> trace.Tracer:
    return _Tracing.tracer or trace.NoOpTracer()


def incoming_context(headers: dict[str, str]) -> Context:
    """The caller's trace context from `traceparent`/`tracestate` (an empty one without them)."""
    return PROPAGATOR.extract({name: headers[name] for name in TRACE_HEADERS if name in headers})


def current_trace_headers() -> dict[str, str]:
    """`traceparent` (and `tracestate`) of the current span; empty outside one or when off."""
    carrier: dict[str, str] = {}
    if enabled():
        PROPAGATOR.inject(carrier)
    return carrier


def stamped(event: E) -> E:
    """The event with the current trace context as its CloudEvents extension attributes."""
    extension = current_trace_headers()
    return event.model_copy(update=extension) if extension else event


def event_context(event: IncomingCloudEvent) -> Context:
    extra = event.model_extra or {}
    return incoming_context({name: str(extra[name]) for name in TRACE_HEADERS if name in extra})


def trace_ids() -> tuple[str, str] | None:
    """The current trace and span ids (hex), for log lines; None outside a recording span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


@contextmanager
def consumer_span(consumer: str, event: IncomingCloudEvent) -> Iterator[None]:
    """A CONSUMER span continuing the trace the event carries (a new trace without one)."""
    attributes = {
        "messaging.system": "nats",
        "messaging.operation.type": "process",
        "messaging.destination.name": event.type,
        "messaging.consumer.group.name": consumer,
        "messaging.message.id": event.id,
        "cloudevents.event_type": event.type,
    }
    with tracer().start_as_current_span(
        f"process {event.type}", context=event_context(event), kind=SpanKind.CONSUMER, attributes=attributes
    ):
        yield


Handler = TypeVar("Handler", bound=Callable[..., Any])


def traced(consumer: str, handler: Handler) -> Handler:
    """The inbox handler `handler(uow, event, data)` run in a consumer span when tracing is on."""

    def run(uow: Any, event: IncomingCloudEvent, data: Any) -> Any:
        if not enabled():
            return handler(uow, event, data)
        with consumer_span(consumer, event):
            return handler(uow, event, data)

    return run  # type: ignore[return-value]


def mark_server_span(route: str, method: str, status: int) -> None:
    """Names the current SERVER span by its route template once routing has found it."""
    span = trace.get_current_span()
    span.update_name(f"{method} {route}")
    span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))
