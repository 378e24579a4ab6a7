"""The event JSON Schemas, the AsyncAPI document and docs/events.md in the repo are what the code
generates from the catalogue, and the schemas work for an outside consumer (every `$ref`
resolves; events made by the code validate with a standard validator)."""

from __future__ import annotations

import importlib
import json
import pkgutil
import uuid
from datetime import UTC, datetime

import pytest

import shared.events
from shared.events.calls import CallOpenedV1, CallSpec
from shared.events.catalogue import CATALOGUE, EVENTS, data_model_for
from shared.events.envelope import EventData, make_event
from shared.events.export import SCHEMA_DIR, rendered
from tests.support.disbursement import submitted_event
from tests.support.event_schemas import published_schema, unresolvable_refs, validator
from tests.support.samples import call_body


def test_committed_event_schemas_and_docs_are_current() -> None:
    expected = rendered()
    stale = [p.name for p, text in expected.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    assert not stale, f"regenerate with `python -m shared.events.export`: {stale}"
    extra = {p.name for p in SCHEMA_DIR.glob("*.json")} - {p.name for p in expected}
    assert not extra, f"schemas of events that no longer exist: {extra}"


def _event_classes(base: type[EventData]) -> set[type[EventData]]:
    found = set()
    for sub in base.__subclasses__():
        if "subject" in vars(sub):
            found.add(sub)
        found |= _event_classes(sub)
    return found


def test_every_event_class_is_in_the_catalogue_once() -> None:
    for module in pkgutil.iter_modules(shared.events.__path__):
        importlib.import_module(f"shared.events.{module.name}")
    assert _event_classes(EventData) == set(CATALOGUE), "add the new event class to shared/events/catalogue.py"
    assert len(CATALOGUE) == len(EVENTS)
    assert all(data_model_for(event.subject) is event for event in CATALOGUE)


def test_every_subject_follows_the_naming_rule() -> None:
    for subject in EVENTS:
        parts = subject.split(".")
        assert parts[0] == "edf" and parts[-1].startswith("v") and parts[-1][1:].isdigit(), subject
        assert len(parts) == 5, subject


def test_money_is_a_string_in_event_schemas() -> None:
    schema = published_schema(CallOpenedV1.subject)
    assert schema["properties"]["data"]["properties"]["budget"]["type"] == "string"


@pytest.mark.parametrize("subject", sorted(EVENTS))
def test_every_ref_of_a_published_schema_resolves(subject: str) -> None:
    assert unresolvable_refs(published_schema(subject)) == []


def test_events_with_nested_models_validate_against_their_published_schema() -> None:
    call_id = uuid.uuid4()
    spec = CallSpec.model_validate(call_body())
    opened = CallOpenedV1(**spec.model_dump(), call_id=call_id, opened_at=datetime.now(UTC))
    submitted = submitted_event(uuid.uuid4(), call_id, applicant_id=uuid.uuid4())
    for data in (opened, submitted):
        event = make_event(source="/edf/tests", subject=str(call_id), data=data)
        validator(data.subject).validate(json.loads(event.model_dump_json()))


def test_a_model_nested_in_events_is_no_event() -> None:
    with pytest.raises(TypeError, match="names no subject"):
        make_event(source="/edf/tests", subject="x", data=CallSpec.model_validate(call_body()))
