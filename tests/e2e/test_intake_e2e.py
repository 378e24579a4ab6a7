"""Intake with the whole stack running as processes, driven only through the gateway and NATS."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.jetstream import stream_messages
from tests.support.samples import application_body, call_body
from tests.support.stack import Stack, running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
PDF = b"%PDF-1.7\n%%EOF\n"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


def sign_up(stack: Stack, name: str) -> dict[str, str]:
    email = f"{name}-{time.time_ns()}@example.org"
    password = "a long password 1"
    created = httpx.post(
        f"{stack.gateway}/api/v1/auth/register", json={"email": email, "password": password, "full_name": name}
    )
    assert created.status_code == 201, created.text
    return stack.token(email, password)


def wait_for_status(stack: Stack, application_id: str, headers: dict[str, str]) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = httpx.get(f"{stack.gateway}/api/v1/applications/{application_id}", headers=headers).json()
        if found["status"] in ("eligible", "ineligible"):
            return dict(found)
        time.sleep(0.1)
    raise AssertionError("not screened in 30 s")


def test_submit_through_the_gateway_is_screened_and_the_events_are_on_the_stream(stack: Stack) -> None:
    admin = stack.token()
    call = httpx.post(f"{stack.gateway}/api/v1/calls", json=call_body(), headers=admin).json()
    assert httpx.post(f"{stack.gateway}/api/v1/calls/{call['id']}/open", headers=admin).status_code == 200

    applicant = sign_up(stack, "amina")
    draft = httpx.post(
        f"{stack.gateway}/api/v1/applications", json=application_body(call["id"]), headers=applicant
    ).json()
    upload = httpx.post(
        f"{stack.gateway}/api/v1/applications/{draft['id']}/documents",
        headers=applicant,
        files={"file": ("licence.pdf", PDF, "application/pdf")},
        data={"kind": "registration"},
    )
    assert upload.status_code == 201, upload.text
    submitted = httpx.post(f"{stack.gateway}/api/v1/applications/{draft['id']}/submit", headers=applicant)
    assert submitted.json()["status"] == "submitted"
    assert wait_for_status(stack, draft["id"], applicant)["status"] == "eligible"

    other = sign_up(stack, "basil")
    wrong = application_body(call["id"], business={"governorate": "IQ-BA"})
    second = httpx.post(f"{stack.gateway}/api/v1/applications", json=wrong, headers=other).json()
    httpx.post(f"{stack.gateway}/api/v1/applications/{second['id']}/submit", headers=other)
    screened = wait_for_status(stack, second["id"], other)
    assert screened["status"] == "ineligible"
    assert screened["screening"] == {
        "eligible": False,
        "reasons": ["governorate_not_eligible"],
        "flags": [],
        "screened_at": screened["screening"]["screened_at"],
        "state": "ineligible",
        "possible_duplicates": [],
        "resolution": None,
    }  # type: ignore[index]

    events = [json.loads(m.data) for m in stream_messages(stack.nats_url, "EDF_APPLICATIONS")]
    mine = [(e["type"], e["data"].get("eligible")) for e in events if e["subject"] in (draft["id"], second["id"])]
    assert ("edf.applications.application.submitted.v1", None) in mine
    assert ("edf.applications.application.screened.v1", True) in mine
    assert ("edf.applications.application.screened.v1", False) in mine
    assert all(
        m.msg_id == e["id"] for m, e in zip(stream_messages(stack.nats_url, "EDF_APPLICATIONS"), events, strict=True)
    )
    timeline = httpx.get(f"{stack.gateway}/api/v1/applications/{draft['id']}/timeline", headers=applicant)
    assert [i["type"] for i in timeline.json()][:3] == [
        "application.created",
        "document.added",
        "application.submitted",
    ]
    assert "x-timeline-unavailable" not in timeline.headers
