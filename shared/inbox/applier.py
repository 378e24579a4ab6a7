"""Applies events to a service's state: each in a unit of work with its inbox claim, or a batch
in one; keeps the dead letters the consumer loop hands it.

A batch is applied in one transaction where it can be (one commit and one append to the audit
chain for all of it, each event still with its own inbox row and ids): under load that cuts the
CPU a submission costs the whole system by about 40 % (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from shared.db import Database
from shared.events.envelope import EventData, IncomingCloudEvent, event_key
from shared.inbox.subscription import Rejection, Subscription
from shared.logs import correlation_id_var
from shared.tracing import traced
from shared.uow import UnitOfWork

log = logging.getLogger("edf.inbox")


class InboxApplier:
    """The effects of one durable consumer (`name`): its inbox rows and dead letters carry its name."""

    def __init__(self, db: Database, name: str, subscriptions: Sequence[Subscription[Any]]) -> None:
        self.db = db
        self.name = name
        self.subscriptions = {s.subject: s for s in subscriptions}
        self.handlers = {s.subject: traced(name, s.handler) for s in subscriptions}  # a span each when tracing is on

    def parse(self, subject: str, payload: bytes) -> tuple[IncomingCloudEvent, EventData]:
        """The envelope and its data as the subscribed class; ValueError or ValidationError
        when the message can never be applied here."""
        event = IncomingCloudEvent.model_validate_json(payload)
        if event.type != subject:
            raise ValueError(f"envelope type {event.type!r} differs from subject")
        subscription = self.subscriptions.get(event.type)
        if subscription is None:
            raise ValueError(f"no subscription to {event.type}")
        return event, subscription.event.model_validate(event.data, extra="ignore")

    def apply(self, event: IncomingCloudEvent, data: EventData) -> bool:
        """Returns False when the event had already been applied (a duplicate)."""
        event_id = event.key
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

    def apply_all(self, events: Sequence[tuple[IncomingCloudEvent, EventData]]) -> list[bool]:
        """Applies events in order in one transaction: each with its own correlation and
        causation ids, each seeing the effects of those before it; an exception keeps none.
        Returns, for each, False when it had already been applied."""
        applied: list[bool] = []
        with UnitOfWork(self.db) as uow:
            for event, data in events:
                event_id = event.key
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

    def rejection(self, subject: str, payload: bytes, reason: str | None = None) -> Rejection | None:
        """What the `reject` hook of `subject`'s subscription is told about a message that can
        never be applied: None without a hook or a readable id. Without `reason`, the parse
        failure gives it: `unparseable` envelope (or a type other than the subject), or
        `invalid_data`."""
        subscription = self.subscriptions.get(subject)
        if subscription is None or subscription.reject is None:
            return None
        try:
            event = IncomingCloudEvent.model_validate_json(payload)
        except ValidationError:
            return _unparseable(payload)
        if reason is None:
            reason = "invalid_data" if event.type == subject else "unparseable"
        return Rejection(reason=reason, event_id=event.id, key=event.key, source=event.source, data=event.data)

    def store_dead_letter(
        self,
        subject: str,
        stream_seq: int,
        payload: bytes,
        event_id: str | None,
        error: str,
        deliveries: int,
        rejection: Rejection | None = None,
    ) -> None:
        """Keeps the dead letter (once per stream message) and, in the same transaction, its
        subscription's answer to `rejection`. The answer has an id derived from the event and the
        reason, so the outbox takes it once: a second copy of the event is kept without one."""
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
        if rejection is not None:
            try:
                if self._keep(row, rejection):
                    return
            except Exception as exc:  # noqa: BLE001  (a failing answer must not hold the dead letter back)
                log.error("rejection not written", extra={"consumer": self.name, "error": describe(exc)})
        self._keep(row, None)

    def _keep(self, row: dict[str, Any], rejection: Rejection | None) -> bool:
        """False when the dead letter or the answer was kept already."""
        try:
            with UnitOfWork(self.db, causation_id=rejection.key if rejection else None) as uow:
                uow.session.connection().execute(insert(self.db.infra.dead_letters).values(**row))
                subscription = self.subscriptions.get(row["subject"])
                if rejection is not None and subscription is not None and subscription.reject is not None:
                    subscription.reject(uow, rejection)
                uow.commit()
        except IntegrityError:
            return False
        return True


def _unparseable(payload: bytes) -> Rejection | None:
    """An envelope that is not a CloudEvent whose `id` (and `source`) can still be read."""
    try:
        raw = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
        return None
    source = raw.get("source") if isinstance(raw.get("source"), str) and raw.get("source") else None
    key = event_key(source or "", raw["id"])
    return Rejection(reason="unparseable", event_id=raw["id"], key=key, source=source, data=raw.get("data"))


def describe(exc: Exception) -> str:
    """An error as a dead letter or a log line keeps it: never the offending values."""
    if isinstance(exc, ValidationError):
        # Field locations and messages only: never the offending values.
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    if isinstance(exc, json.JSONDecodeError):
        return "invalid JSON"
    return f"{type(exc).__name__}: {exc}"[:500]
