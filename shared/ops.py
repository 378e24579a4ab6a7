"""Operators' view of a service's dead letters, and replay once the cause is fixed.

Replay applies the stored event through the same consumer handler and inbox as a delivery
would, so that an event already applied is not applied twice.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy import select, update

from shared.auth import Principal, Role, require_roles
from shared.db import Database
from shared.errors import Conflict, NotFound
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
    created_at: datetime
    replayed_at: datetime | None


def ops_router(service: str) -> APIRouter:
    router = APIRouter(prefix=f"/api/v1/ops/{service}", tags=["operations"])

    @router.get("/dead-letters", response_model=list[DeadLetterOut])
    def list_dead_letters(request: Request, _: Admin, include_replayed: bool = False) -> list[dict[str, Any]]:
        db: Database = request.app.state.db
        table = db.infra.dead_letters
        query = select(table).order_by(table.c.id).limit(500)
        if not include_replayed:
            query = query.where(table.c.replayed_at.is_(None))
        with db.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    @router.post("/dead-letters/{letter_id}/replay", response_model=DeadLetterOut)
    async def replay_dead_letter(letter_id: int, request: Request, _: Admin) -> dict[str, Any]:
        db: Database = request.app.state.db
        consumers: list[InboxConsumer] = request.app.state.runtime.consumers
        return await asyncio.to_thread(_replay, db, consumers, letter_id)

    return router


def _replay(db: Database, consumers: list[InboxConsumer], letter_id: int) -> dict[str, Any]:
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
        event, data = consumer.parse(row.subject, row.payload.encode())
        consumer.apply(event, data)
    except (ValueError, ValidationError, UnprocessableEvent, NotYetApplicable) as exc:
        raise Conflict(f"the event still cannot be applied: {type(exc).__name__}") from None
    with db.engine.begin() as connection:
        connection.execute(update(table).where(table.c.id == letter_id).values(replayed_at=datetime.now(UTC)))
        replayed = connection.execute(select(table).where(table.c.id == letter_id)).one()
    return dict(replayed._mapping)
