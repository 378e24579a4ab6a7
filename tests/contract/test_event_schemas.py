"""The event JSON Schemas and the AsyncAPI document in the repo are what the code generates."""

from __future__ import annotations

import json

from shared.events.catalogue import EVENTS
from shared.events.export import SCHEMA_DIR, rendered


def test_committed_event_schemas_are_current() -> None:
    expected = rendered()
    stale = [p.name for p, text in expected.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    assert not stale, f"regenerate with `python -m shared.events.export`: {stale}"
    extra = {p.name for p in SCHEMA_DIR.glob("*.json")} - {p.name for p in expected}
    assert not extra, f"schemas of events that no longer exist: {extra}"


def test_every_subject_follows_the_naming_rule() -> None:
    for subject in EVENTS:
        parts = subject.split(".")
        assert parts[0] == "edf" and parts[-1].startswith("v") and parts[-1][1:].isdigit(), subject
        assert len(parts) == 5, subject


def test_money_is_a_string_in_event_schemas() -> None:
    schema = json.loads((SCHEMA_DIR / "edf.applications.call.opened.v1.json").read_text(encoding="utf-8"))
    budget = schema["properties"]["data"]["properties"]["budget"]
    assert budget["type"] == "string"
