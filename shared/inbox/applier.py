"""Applies events to a service's state: each in a unit of work with its inbox claim, or a batch
in one; keeps the dead letters the consumer loop hands it.

A batch is applied in one transaction where it can be (one commit and one append to the audit
chain for all of it, each event still with its own inbox row and ids): under load that cuts the
CPU a submission costs the whole system by about 40 % (docs/benchmarks.md).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from shared.db import Database
from shared.events.envelope import CloudEvent, EventData
from shared.inbox.subscription import Subscription
from shared.logs import correlation_id_var
from shared.tracing import traced
from shared.uow import UnitOfWork


class InboxApplier:
    """The effects of one durable consumer (`name`): its inbox rows and dead letters carry its name."""

    def __init__(self, db: Database, name: str, subscriptions: Sequence[Subscription[Any]]) -> None:
        self.db = db
        self.name = name
        self.subscriptions = {s.subject: s for s in subscriptions}
        self.handlers = {s.subject: traced(name, s.handler) for s in subscriptions}  # a span each when tracing is on

    def parse(self, subject: str, payload: bytes) -> tuple[CloudEvent, EventData]:
        """The envelope and its data as the subscribed class; ValueError or ValidationError
        when the message can never be applied here."""
        event = CloudEvent.model_validate_json(payload)
        if event.type != subject:
            raise ValueError(f"envelope type {event.type!r} differs from subject")
        subscription = self.subscriptions.get(event.type)
        if subscription is None:
            raise ValueError(f"no subscription to {event.type}")
        return event, subscription.event.model_validate(event.data, extra="ignore")

    def apply(self, event: CloudEvent, data: EventData) -> bool:
        """Returns False when the event had already been applied (a duplicate)."""
        event_id = str(event.id)
        correlation_id_var.set(event.correlationid)  # this worker thread's logs carry it
        with UnitOfWork(self.db, correlation_id=event.correlationid, causation_id=event_id) as uow:
            try:
                if not uow.claim_inbox(self.name, event_id, event.type):
                    return False
                self.handlers[event.type](uow, event, data)
                uow.commit()
            except IntegrityError:
                # Checked on the same session: SQLite has one connection, and a second session
                # would wait for it.
                uow.session.rollback()
                if uow.inbox_seen(self.name, event_id):
                    return False  # another replica applied it meanwhile
                raise
        return True

    def apply_all(self, events: Sequence[tuple[CloudEvent, EventData]]) -> list[bool]:
        """Applies events in order in one transaction: each with its own correlation and
        causation ids, each seeing the effects of those before it; an exception keeps none.
        Returns, for each, False when it had already been applied."""
        applied: list[bool] = []
        with UnitOfWork(self.db) as uow:
            for event, data in events:
                event_id = str(event.id)
                correlation_id_var.set(event.correlationid)
                uow.correlation_id, uow.causation_id = event.correlationid, event_id
                fresh = uow.claim_inbox(self.name, event_id, event.type)
                if fresh:
                    self.handlers[event.type](uow, event, data)
                    uow.session.flush()  # the next event's handler and Core statements see it,
                    uow.session.expire_all()  # and reads it again rather than trusting loaded objects
                applied.append(fresh)
            uow.commit()
        return applied

    def store_dead_letter(
        self, subject: str, stream_seq: int, payload: bytes, event_id: str | None, error: str, deliveries: int
    ) -> None:
        row = {
            "consumer": self.name,
            "subject": subject,
            "event_id": event_id,
            "stream_seq": stream_seq,
            "payload": payload.decode("utf-8", errors="replace"),
            "error": error[:4000],
            "deliveries": deliveries,
            "created_at": datetime.now(UTC),
        }
        with suppress(IntegrityError), self.db.engine.begin() as connection:
            connection.execute(insert(self.db.infra.dead_letters).values(**row))


def describe(exc: Exception) -> str:
    """An error as a dead letter or a log line keeps it: never the offending values."""
    if isinstance(exc, ValidationError):
        # Field locations and messages only: never the offending values.
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    if isinstance(exc, json.JSONDecodeError):
        return "invalid JSON"
    return f"{type(exc).__name__}: {exc}"[:500]
