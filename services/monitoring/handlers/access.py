"""Which grants a caller may see or change: loading with the visibility rules and locks."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from services.monitoring.models import Application, Grant
from shared.auth import Principal
from shared.errors import Conflict, NotFound
from shared.tables import locked

IN_MONITORING = ("active", "completed")


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
