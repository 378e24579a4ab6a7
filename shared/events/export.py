"""Writes the JSON Schema of every event and an AsyncAPI document of the catalogue.

`python -m shared.events.export` regenerates them; `tests/contract` fails when the files
in the repo differ from what the code generates.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from shared.events.catalogue import EVENTS, data_model_for
from shared.events.envelope import CloudEvent
from shared.topology import stream_for_subject

SCHEMA_DIR = Path(__file__).parent / "schemas"
ASYNCAPI_PATH = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.json"


def event_schema(subject: str) -> dict[str, Any]:
    model = data_model_for(subject)
    assert model is not None
    envelope = CloudEvent.model_json_schema()
    data = model.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://edf-grants.org/schemas/events/{subject}.json",
        "title": subject,
        "description": f"CloudEvents 1.0 envelope of {subject}; `type` is the subject.",
        **envelope,
        "properties": {**envelope["properties"], "type": {"const": subject}, "data": data},
    }


def asyncapi() -> dict[str, Any]:
    channels = {
        subject: {
            "address": subject,
            "description": f"JetStream stream {stream_for_subject(subject)}; header Nats-Msg-Id = event id.",
            "messages": {"event": {"payload": {"$ref": f"../shared/events/schemas/{subject}.json"}}},
        }
        for subject in sorted(EVENTS)
    }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "EDF Grants events", "version": "1.0.0"},
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
    }


def rendered() -> dict[Path, str]:
    files = {SCHEMA_DIR / f"{s}.json": _dump(event_schema(s)) for s in sorted(EVENTS)}
    files[ASYNCAPI_PATH] = _dump(asyncapi())
    return files


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> int:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for stale in SCHEMA_DIR.glob("*.json"):
        stale.unlink()
    for path, text in rendered().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(EVENTS)} event schemas and {ASYNCAPI_PATH.name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
