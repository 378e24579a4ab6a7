"""Unit of work: state, outbox rows and audit rows commit in one transaction.

The audit rows are chained (shared/audit.py) last, just before the commit: on PostgreSQL the
chain's lock is held from there to the commit only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from shared import audit as audit_chain
from shared.auth import SYSTEM, Principal
from shared.db import Database
from shared.events.envelope import CloudEvent, EventData, make_event
from shared.logs import correlation_id_var
from shared.tracing import stamped


@dataclass(frozen=True)
class Actor:
    id: str
    role: str

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(id=str(principal.id), role=principal.role.value)


SYSTEM_ACTOR = Actor.of(SYSTEM)


class UnitOfWork:
    """`with UnitOfWork(db, actor) as uow: ...; uow.commit()` — nothing is kept without commit."""

    def __init__(
        self,
        db: Database,
        actor: Actor = SYSTEM_ACTOR,
        *,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> None:
        self.db = db
        self.actor = actor
        self.correlation_id = correlation_id or correlation_id_var.get()
        self.causation_id = causation_id
        self.session = Session(db.engine, expire_on_commit=False)
        self._events: list[CloudEvent] = []
        self._audit: list[dict[str, Any]] = []
        self.committed = False

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.committed:
            self.session.rollback()
        self.session.close()

    def emit(self, data: EventData, aggregate_id: object, event_id: uuid.UUID | None = None) -> CloudEvent:
        """Queues the event `data` (its class names the subject) about `aggregate_id` for the outbox
        (with the id `event_id`, else a random one)."""
        event = make_event(
            source=self.db.source,
            subject=str(aggregate_id),
            data=data,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            event_id=event_id,
        )
        event = stamped(event)  # the CloudEvents `traceparent` of the span emitting it, if any
        self._events.append(event)
        return event

    def audit(
        self,
        action: str,
        entity_type: str,
        entity_id: object,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        self._audit.append(
            {
                "at": datetime.now(UTC),
                "actor_id": self.actor.id,
                "actor_role": self.actor.role,
                "action": action,
                "entity_type": entity_type,
                "entity_id": str(entity_id),
                "before": before,
                "after": after,
                "correlation_id": self.correlation_id,
                "causation_id": self.causation_id,
            }
        )

    def inbox_seen(self, consumer: str, event_id: str) -> bool:
        inbox = self.db.infra.inbox
        query = select(inbox.c.event_id).where(inbox.c.consumer == consumer, inbox.c.event_id == event_id)
        return self.session.connection().execute(query).first() is not None

    def claim_inbox(self, consumer: str, event_id: str, subject: str) -> bool:
        """Records the event as applied by `consumer` in this transaction; False when it already
        was. One statement: on PostgreSQL a replica applying the same event right now makes it
        wait for that replica's commit (then False) or rollback (then True)."""
        inbox = self.db.infra.inbox
        dialect = self.session.get_bind().dialect.name
        insert_into = postgresql_insert if dialect == "postgresql" else sqlite_insert
        claim = (
            insert_into(inbox)
            .values(consumer=consumer, event_id=event_id, subject=subject, processed_at=datetime.now(UTC))
            .on_conflict_do_nothing()
        )
        return self.session.connection().execute(claim.returning(inbox.c.event_id)).first() is not None

    def commit(self) -> None:
        self.session.flush()
        now = datetime.now(UTC)
        if self._events:
            self.session.connection().execute(
                insert(self.db.infra.outbox),
                [
                    {
                        "event_id": str(e.id),
                        "subject": e.type,
                        "payload": e.model_dump_json(),
                        "created_at": now,
                        "attempts": 0,
                    }
                    for e in self._events
                ],
            )
        if self._audit:  # last: the chain's lock is held until the commit just below
            audit_chain.append(self.session, self.db.infra.audit, [_jsonable(row) for row in self._audit])
        self.session.commit()
        self.committed = True
        if self._events:
            self.db.notify_outbox_commit()


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    """Audit before/after snapshots go through JSON so that Decimals and UUIDs are stored as text."""
    return {**row, "before": audit_chain.jsonable(row["before"]), "after": audit_chain.jsonable(row["after"])}
