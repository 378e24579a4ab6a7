"""Operators' view of a service's dead letters, and replay once the cause is fixed; its
outbox's backlog. The same functions serve the admin endpoints and the `edf` command.

Replay applies the stored event through the same consumer handler and inbox as a delivery
would, so that an event already applied is not applied twice.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select, update

from shared.auth import Principal, Role, require_roles
from shared.db import Database
from shared.errors import Conflict, NotFound
from shared.fields import RowId, Utc
from shared.inbox import InboxConsumer, NotYetApplicable, UnprocessableEvent

Admin = Annotated[Principal, Depends(require_roles(Role.admin))]


class DeadLetterOut(BaseModel):
    id: int
    consumer: str
    subject: str
    event_id: str | None
    stream_seq: int | None
    error: str
    deliveries: int
    created_at: Utc
    replayed_at: Utc | None


class OutboxStatusOut(BaseModel):
    pending: int
    oldest_pending_at: datetime | None
    last_published_at: datetime | None


def ops_router(service: str) -> APIRouter:
    router = APIRouter(prefix=f"/api/v1/ops/{service}", tags=["operations"])

    @router.get("/dead-letters", response_model=list[DeadLetterOut])
    def list_dead_letters(request: Request, _: Admin, include_replayed: bool = False) -> list[dict[str, Any]]:
        return dead_letters(request.app.state.db, include_replayed)

    @router.post("/dead-letters/{letter_id}/replay", response_model=DeadLetterOut)
    async def replay_dead_letter(letter_id: RowId, request: Request, _: Admin) -> dict[str, Any]:
        db: Database = request.app.state.db
        consumers: list[InboxConsumer] = request.app.state.runtime.consumers
        return await asyncio.to_thread(replay, db, consumers, letter_id)

    @router.get("/outbox", response_model=OutboxStatusOut)
    def get_outbox_status(request: Request, _: Admin) -> dict[str, Any]:
        return outbox_status(request.app.state.db)

    return router


def dead_letters(db: Database, include_replayed: bool = False, limit: int = 500) -> list[dict[str, Any]]:
    table = db.infra.dead_letters
    query = select(table).order_by(table.c.id).limit(limit)
    if not include_replayed:
        query = query.where(table.c.replayed_at.is_(None))
    with db.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def outbox_status(db: Database) -> dict[str, Any]:
    """Events committed and not yet published (their count and the oldest), and the last publish."""
    outbox = db.infra.outbox
    pending = select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
    with db.engine.connect() as connection:
        count, oldest = connection.execute(pending).one()
        last = connection.execute(select(func.max(outbox.c.published_at))).scalar_one()
    return {"pending": count, "oldest_pending_at": _aware(oldest), "last_published_at": _aware(last)}


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back: they are UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def replay(db: Database, consumers: list[InboxConsumer], letter_id: int) -> dict[str, Any]:
    table = db.infra.dead_letters
    with db.engine.connect() as connection:
        row = connection.execute(select(table).where(table.c.id == letter_id)).first()
    if row is None:
        raise NotFound("no such dead letter")
    if row.replayed_at is not None:
        raise Conflict("this dead letter was replayed already")
    consumer = next((c for c in consumers if c.name == row.consumer), None)
    if consumer is None:
        raise Conflict(f"this service no longer runs consumer {row.consumer}")
    try:
        event, data = consumer.applier.parse(row.subject, row.payload.encode())
        consumer.applier.apply(event, data)
    except (ValueError, ValidationError, UnprocessableEvent, NotYetApplicable) as exc:
        raise Conflict(f"the event still cannot be applied: {type(exc).__name__}") from None
    with db.engine.begin() as connection:
        connection.execute(update(table).where(table.c.id == letter_id).values(replayed_at=datetime.now(UTC)))
        replayed = connection.execute(select(table).where(table.c.id == letter_id)).one()
    return dict(replayed._mapping)
