"""The published JSON Schemas of the events (shared/events/schemas/), read as an outside consumer
would read them, and a check of the messages on a running stack's streams against them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from shared.events.export import SCHEMA_DIR
from shared.topology import PRODUCERS, stream_name
from tests.support.jetstream import StoredMessage, stream_messages


@cache
def published_schema(subject: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMA_DIR / f"{subject}.json").read_text(encoding="utf-8"))
    return schema


def validator(subject: str) -> Draft202012Validator:
    schema = published_schema(subject)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def unresolvable_refs(schema: dict[str, Any]) -> list[str]:
    """The `$ref`s of `schema` that a standard resolver cannot follow (PointerToNowhere & co)."""
    resolver = Registry().with_resource(schema["$id"], Resource.from_contents(schema)).resolver(schema["$id"])
    missing = []
    for ref in refs(schema):
        try:
            resolver.lookup(ref)
        except Exception:  # noqa: BLE001  (referencing raises several kinds: any is a failure)
            missing.append(ref)
    return missing


def all_stream_messages(nats_url: str) -> list[StoredMessage]:
    return [m for producer in PRODUCERS for m in stream_messages(nats_url, stream_name(producer))]


def schema_violations(messages: list[StoredMessage]) -> list[str]:
    """One line per message that does not validate against its subject's published schema."""
    found = []
    for message in messages:
        errors = [e.message for e in validator(message.subject).iter_errors(json.loads(message.data))]
        if errors:
            found.append(f"{message.subject} ({message.msg_id}): {errors[:3]}")
    return found
