"""One submission is one trace: the stack as processes exports its spans over OTLP/HTTP to a
receiver of this test, and the trace id the client sends in `traceparent` is on the gateway's
span, on the applications service's span of the submit, on the consumer spans that follow the
events (screening in applications, the reviewer assignment in scoring) and on their log lines."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.otlp import OtlpReceiver, ReceivedSpan
from tests.support.samples import application_body, call_body
from tests.support.stack import PATIENT, Stack, running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]
PASSWORD = "a long password 1"
SERVER, CONSUMER = 2, 5  # opentelemetry.proto.trace.v1.Span.SpanKind


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as running:
        yield running


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, receiver: OtlpReceiver) -> Iterator[Stack]:
    tracing = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_BSP_SCHEDULE_DELAY": "200"}
    with running_stack(tmp_path_factory.mktemp("stack"), {**PATIENT, **tracing}, timeout=330) as running:
        yield running


def signed_up(stack: Stack, admin: dict[str, str] | None, role: str) -> dict[str, str]:
    email = f"{role}-{secrets.token_hex(4)}@example.org"
    body = {"email": email, "password": PASSWORD, "full_name": f"Test {role}"}
    if admin is None:
        created = httpx.post(f"{stack.gateway}/api/v1/auth/register", json=body, timeout=30)
    else:
        created = httpx.post(f"{stack.gateway}/api/v1/users", json={**body, "role": role}, headers=admin, timeout=30)
    assert created.status_code == 201, created.text
    return stack.token(email, PASSWORD)


def spans_of(
    receiver: OtlpReceiver, trace_id: str, wanted: dict[str, str], timeout: float = 90.0
) -> dict[str, ReceivedSpan]:
    """The first span of the trace matching each `name: "service span-name-part"`, waiting for all."""
    deadline = time.monotonic() + timeout
    while True:
        spans = [s for s in receiver.received() if s.trace_id == trace_id]
        found = {}
        for key, description in wanted.items():
            service, part = description.split(" ", 1)
            found[key] = next((s for s in spans if s.service == service and part in s.name), None)
        if all(found.values()):
            return {k: v for k, v in found.items() if v is not None}
        if time.monotonic() > deadline:
            seen = sorted({(s.service, s.name) for s in spans})
            missing = [k for k, v in found.items() if v is None]
            raise AssertionError(f"missing spans {missing} of trace {trace_id}; seen {seen}")
        time.sleep(0.3)


def test_one_trace_from_the_gateway_to_the_reviewer_assignment(stack: Stack, receiver: OtlpReceiver) -> None:
    api = f"{stack.gateway}/api/v1"
    admin = stack.token()
    call = httpx.post(f"{api}/calls", json=call_body(reviewers_per_application=1), headers=admin, timeout=30).json()
    assert httpx.post(f"{api}/calls/{call['id']}/open", headers=admin, timeout=30).status_code == 200
    signed_up(stack, admin, "officer")
    applicant = signed_up(stack, None, "applicant")
    draft = httpx.post(f"{api}/applications", json=application_body(call["id"]), headers=applicant, timeout=30)
    assert draft.status_code == 201, draft.text

    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    traced = {**applicant, "traceparent": f"00-{trace_id}-{caller_span}-01"}
    submitted = httpx.post(f"{api}/applications/{draft.json()['id']}/submit", headers=traced, timeout=30)
    assert submitted.status_code == 200, submitted.text

    spans = spans_of(
        receiver,
        trace_id,
        {
            "gateway": "gateway POST /api/v1/{path:path}",
            "submit": "applications POST /api/v1/applications/{application_id}/submit",
            "screening": "applications process edf.applications.application.submitted.v1",
            "assignment": "scoring process edf.applications.application.screened.v1",
            "assigned": "applications process edf.scoring.application.assigned.v1",
        },
    )
    assert spans["gateway"].kind == SERVER and spans["gateway"].parent_span_id == caller_span
    assert spans["submit"].kind == SERVER and spans["submit"].parent_span_id == spans["gateway"].span_id
    assert {spans[k].kind for k in ("screening", "assignment", "assigned")} == {CONSUMER}
    assert spans["assignment"].attributes["messaging.consumer.group.name"] == "scoring--EDF_APPLICATIONS"
    # Span names and attributes hold templates and event types, never the path with its ids.
    assert all(draft.json()["id"] not in span.name for span in receiver.received())

    logged = [json.loads(line.split("| ", 1)[1]) for line in stack.output if trace_id in line and "| {" in line]
    assert {entry["service"] for entry in logged} >= {"gateway", "applications"}
    assert all(entry["trace_id"] == trace_id for entry in logged)
