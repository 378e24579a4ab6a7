"""The JSON Schema of each event (its CloudEvents envelope with the data inside) and the AsyncAPI
3.0 document of the catalogue, both self-contained: the models nested in an event's data are
under the document's root (`$defs` of a schema, `components.schemas` of the AsyncAPI document),
where their `$ref`s point, so that any standard validator or parser resolves them."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from shared.events.envelope import CloudEvent, EventData
from shared.topology import stream_for_subject

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_BASE_URL = "https://edf-grants.org/schemas/events"
DEFS = "#/$defs/"
COMPONENT_SCHEMAS = "#/components/schemas/"


def producer_of(subject: str) -> str:
    """`edf.scoring.application.scored.v1` -> `scoring` (the stream's producer)."""
    return subject.split(".")[1]


def _data_schema(event: type[EventData]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The data's schema without its nested models, and the nested models (`$defs`)."""
    schema = event.model_json_schema(mode="serialization", ref_template=DEFS + "{model}")
    defs = schema.pop("$defs", {})
    return schema, defs


def _envelope(subject: str, data: dict[str, Any]) -> dict[str, Any]:
    envelope = CloudEvent.model_json_schema()
    return {**envelope, "properties": {**envelope["properties"], "type": {"const": subject}, "data": data}}


def event_schema(event: type[EventData]) -> dict[str, Any]:
    """The CloudEvents envelope of `event`, its `data` inline and the nested models at the root."""
    data, defs = _data_schema(event)
    schema = {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"{SCHEMA_BASE_URL}/{event.subject}.json",
        "title": event.subject,
        "description": f"CloudEvents 1.0 envelope of {event.subject}; `type` is the subject.",
        **_envelope(event.subject, data),
    }
    if defs:
        schema["$defs"] = defs
    return schema


def asyncapi(events: Sequence[type[EventData]], consumers: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """One channel per subject, one message per event; every schema in `components.schemas`:
    the envelope under its subject, the data under its class name, and the nested models."""
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for event in events:
        subject, name = event.subject, event.__name__
        data, defs = _data_schema(event)
        for nested, schema in {**defs, name: data}.items():
            _add_component(schemas, nested, _refs_to_components(schema))
        schemas[subject] = _envelope(subject, {"$ref": COMPONENT_SCHEMAS + name})
        messages[name] = {
            "name": name,
            "title": subject,
            "summary": _summary(event),
            "contentType": "application/cloudevents+json",
            "payload": {"$ref": COMPONENT_SCHEMAS + subject},
        }
        channels[subject] = {
            "address": subject,
            "description": (
                f"JetStream stream {stream_for_subject(subject)}; header Nats-Msg-Id = event id. "
                f"Consumed by: {', '.join(consumers.get(subject, ())) or 'no service of this repo'}."
            ),
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        operations[f"send{name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{subject}"},
            "messages": [{"$ref": f"#/channels/{subject}/messages/{name}"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "EDF Grants events",
            "version": "1.0.0",
            "description": "Every event the services publish to NATS JetStream, as CloudEvents 1.0 "
            "structured JSON (docs/events.md describes them).",
        },
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def _add_component(schemas: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    if name in schemas and schemas[name] != schema:
        raise ValueError(f"two different event models are named {name}: rename one")
    schemas[name] = schema


def _refs_to_components(schema: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(schema).replace(f'"$ref": "{DEFS}', f'"$ref": "{COMPONENT_SCHEMAS}')
    result: dict[str, Any] = json.loads(text)
    return result


def _summary(event: type[EventData]) -> str:
    doc = (event.__doc__ or "").strip()
    return " ".join(doc.split("\n\n")[0].split()) if doc else event.subject
