"""What the monitoring use cases share: clocks, loading with visibility rules and locks."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, col, select

from services.monitoring.models import Application, Flag, Grant, GrantTranche
from services.monitoring.models.api import FlagOut
from shared.auth import Principal
from shared.errors import Conflict, NotFound

M = TypeVar("M", bound=SQLModel)
IN_MONITORING = ("active", "completed")


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return now().date()


def locked(session: Session, model: type[M], key: Any) -> M | None:
    """The row, locked until the transaction ends (`SELECT … FOR UPDATE`; SQLite has one writer)."""
    return session.get(model, key, with_for_update=True, populate_existing=True)


def grant_for_update(session: Session, grant_id: uuid.UUID) -> Grant:
    """The grant, locked: 404 unknown here, 409 when it is not (or no longer) monitored."""
    grant = locked(session, Grant, grant_id)
    if grant is None:
        raise NotFound("no such grant")
    if grant.status not in IN_MONITORING:
        raise Conflict(f"the grant is {grant.status}: it is not in monitoring")
    return grant


def visible_grant(session: Session, principal: Principal, grant_id: uuid.UUID) -> Grant:
    """The grant if the caller may see it (staff, or its grantee); 404 otherwise."""
    grant = session.get(Grant, grant_id)
    if grant is None:
        raise NotFound("no such grant")
    if principal.is_staff:
        return grant
    application = session.get(Application, grant.application_id)
    if application is None or application.applicant_id is None or application.applicant_id != principal.id:
        raise NotFound("no such grant")
    return grant


def milestones_of(session: Session, grant_id: uuid.UUID) -> list[str]:
    query = select(GrantTranche.milestone).where(GrantTranche.grant_id == grant_id).order_by(col(GrantTranche.seq))
    return list(session.exec(query).all())


def flag_out(flag: Flag) -> FlagOut:
    return FlagOut(
        id=flag.id,
        grant_id=flag.grant_id,
        reason=flag.reason,
        hold_payments=flag.hold_payments,
        raised_at=flag.raised_at,
        resolved_at=flag.resolved_at,
        status="resolved" if flag.resolved_at is not None else "open",
    )
