"""Each service's part of an application's timeline, read from its audit trail.

The gateway composes the parts (`GET /api/v1/applications/{id}/timeline`); this route is not
proxied and answers admins (the gateway calls it with a short-lived system token).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.engine import Connection

from shared.auth import Principal, Role, require_roles
from shared.db import Database
from shared.privacy import READ_ACTION

# (connection, application id) -> the (entity type, entity id) pairs that belong to it here.
EntityFinder = Callable[[Connection, uuid.UUID], list[tuple[str, str]]]


class TimelineEntry(BaseModel):
    time: datetime
    type: str
    summary: str
    service: str


def application_itself(_: Connection, application_id: uuid.UUID) -> list[tuple[str, str]]:
    return [("application", str(application_id))]


def summary_of(action: str, after: dict[str, object] | None) -> str:
    words = action.replace("_", " ").replace(".", " ").capitalize()
    status = (after or {}).get("status")
    return f"{words} (status: {status})" if status else words


def timeline_router(service: str, entities: EntityFinder = application_itself) -> APIRouter:
    router = APIRouter(prefix="/internal/timeline", include_in_schema=False)

    @router.get("/applications/{application_id}", response_model=list[TimelineEntry])
    def application_timeline(
        application_id: uuid.UUID, request: Request, _: Annotated[Principal, Depends(require_roles(Role.admin))]
    ) -> list[TimelineEntry]:
        db: Database = request.app.state.db
        audit = db.infra.audit
        with db.engine.connect() as connection:
            pairs = entities(connection, application_id)
            rows: list[Any] = []
            for entity_type, entity_id in pairs:
                query = select(audit.c.at, audit.c.action, audit.c.after).where(
                    audit.c.entity_type == entity_type,
                    audit.c.entity_id == entity_id,
                    audit.c.action != READ_ACTION,  # who read what: `edf audit reads`, not the timeline
                )
                rows += connection.execute(query).all()
        return sorted(
            (
                TimelineEntry(time=_aware(r.at), type=r.action, summary=summary_of(r.action, r.after), service=service)
                for r in rows
            ),
            key=lambda entry: entry.time,
        )

    return router


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
