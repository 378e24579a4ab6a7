"""Writes the JSON Schema of every event, the AsyncAPI document and `docs/events.md`, all from
the catalogue.

`python -m shared.events.export` regenerates them; `tests/contract` fails when the files in the
repo differ from what the code generates.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

from shared.events.catalogue import CATALOGUE
from shared.events.catalogue_doc import events_markdown
from shared.events.disbursement import PaymentInstructedV1
from shared.events.json_schema import asyncapi, event_schema

SCHEMA_DIR = Path(__file__).parent / "schemas"
DOCS = Path(__file__).resolve().parents[2] / "docs"
ASYNCAPI_PATH = DOCS / "asyncapi.json"
EVENTS_DOC_PATH = DOCS / "events.md"
# Consumers outside this repo's services (docs/finance-integration.md).
OUTSIDE_CONSUMERS = {PaymentInstructedV1.subject: ["finance systems (`edf finance-sim` is the reference one)"]}


def consumers_by_subject() -> dict[str, list[str]]:
    """Subject -> the apps that subscribe to it, read from each app's `consumers.SUBSCRIPTIONS`
    (by name, as `shared.migrate` finds their migrations: the library imports no service)."""
    from shared.migrate import APPS

    consumers: dict[str, list[str]] = {subject: list(apps) for subject, apps in OUTSIDE_CONSUMERS.items()}
    for app, package in APPS.items():
        try:
            module = importlib.import_module(f"{package}.consumers")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.consumers":
                raise
            continue  # this app consumes no events
        for subscription in module.SUBSCRIPTIONS:
            consumers.setdefault(subscription.subject, []).append(app)
    return consumers


def rendered() -> dict[Path, str]:
    consumers = consumers_by_subject()
    files = {SCHEMA_DIR / f"{event.subject}.json": _dump(event_schema(event)) for event in CATALOGUE}
    files[ASYNCAPI_PATH] = _dump(asyncapi(CATALOGUE, consumers))
    files[EVENTS_DOC_PATH] = events_markdown(CATALOGUE, consumers)
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
    print(f"wrote {len(CATALOGUE)} event schemas, {ASYNCAPI_PATH.name} and {EVENTS_DOC_PATH.name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
