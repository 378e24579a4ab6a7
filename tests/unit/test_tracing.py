"""The trace context in events: stamped as the CloudEvents `traceparent` extension inside a
span, continued by the consumer's span, and nothing at all while tracing is off."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared import tracing
from shared.events.envelope import CloudEvent, make_event
from shared.events.scoring import ApplicationAssignedV1

SUBJECT = "edf.scoring.application.assigned.v1"


def an_event() -> CloudEvent:
    data = ApplicationAssignedV1(
        application_id=uuid.uuid4(), call_id=uuid.uuid4(), reviewers=1, required=1, assigned_at=datetime.now(UTC)
    )
    return make_event(source="/edf/tests", subject="a1", data=data)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_tracer(provider.get_tracer("tests"))
    try:
        yield exporter
    finally:
        tracing.use_tracer(None)


def test_tracing_is_off_without_an_endpoint() -> None:
    assert not tracing.wanted({})
    assert not tracing.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "true"})
    assert tracing.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert not tracing.enabled()
    with tracing.tracer().start_as_current_span("nothing"):
        event = tracing.stamped(an_event())
    assert "traceparent" not in event.model_dump() and tracing.current_trace_headers() == {}


def test_an_event_emitted_in_a_span_carries_its_traceparent(spans: InMemorySpanExporter) -> None:
    with tracing.tracer().start_as_current_span("request") as span:
        event = tracing.stamped(an_event())
    context = span.get_span_context()
    traceparent = event.model_dump()["traceparent"]
    assert traceparent.startswith(f"00-{context.trace_id:032x}-{context.span_id:016x}-")
    assert CloudEvent.model_validate_json(event.model_dump_json()).model_extra == {"traceparent": traceparent}


def test_the_consumer_span_continues_the_events_trace(spans: InMemorySpanExporter) -> None:
    with tracing.tracer().start_as_current_span("request") as producer:
        event = CloudEvent.model_validate_json(tracing.stamped(an_event()).model_dump_json())
    seen: dict[str, Any] = {}

    def handler(uow: object, received: CloudEvent, data: object) -> None:
        seen["ids"] = tracing.trace_ids()
        seen["emitted"] = tracing.stamped(an_event()).model_dump()["traceparent"]

    tracing.traced("scoring--EDF_APPLICATIONS", handler)(None, event, None)

    consumer = next(s for s in spans.get_finished_spans() if s.name == f"process {SUBJECT}")
    trace_id = f"{producer.get_span_context().trace_id:032x}"
    assert seen["ids"] == (trace_id, f"{consumer.context.span_id:016x}")
    assert consumer.parent is not None and consumer.parent.span_id == producer.get_span_context().span_id
    assert seen["emitted"].split("-")[1] == trace_id  # what the handler emits stays in the trace
    assert consumer.attributes is not None and consumer.attributes["messaging.consumer.group.name"] == (
        "scoring--EDF_APPLICATIONS"
    )


def test_an_event_without_traceparent_starts_a_trace_of_its_own(spans: InMemorySpanExporter) -> None:
    tracing.traced("scoring--EDF_APPLICATIONS", lambda *_: None)(None, an_event(), None)
    (consumer,) = spans.get_finished_spans()
    assert consumer.parent is None
